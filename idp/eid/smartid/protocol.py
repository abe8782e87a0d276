"""Smart-ID RP API v3 computations that involve no I/O: challenges, interactions, the
verification code, device links with ``authCode``, the ``ACSP_V2`` payload and signature, and
the Web2App callback values. Each function names the page of sk-eid.github.io/smart-id-
documentation (RP API 3.2) it implements; the documented test vectors are in tests/eid.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .errors import SmartIdError

SIGNATURE_PROTOCOL = "ACSP_V2"
SEPARATOR = "|"
HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA-256": hashes.SHA256, "SHA-384": hashes.SHA384, "SHA-512": hashes.SHA512,
    "SHA3-256": hashes.SHA3_256, "SHA3-384": hashes.SHA3_384, "SHA3-512": hashes.SHA3_512}
BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
_USER_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def b64(text: str) -> str:
    """Standard Base64 of the UTF-8 bytes (``BASE64-ENCODE(relyingPartyName)``)."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def b64url_nopad(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_rp_challenge(size: int = 64) -> str:
    """"Signature protocols" → rpChallenge generation: Base64(CSPRNG(32..64 bytes)), fresh for
    every authentication; SK's examples use 64 bytes."""
    if not 32 <= size <= 64:
        raise ValueError("rpChallenge must be 32-64 random bytes")
    return base64.b64encode(secrets.token_bytes(size)).decode("ascii")


def display_text_and_pin(text: str) -> dict[str, str]:
    """Interaction ``displayTextAndPIN`` (device link and notification), at most 60 characters."""
    if len(text) > 60:
        raise ValueError("displayText60 holds at most 60 characters")
    return {"type": "displayTextAndPIN", "displayText60": text}


def confirmation_message(text: str, *, with_vc_choice: bool = False) -> dict[str, str]:
    """Interaction ``confirmationMessage`` (or, notification only,
    ``confirmationMessageAndVerificationCodeChoice``), at most 200 characters."""
    if len(text) > 200:
        raise ValueError("displayText200 holds at most 200 characters")
    kind = "confirmationMessageAndVerificationCodeChoice" if with_vc_choice else \
        "confirmationMessage"
    return {"type": kind, "displayText200": text}


def encode_interactions(interactions: Sequence[Mapping[str, str]]) -> str:
    """"Interactions": Base64 of the JSON array, in the RP's order of preference. The returned
    string MUST be stored and reused as is: re-serialising the JSON changes the hashes."""
    if not interactions:
        raise ValueError("at least one interaction is needed")
    raw = json.dumps(list(interactions), separators=(",", ":"), ensure_ascii=False)
    return base64.b64encode(raw.encode("utf-8")).decode("ascii")


def interaction_types(interactions: str) -> list[str]:
    """The ``type`` of each interaction in an encoded ``interactions`` string."""
    return [item["type"] for item in json.loads(base64.b64decode(interactions))]


def verification_code(rp_challenge: str) -> str:
    """"Notification based flows" → v3 authentication VC: the last two bytes of
    SHA-256(Base64-decoded rpChallenge) as a big-endian integer, mod 10000, four digits."""
    digest = hashlib.sha256(base64.b64decode(rp_challenge, validate=True)).digest()
    return f"{int.from_bytes(digest[-2:], 'big') % 10000:04d}"


def unprotected_device_link(device_link_base: str, *, link_type: str, session_token: str,
                            lang: str, elapsed_seconds: int | None = None,
                            session_type: str = "auth") -> str:
    """"Device link flows": the link without ``authCode``. Parameters in the fixed order, no
    URL-encoding; ``elapsedSeconds`` (seconds since the session response) only for QR;
    ``lang`` is ISO 639-2 (``est``, ``eng``, ``rus``)."""
    if link_type not in ("QR", "Web2App", "App2App"):
        raise ValueError(f"unknown deviceLinkType {link_type!r}")
    if (link_type == "QR") != (elapsed_seconds is not None):
        raise ValueError("elapsedSeconds is given exactly for QR links")
    elapsed = f"&elapsedSeconds={elapsed_seconds}" if link_type == "QR" else ""
    return (f"{device_link_base}?deviceLinkType={link_type}{elapsed}&sessionToken={session_token}"
            f"&sessionType={session_type}&version=1.0&lang={lang}")


def auth_code(*, session_secret: str, scheme_name: str, rp_challenge: str, rp_name: str,
              brokered_rp_name: str, interactions: str, initial_callback_url: str,
              unprotected_link: str) -> str:
    """"authCode calculation": base64url-nopad(HMAC-SHA256(key = Base64-decoded sessionSecret,
    'smart-id'|'ACSP_V2'|rpChallenge|B64(rpName)|B64(brokeredRpName)|interactions|
    initialCallbackUrl|unprotectedDeviceLink)). ``initialCallbackUrl`` is '' for QR links."""
    payload = SEPARATOR.join([scheme_name, SIGNATURE_PROTOCOL, rp_challenge, b64(rp_name),
                              b64(brokered_rp_name), interactions, initial_callback_url,
                              unprotected_link])
    key = base64.b64decode(session_secret, validate=True)
    return b64url_nopad(hmac.new(key, payload.encode("utf-8"), hashlib.sha256).digest())


