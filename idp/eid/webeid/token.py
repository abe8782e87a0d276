"""The Web eID authentication token and its signature (web-eid-system-architecture-doc,
"Authentication token format", format ``web-eid:1``; authtoken-validation
``AuthTokenSignatureValidator``).

The token is JSON::

    {"unverifiedCertificate": "<Base64 DER>", "algorithm": "ES384", "signature": "<Base64>",
     "format": "web-eid:1.0", "appVersion": "https://web-eid.eu/web-eid-app/releases/2.5.0+0"}

(``web-eid:1.1`` adds ``unverifiedSigningCertificates`` for signing; authentication ignores it.)
The signature is over ``hash(origin) || hash(challenge nonce)``, both UTF-8, with the hash the
algorithm names (RS256 → SHA-256). The origin is in no token field: it is bound only through the
signature, so a token made for another site fails as ``bad_signature``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from ..certs import load_der_b64
from ..errors import EidError
from .errors import WebEidError

# RFC 7518 §3.3-3.5: the subset Web eID (libelectronic-id) produces
HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
ALGORITHMS = frozenset(f"{family}{bits}" for family in ("ES", "PS", "RS") for bits in HASHES)
FORMAT = re.compile(r"^web-eid:1(\.\d+)?$")
MAX_SIGNATURE_BYTES = 1024


@dataclass(frozen=True)
class AuthToken:
    certificate: x509.Certificate
    algorithm: str
    signature: bytes
    format: str
    app_version: str | None


def check_origin(origin: str) -> str:
    """The configured site origin, checked to be ``https://host[:port]`` with nothing else (the
    Java library's ``validateIsOriginURL``). A bad value is a configuration error."""
    parts = urlsplit(origin)
    if (parts.scheme != "https" or not parts.hostname or parts.path or parts.query
            or parts.fragment or parts.username or parts.password or origin.endswith("/")):
        raise ValueError(f"Web eID origin must be https://host[:port], not {origin!r}")
    return origin


def parse_token(token: object) -> AuthToken:
    """The token's fields, each type- and size-checked; anything off is ``malformed``."""
    if not isinstance(token, Mapping):
        raise WebEidError("malformed", detail="token is not a JSON object")
    token_format = token.get("format")
    if not isinstance(token_format, str) or not FORMAT.match(token_format):
        raise WebEidError("malformed", detail=f"unsupported format {token_format!r}")
    algorithm = token.get("algorithm")
    if algorithm not in ALGORITHMS:
        raise WebEidError("malformed", detail=f"unsupported algorithm {algorithm!r}")
    signature = token.get("signature")
    if not isinstance(signature, str) or not signature or len(signature) > MAX_SIGNATURE_BYTES * 2:
        raise WebEidError("malformed", detail="signature missing or too long")
    try:
        raw_signature = base64.b64decode(signature, validate=True)
    except binascii.Error as exc:
        raise WebEidError("malformed", detail="signature is not Base64") from exc
    app_version = token.get("appVersion")
    if app_version is not None and not isinstance(app_version, str):
        raise WebEidError("malformed", detail="appVersion is not a string")
    try:
        certificate = load_der_b64(token.get("unverifiedCertificate"))
    except EidError as exc:
        raise WebEidError.from_error(exc) from exc
    return AuthToken(certificate, str(algorithm), raw_signature, token_format, app_version)


def signed_data(algorithm: str, *, origin: str, challenge_nonce: str) -> bytes:
    """``hash(origin) || hash(challenge nonce)`` with the algorithm's hash."""
    hash_type = HASHES[algorithm[2:]]

    def digest(text: str) -> bytes:
        h = hashes.Hash(hash_type())
        h.update(text.encode("utf-8"))
        return h.finalize()

    return digest(origin) + digest(challenge_nonce)


def verify_signature(token: AuthToken, *, origin: str, challenge_nonce: str) -> None:
    """Verify the token signature with the certificate's key; ``bad_signature`` otherwise.
    ES*: the card gives raw ``r || s`` (each the curve's byte length), re-encoded as DER here.
    PS*: RSASSA-PSS, MGF1 with the same hash, salt as long as the hash (RFC 7518 §3.5)."""
    data = signed_data(token.algorithm, origin=origin, challenge_nonce=challenge_nonce)
    hash_alg = HASHES[token.algorithm[2:]]()
    key = token.certificate.public_key()
    family = token.algorithm[:2]
    try:
        if family == "ES" and isinstance(key, ec.EllipticCurvePublicKey):
            size = (key.curve.key_size + 7) // 8
            if len(token.signature) != 2 * size:
                raise WebEidError("bad_signature", detail="ECDSA signature has the wrong length")
            r = int.from_bytes(token.signature[:size], "big")
            s = int.from_bytes(token.signature[size:], "big")
            key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hash_alg))
        elif family == "PS" and isinstance(key, rsa.RSAPublicKey):
            key.verify(token.signature, data, padding.PSS(
                mgf=padding.MGF1(hash_alg), salt_length=hash_alg.digest_size), hash_alg)
        elif family == "RS" and isinstance(key, rsa.RSAPublicKey):
            key.verify(token.signature, data, padding.PKCS1v15(), hash_alg)
        else:
            raise WebEidError("bad_signature",
                              detail=f"{token.algorithm} does not fit a {type(key).__name__}")
    except InvalidSignature:
        raise WebEidError("bad_signature", detail="signature does not verify") from None
