"""Validation of a Web eID authentication token: the whole server side of an ID-card login.

Follows web-eid-authtoken-validation-java (``AuthTokenValidatorImpl``) rule by rule; the order
puts the local checks first and the network (OCSP) last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from cryptography import x509

from ..certs import (
    check_disallowed_policies,
    check_validity,
    extended_key_usages,
    find_issuer,
    key_usage,
)
from ..errors import EidError
from ..identity import EidIdentity, identity_from_certificate
from ..ocsp import RevocationChecker
from .errors import WebEidError
from .token import check_origin, parse_token, verify_signature

CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"
# Estonian Mobile-ID certificate policies (SubjectCertificatePolicies.ESTEID_SK_2015_MOBILE_ID_*):
# refused by default, as the Java library does; every OID under this arc is refused.
DEFAULT_DISALLOWED_POLICIES: tuple[str, ...] = ("1.3.6.1.4.1.10015.1.3",)
MIN_NONCE_LENGTH = 44  # Base64 of 32 bytes (ChallengeNonceGenerator minimum)


def check_purpose(certificate: x509.Certificate) -> None:
    """``SubjectCertificatePurposeValidator``: keyUsage digitalSignature and extendedKeyUsage
    clientAuth. (The Java library also lets a certificate without any EKU through, for
    Luxembourg cards; every Estonian authentication certificate has clientAuth, so we require
    it: fail closed.)"""
    usage = key_usage(certificate)
    if usage is None or not usage.digital_signature:
        raise WebEidError("wrong_purpose", detail="keyUsage lacks digitalSignature")
    if CLIENT_AUTH not in extended_key_usages(certificate):
        raise WebEidError("wrong_purpose", detail="extendedKeyUsage lacks clientAuth")


def validate_auth_token(token: object, *, challenge_nonce: str, origin: str,
                        trusted_cas: Sequence[x509.Certificate], now: dt.datetime,
                        ocsp: RevocationChecker | None,
                        disallowed_policies: Iterable[str] = DEFAULT_DISALLOWED_POLICIES,
                        request_origin: str | None = None) -> EidIdentity:
    """Validate a Web eID authentication token and return who it proves.

    ``token``: the parsed JSON the browser posted. ``challenge_nonce``: the nonce taken (and so
    consumed) from the ``NonceStore`` for this session. ``origin``: this site's origin,
    ``https://host[:port]``. ``trusted_cas``: the *issuing* CAs (``trust.idcard_cas()``).
    ``ocsp``: an ``OcspChecker``, or None where OCSP is switched off by configuration (the
    argument has no default, so switching it off is always explicit). ``request_origin``: the
    ``Origin`` header of the POST, if any; a different origin is refused before anything else.

    Checks, each a distinct ``WebEidError.reason``: origin (``origin_mismatch``), nonce present
    (``nonce_invalid``), token format/fields (``malformed``), certificate validity at ``now``
    (``cert_expired``, ``cert_not_yet_valid``), purpose (``wrong_purpose``), disallowed policies
    (``disallowed_policy``), issued by a configured CA that is itself valid
    (``untrusted_chain``), signature over hash(origin) || hash(nonce) (``bad_signature``),
    Estonian identity in the subject (``unsupported_identity``), OCSP status (``revoked``,
    ``cert_unknown``, ``ocsp_unavailable``)."""
    site = check_origin(origin)
    if request_origin is not None and request_origin != site:
        raise WebEidError("origin_mismatch", detail=f"request Origin {request_origin!r}")
    if not isinstance(challenge_nonce, str) or len(challenge_nonce) < MIN_NONCE_LENGTH:
        raise WebEidError("nonce_invalid", detail="challenge nonce missing or too short")
    try:
        parsed = parse_token(token)
        certificate = parsed.certificate
        check_validity(certificate, now)
        check_purpose(certificate)
        check_disallowed_policies(certificate, disallowed_policies)
        issuer = find_issuer(certificate, trusted_cas, now)
        # Signature verification implicitly verifies origin and challenge (Java comment).
        verify_signature(parsed, origin=site, challenge_nonce=challenge_nonce)
        identity = identity_from_certificate(certificate, method="idcard", level="high")
        if ocsp is not None:
            ocsp.check(certificate, issuer, now=now)
    except WebEidError:
        raise
    except EidError as exc:
        raise WebEidError.from_error(exc) from exc
    return identity
