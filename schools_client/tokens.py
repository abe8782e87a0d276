"""Fail-closed verification of ID tokens, back-channel logout tokens and Security Event Tokens.

Every check that matters is mandatory: ``issuer``, ``audience`` and
``algorithms`` are required keyword-only arguments without defaults, and an
allow-list containing ``none`` (or being empty) is refused outright.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from .config import validate_algorithms
from .errors import ConfigurationError, TokenVerificationError
from .jwks import KeyProvider, StaticKeys

__all__ = [
    "ACCOUNT_UPDATED_EVENT",
    "BACKCHANNEL_LOGOUT_EVENT",
    "EVENT_STATUSES",
    "compute_at_hash",
    "verify_id_token",
    "verify_logout_token",
    "verify_security_event",
]

#: The ``events`` member that identifies a logout token (Back-Channel Logout 1.0 §2.4).
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"

#: The ``events`` member of the IdP's profile-sync Security Event Token (RFC 8417 §2.2).
ACCOUNT_UPDATED_EVENT = "https://schemas.ope.ee/secevent/account-updated"

#: Allowed values of the account-updated event's ``status``.
EVENT_STATUSES = ("active", "disabled")

_LOGOUT_TYPES = ("logout+jwt", "application/logout+jwt")
_SECEVENT_TYPES = ("secevent+jwt", "application/secevent+jwt")
_HASHES = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}


def compute_at_hash(access_token: str, alg: str) -> str:
    """Return the ``at_hash`` of ``access_token`` for JWS ``alg`` (OIDC Core 1.0 §3.1.3.6).

    Base64url (no padding) of the left-most half of the hash of the ASCII
    access token, the hash being the one used by ``alg`` (SHA-256 for
    RS256/ES256/PS256, ...). Raises ``ValueError`` for an unknown ``alg``.
    """
    hash_fn = _HASHES.get(alg[-3:])
    if hash_fn is None or alg[:2] not in ("RS", "PS", "ES"):
        raise ValueError(f"no at_hash hash function for alg {alg!r}")
    digest = hash_fn(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


_URLSAFE_TO_STANDARD = bytes.maketrans(b"-_", b"+/")


def _b64(segment: str) -> bytes:
    """Strict base64url without padding (RFC 7515 §2), as joserfc's ``urlsafe_b64decode``.

    Anything outside the base64url alphabet, padding, a length no encoding has, or unused
    trailing bits that are not zero (a second spelling of the same bytes) is a ``ValueError``.
    """
    data = segment.encode("ascii")
    pad = -len(data) % 4
    if pad == 3 or b"+" in data or b"/" in data or b"=" in data:
        raise ValueError("not base64url")
    if pad and data[-1] not in _CANONICAL_ENDINGS[pad - 1]:
        raise ValueError("not canonical base64url")
    return binascii.a2b_base64(data.translate(_URLSAFE_TO_STANDARD) + b"=" * pad, strict_mode=True)


#: The characters a canonical encoding may end with when 2 (then 1) padding characters are left out.
_CANONICAL_ENDINGS = (b"AEIMQUYcgkosw048", b"AQgw")


def _b64_json(segment: str) -> Any:
    return json.loads(_b64(segment))


#: Parsed JOSE headers by their encoded form. An IdP signs every token of a key with the same
#: header, so this saves a decode per token; the signature still covers the header bytes.
_HEADERS: dict[str, Any] = {}
_HEADERS_MAX = 64


def _header(segment: str) -> Any:
    header = _HEADERS.get(segment)
    if header is None:
        header = _b64_json(segment)
        if len(_HEADERS) >= _HEADERS_MAX:
            _HEADERS.clear()
        _HEADERS[segment] = header
    return dict(header) if isinstance(header, dict) else header


_ALLOWED: dict[tuple[str, ...], tuple[str, ...]] = {}


def _allowed(algorithms: Sequence[str]) -> tuple[str, ...]:
    """``validate_algorithms``, remembered for the allow-lists already found safe."""
    if isinstance(algorithms, str):
        return validate_algorithms(algorithms)  # raises: a bare string is not a list
    key = tuple(algorithms)
    try:
        allowed = _ALLOWED.get(key)
    except TypeError:  # an unhashable element: certainly not an algorithm name
        return validate_algorithms(key)
    if allowed is None:
        allowed = validate_algorithms(key)
        if len(_ALLOWED) < 64:
            _ALLOWED[key] = allowed
    return allowed


def _decode(
    token: str,
    *,
    issuer: str,
    audience: str,
    algorithms: Sequence[str],
    keys: KeySet | KeyProvider,
    leeway: int,
    now: float,
    header_check: Callable[[Mapping[str, Any]], None],
    require_exp: bool = True,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify signature and the claims common to ID, logout and security event tokens.

    ``exp`` is required unless ``require_exp`` is false (SETs omit it, RFC 8417
    §2.2); when present it is always checked.
    """
    allowed = _allowed(algorithms)
    if not isinstance(issuer, str) or not issuer:
        raise ConfigurationError("issuer is required")
    if not isinstance(audience, str) or not audience:
        raise ConfigurationError("audience is required")
    if not isinstance(token, str) or token.count(".") != 2:
        raise TokenVerificationError("malformed", "not a JWS compact serialization")
    header_b64, payload_b64, signature_b64 = token.split(".")
    try:
        header = _header(header_b64)
    except (ValueError, UnicodeError) as exc:
        raise TokenVerificationError("malformed", "header is not base64url JSON") from exc
    if not isinstance(header, dict):
        raise TokenVerificationError("malformed", "header is not a JSON object")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in allowed:
        raise TokenVerificationError("alg_not_allowed", f"alg {alg!r} is not in {list(allowed)}")
    if "crit" in header or "b64" in header:
        raise TokenVerificationError("unsupported_header", "crit/b64 headers are not accepted")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise TokenVerificationError("malformed", "kid is not a string")
    header_check(header)

    provider: KeyProvider = StaticKeys(keys) if isinstance(keys, KeySet) else keys
    key = provider.get_key(kid, alg)
    # The signature is checked by joserfc's JWS algorithm itself (RFC 7515 §5.2 steps 8-9);
    # the JWT wrapper around it is skipped: its header and claims work is done above and below.
    try:
        signature = _b64(signature_b64)
        signing_input = f"{header_b64}.{payload_b64}".encode("ascii")
    except (ValueError, UnicodeError) as exc:
        raise TokenVerificationError("malformed", "signature or payload is not base64url") from exc
    if not JWSRegistry.algorithms[alg].verify(signing_input, signature, key):
        raise TokenVerificationError("bad_signature", "signature does not verify")
    try:
        claims = _b64_json(payload_b64)
    except (ValueError, UnicodeError) as exc:
        raise TokenVerificationError("malformed", "payload is not base64url JSON") from exc
    if not isinstance(claims, dict):
        raise TokenVerificationError("malformed", "payload is not a JSON object")

    if claims.get("iss") != issuer:
        raise TokenVerificationError("iss_mismatch", f"iss {claims.get('iss')!r} != {issuer!r}", claim="iss")
    _check_audience(claims, audience)
    exp = _number(claims, "exp") if require_exp or "exp" in claims else None
    iat = _number(claims, "iat")
    if exp is not None and now >= exp + leeway:
        raise TokenVerificationError("expired", "token has expired", claim="exp")
    if iat > now + leeway:
        raise TokenVerificationError("iat_future", "token was issued in the future", claim="iat")
    if "nbf" in claims and _number(claims, "nbf") > now + leeway:
        raise TokenVerificationError("not_yet_valid", "token is not valid yet", claim="nbf")
    return header, claims