def acsp_v2_payload(*, scheme_name: str, server_random: str, rp_challenge: str,
                    user_challenge: str, rp_name: str, brokered_rp_name: str, interactions: str,
                    interaction_type_used: str, initial_callback_url: str, flow_type: str) -> bytes:
    """"Signature protocols" → ACSP_V2 digest calculation: the UTF-8 message
    'smart-id'|'ACSP_V2'|serverRandom|rpChallenge|userChallenge|B64(rpName)|B64(brokeredRpName)|
    B64(SHA-256(interactions))|interactionTypeUsed|initialCallbackUrl|flowType. Empty fields keep
    their separators; ``initialCallbackUrl`` is '' for QR and Notification flows."""
    interactions_hash = base64.b64encode(hashlib.sha256(interactions.encode("utf-8")).digest())
    return SEPARATOR.join([
        scheme_name, SIGNATURE_PROTOCOL, server_random, rp_challenge, user_challenge,
        b64(rp_name), b64(brokered_rp_name), interactions_hash.decode("ascii"),
        interaction_type_used, initial_callback_url, flow_type]).encode("utf-8")


def pss(hash_name: str) -> tuple[padding.PSS, hashes.HashAlgorithm]:
    """RSASSA-PSS as Smart-ID uses it: MGF1 with the same hash, salt = hash length, 0xbc."""
    hash_alg = HASHES[hash_name]()
    return padding.PSS(mgf=padding.MGF1(hash_alg), salt_length=hash_alg.digest_size), hash_alg


def verify_acsp_v2_signature(public_key: object, signature: Mapping[str, object], payload: bytes,
                             *, hash_name: str) -> None:
    """"Response verification": ``signature.value`` is a valid RSASSA-PSS signature over
    ``payload`` with the requested hash; the parameters in the response must be exactly that
    hash, MGF1 with it, salt of its length and trailer ``0xbc`` (no downgrade). Otherwise
    ``bad_signature``."""
    params = signature.get("signatureAlgorithmParameters")
    hash_alg = HASHES[hash_name]()
    expected = {"hashAlgorithm": hash_name, "saltLength": hash_alg.digest_size,
                "trailerField": "0xbc",
                "maskGenAlgorithm": {"algorithm": "id-mgf1",
                                     "parameters": {"hashAlgorithm": hash_name}}}
    if signature.get("signatureAlgorithm") != "rsassa-pss" or not isinstance(params, Mapping) \
            or any(params.get(k) != v for k, v in expected.items()):
        raise SmartIdError("bad_signature", detail=f"unexpected signature parameters {params!r}")
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise SmartIdError("bad_signature", detail="certificate key is not RSA")
    value = signature.get("value")
    try:
        raw = base64.b64decode(str(value), validate=True)
        public_key.verify(raw, payload, *pss(hash_name))
    except (binascii.Error, InvalidSignature):
        raise SmartIdError("bad_signature", detail="ACSP_V2 signature does not verify") from None


def check_signature_fields(signature: Mapping[str, object]) -> tuple[str, str, str]:
    """``(serverRandom, userChallenge, flowType)`` after checking their shapes (OpenAPI
    ``AcspV2Signature``); ``malformed`` otherwise."""
    server_random, user_challenge = signature.get("serverRandom"), signature.get("userChallenge")
    flow_type = signature.get("flowType")
    if not (isinstance(server_random, str) and len(server_random) >= 24
            and BASE64.match(server_random)):
        raise SmartIdError("malformed", detail="serverRandom")
    if not (isinstance(user_challenge, str) and _USER_CHALLENGE.match(user_challenge)):
        raise SmartIdError("malformed", detail="userChallenge")
    if flow_type not in ("QR", "Web2App", "App2App", "Notification"):
        raise SmartIdError("malformed", detail=f"flowType {flow_type!r}")
    return server_random, user_challenge, str(flow_type)


def session_secret_digest(session_secret: str) -> str:
    """"Callback URLs": base64url(SHA-256(Base64-decoded sessionSecret)), what the app appends
    as ``sessionSecretDigest``."""
    return b64url_nopad(hashlib.sha256(base64.b64decode(session_secret, validate=True)).digest())


def user_challenge_of(verifier: str) -> str:
    """"Callback URLs": base64url(SHA-256(userChallengeVerifier as ASCII)) must equal
    ``signature.userChallenge``."""
    return b64url_nopad(hashlib.sha256(verifier.encode("ascii")).digest())


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
