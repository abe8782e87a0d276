"""Checks on an end-user eID certificate shared by Web eID and Smart-ID (RFC 5280 subset).

Trust is deliberately narrow: the leaf must be signed directly by one of the *configured issuing
(intermediate) CAs*, never by anything from the operating system store (Web eID
authtoken-validation ``SubjectCertificateTrustedValidator``; Smart-ID "Response verification":
build the chain only from the SK intermediates you configure).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import ExtensionOID

from .errors import EidError

MAX_CERTIFICATE_BYTES = 8192


def _aware(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now


def load_der_b64(value: object, *, max_bytes: int = MAX_CERTIFICATE_BYTES) -> x509.Certificate:
    """A certificate from standard Base64 of its DER; anything else is ``malformed``."""
    if not isinstance(value, str) or not value or len(value) > max_bytes * 4 // 3 + 4:
        raise EidError("malformed", detail="certificate is not a Base64 string of sane length")
    try:
        return x509.load_der_x509_certificate(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise EidError("malformed", detail=f"certificate does not decode: {exc}") from exc


def check_validity(certificate: x509.Certificate, now: dt.datetime) -> None:
    """RFC 5280 §4.1.2.5: ``now`` must fall inside notBefore..notAfter."""
    now = _aware(now)
    if now < certificate.not_valid_before_utc:
        raise EidError("cert_not_yet_valid", detail=f"notBefore {certificate.not_valid_before_utc}")
    if now > certificate.not_valid_after_utc:
        raise EidError("cert_expired", detail=f"notAfter {certificate.not_valid_after_utc}")


def find_issuer(certificate: x509.Certificate, trusted_cas: Iterable[x509.Certificate],
                now: dt.datetime) -> x509.Certificate:
    """The configured CA that issued ``certificate``: issuer name equals the CA subject and the
    CA's key verifies the signature (RFC 5280 §6.1.3 (a)(1)-(4)); the CA itself must be a CA
    (basicConstraints cA) and valid at ``now``. Otherwise ``untrusted_chain``."""
    now = _aware(now)
    problems = []
    for ca in trusted_cas:
        if ca.subject != certificate.issuer:
            continue
        try:
            certificate.verify_directly_issued_by(ca)
        except (InvalidSignature, ValueError, TypeError) as exc:
            problems.append(f"signature by {ca.subject.rfc4514_string()} fails: {exc!r}")
            continue
        if not _is_ca(ca):
            problems.append(f"{ca.subject.rfc4514_string()} is not a CA")
            continue
        if not ca.not_valid_before_utc <= now <= ca.not_valid_after_utc:
            problems.append(f"{ca.subject.rfc4514_string()} is not valid at {now.isoformat()}")
            continue
        return ca
    raise EidError("untrusted_chain", detail="; ".join(problems) or
                   f"no configured CA named {certificate.issuer.rfc4514_string()}")


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def key_usage(certificate: x509.Certificate) -> x509.KeyUsage | None:
    try:
        return certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None


def extended_key_usages(certificate: x509.Certificate) -> set[str]:
    """Dotted OIDs of the extendedKeyUsage extension (empty when the extension is absent)."""
    try:
        usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return set()
    return {oid.dotted_string for oid in usages}


def policy_oids(certificate: x509.Certificate) -> set[str]:
    """Dotted OIDs of the certificatePolicies extension (RFC 5280 §4.2.1.4)."""
    try:
        policies = certificate.extensions.get_extension_for_oid(
            ExtensionOID.CERTIFICATE_POLICIES).value
    except x509.ExtensionNotFound:
        return set()
    return {p.policy_identifier.dotted_string for p in policies}  # type: ignore[attr-defined]


def check_disallowed_policies(certificate: x509.Certificate, disallowed: Iterable[str]) -> None:
    """Refuse ``disallowed_policy`` when a policy equals, or lies under, a disallowed OID (Web eID
    refuses Estonian Mobile-ID certificates, policy ``1.3.6.1.4.1.10015.1.3.*``, by default)."""
    present = policy_oids(certificate)
    for oid in disallowed:
        hits = [p for p in present if p == oid or p.startswith(oid + ".")]
        if hits:
            raise EidError("disallowed_policy", detail=f"policy {hits[0]}")