def _check_audience(claims: Mapping[str, Any], audience: str) -> None:
    """OIDC Core 1.0 §3.1.3.7 steps 3-5."""
    aud = claims.get("aud")
    if isinstance(aud, str):
        audiences = [aud]
    elif isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
        audiences = aud
    else:
        raise TokenVerificationError("aud_mismatch", "aud is missing or invalid", claim="aud")
    if audience not in audiences:
        raise TokenVerificationError("aud_mismatch", f"{audience!r} is not an audience", claim="aud")
    azp = claims.get("azp")
    if len(audiences) > 1 and azp is None:
        raise TokenVerificationError("azp_mismatch", "several audiences but no azp", claim="azp")
    if azp is not None and azp != audience:
        raise TokenVerificationError("azp_mismatch", f"azp {azp!r} is not this client", claim="azp")


def _number(claims: Mapping[str, Any], name: str) -> float:
    if name not in claims:
        raise TokenVerificationError("missing_claim", f"{name} is required", claim=name)
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TokenVerificationError("invalid_claim", f"{name} is not a number", claim=name)
    return float(value)


def _string(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if value is None:
        raise TokenVerificationError("missing_claim", f"{name} is required", claim=name)
    if not isinstance(value, str) or not value:
        raise TokenVerificationError("invalid_claim", f"{name} is not a non-empty string", claim=name)
    return value


def _id_token_header(header: Mapping[str, Any]) -> None:
    typ = header.get("typ")
    if isinstance(typ, str) and typ.lower() in _LOGOUT_TYPES:
        raise TokenVerificationError("typ_mismatch", "a logout token is not an ID token")
    if isinstance(typ, str) and typ.lower() in _SECEVENT_TYPES:
        raise TokenVerificationError("typ_mismatch", "a security event token is not an ID token")


def verify_id_token(
    token: str,
    *,
    issuer: str,
    audience: str,
    algorithms: Sequence[str],
    keys: KeySet | KeyProvider,
    nonce: str | None,
    leeway: int,
    now: float,
    max_age: int | None = None,
    access_token: str | None = None,
    require_at_hash: bool = False,
) -> dict[str, Any]:
    """Verify an ID token and return its claims (OpenID Connect Core 1.0 §3.1.3.7).

    Checks, in order: ``alg`` is in the allow-list (``none`` never is); the key
    is found by ``kid`` (a rate-limited JWKS refetch may happen in ``keys``);
    the signature; ``iss`` equals ``issuer`` exactly; ``aud`` is ``audience``
    or a list containing it, with ``azp`` equal to ``audience`` when there are
    several audiences or ``azp`` is present; ``exp`` is in the future and
    ``iat`` not in the future (both required, ± ``leeway``); ``nbf`` if
    present; ``sub`` present; ``nonce`` equals ``nonce`` (pass ``None`` only
    for ID tokens from a refresh, OIDC Core §12.2); with ``max_age``,
    ``auth_time`` is present and recent enough (§3.1.2.1); with
    ``access_token``, ``at_hash`` matches (§3.1.3.8; required if
    ``require_at_hash``).

    :raises TokenVerificationError: with a machine-readable ``reason``.
    :raises ConfigurationError: for an unsafe ``algorithms`` list or empty issuer/audience.
    """
    header, claims = _decode(token, issuer=issuer, audience=audience, algorithms=algorithms, keys=keys,
                             leeway=leeway, now=now, header_check=_id_token_header)
    _string(claims, "sub")
    if nonce is not None:
        got = claims.get("nonce")
        if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
            raise TokenVerificationError("nonce_mismatch", "nonce does not match", claim="nonce")
    if "auth_time" in claims or max_age is not None:
        auth_time = _number(claims, "auth_time")
        if max_age is not None and now > auth_time + max_age + leeway:
            raise TokenVerificationError("auth_time_too_old", "authentication is older than max_age",
                                         claim="auth_time")
    if access_token is not None:
        at_hash = claims.get("at_hash")
        if at_hash is None:
            if require_at_hash:
                raise TokenVerificationError("missing_claim", "at_hash is required", claim="at_hash")
        elif not isinstance(at_hash, str) or not hmac.compare_digest(
            at_hash.encode(), compute_at_hash(access_token, header["alg"]).encode()
        ):
            raise TokenVerificationError("at_hash_mismatch", "at_hash does not match the access token",
                                         claim="at_hash")
    return claims


def _explicit_type(types: tuple[str, ...]) -> Callable[[Mapping[str, Any]], None]:
    """A header check: ``typ`` must be one of ``types`` (explicit typing, RFC 8725 §3.11)."""
    def check(header: Mapping[str, Any]) -> None:
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in types:
            raise TokenVerificationError("typ_mismatch", f"typ {typ!r} is not {types[0]}")
    return check


_logout_header = _explicit_type(_LOGOUT_TYPES)
_secevent_header = _explicit_type(_SECEVENT_TYPES)


def verify_logout_token(
    token: str,
    *,
    issuer: str,
    audience: str,
    algorithms: Sequence[str],
    keys: KeySet | KeyProvider,
    leeway: int,
    now: float,
    jti_seen: Callable[[str, int], bool],
) -> dict[str, Any]:
    """Verify a back-channel logout token and return its claims.

    Implements OpenID Connect Back-Channel Logout 1.0 §2.4 and §2.6: header
    ``typ`` is ``logout+jwt`` (explicit typing, RFC 8725 §3.11); ``alg``
    allow-listed; signature by a key of ``keys``; ``iss``, ``aud`` (and
    ``azp``) as for ID tokens; ``iat``, ``exp``, ``jti`` present and valid;
    ``events`` is an object whose
    ``http://schemas.openid.net/event/backchannel-logout`` member is a JSON
    object; ``sub`` or ``sid`` present; no ``nonce``. Finally
    ``jti_seen(jti, remember_until)`` is called, which must record the ``jti``
    and return ``True`` if it was seen before (replay, §2.6 step 8).

    :raises TokenVerificationError: with a machine-readable ``reason``.
    :raises ConfigurationError: for an unsafe ``algorithms`` list or empty issuer/audience.
    """
    _, claims = _decode(token, issuer=issuer, audience=audience, algorithms=algorithms, keys=keys,
                        leeway=leeway, now=now, header_check=_logout_header)
    jti = _string(claims, "jti")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
        raise TokenVerificationError("bad_events", "events lacks the back-channel logout event",
                                     claim="events")
    sub, sid = claims.get("sub"), claims.get("sid")
    if sub is None and sid is None:
        raise TokenVerificationError("missing_claim", "sub or sid is required", claim="sub")
    for name, value in (("sub", sub), ("sid", sid)):
        if value is not None and (not isinstance(value, str) or not value):
            raise TokenVerificationError("invalid_claim", f"{name} is not a string", claim=name)
    if "nonce" in claims:
        raise TokenVerificationError("nonce_present", "a logout token must not contain nonce", claim="nonce")
    if jti_seen(jti, int(_number(claims, "exp")) + int(leeway)):
        raise TokenVerificationError("replayed_jti", "this logout token was already used", claim="jti")
    return claims




def verify_security_event(
    token: str,
    *,
    issuer: str,
    audience: str,
    algorithms: Sequence[str],
    keys: KeySet | KeyProvider,
    leeway: int,
    now: float,
    max_age: int = 600,
) -> dict[str, Any]:
    """Verify the IdP's profile-sync Security Event Token and return its claims.

    RFC 8417 (SET) delivered by RFC 8935 push. Checks: header ``typ`` is
    ``secevent+jwt`` or ``application/secevent+jwt`` (RFC 8417 §2.3, so an ID
    token or logout token is never taken for a SET); ``alg`` allow-listed;
    signature by a key of ``keys``; ``iss`` equals ``issuer``; ``aud`` (and
    ``azp``) as for ID tokens; ``iat`` present, not in the future and not
    older than ``max_age`` seconds (± ``leeway``; the IdP signs at every
    delivery attempt, so an older SET is a replay); ``exp`` optional but
    checked when present; ``nbf`` if present; ``jti`` and ``sub`` non-empty
    strings; no ``nonce`` (RFC 8417 §4.1); ``events`` an object whose
    :data:`ACCOUNT_UPDATED_EVENT` member is an object with an integer
    ``version`` >= 1, ``status`` in :data:`EVENT_STATUSES` and an object
    ``claims``.

    Replay of the same ``jti`` is not checked here (the receiver answers a
    retransmission with 202, RFC 8935 §2); see the ``/oidc/events`` view.

    :raises TokenVerificationError: with a machine-readable ``reason``.
    :raises ConfigurationError: for an unsafe ``algorithms`` list, empty
        issuer/audience or a ``max_age`` that is not a positive integer.
    """
    if isinstance(max_age, bool) or not isinstance(max_age, int) or max_age <= 0:
        raise ConfigurationError("max_age must be a positive integer")
    _, claims = _decode(token, issuer=issuer, audience=audience, algorithms=algorithms, keys=keys,
                        leeway=leeway, now=now, header_check=_secevent_header, require_exp=False)
    if now > _number(claims, "iat") + max_age + leeway:
        raise TokenVerificationError("iat_too_old", "the security event token is too old", claim="iat")
    _string(claims, "jti")
    _string(claims, "sub")
    if "nonce" in claims:
        raise TokenVerificationError("nonce_present", "a security event token must not contain nonce",
                                     claim="nonce")
    events = claims.get("events")
    if not isinstance(events, dict):
        raise TokenVerificationError("bad_events", "events is not an object", claim="events")
    event = events.get(ACCOUNT_UPDATED_EVENT)
    if not isinstance(event, dict):
        raise TokenVerificationError("bad_events", "events lacks the account-updated event", claim="events")
    version = event.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise TokenVerificationError("bad_events", "event version is not an integer >= 1", claim="events")
    if event.get("status") not in EVENT_STATUSES:
        raise TokenVerificationError("bad_events", "event status is not active or disabled", claim="events")
    if not isinstance(event.get("claims"), dict):
        raise TokenVerificationError("bad_events", "event claims is not an object", claim="events")
    return claims
