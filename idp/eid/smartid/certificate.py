"""Checks on the Smart-ID authentication certificate in a session result (RP API v3 "Response
verification"; SK "Certificate and OCSP profile for Smart-ID"; SK's Java client
``*AuthenticationCertificatePurposeValidator``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cryptography import x509

from ..certs import (
    check_validity,
    extended_key_usages,
    find_issuer,
    key_usage,
    policy_oids,
)
from .errors import SmartIdError

SMART_ID_AUTH_EKU = "1.3.6.1.4.1.62306.5.7.0"  # "Smart-ID Authentication", from April 2025
CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"              # before April 2025
# All of a level's policy OIDs must be present (SK policy OID + ETSI NCP+/NCP).
LEVEL_POLICIES = {
    "QUALIFIED": frozenset({"1.3.6.1.4.1.10015.17.2", "0.4.0.2042.1.2"}),
    "ADVANCED": frozenset({"1.3.6.1.4.1.10015.17.1", "0.4.0.2042.1.1"}),
}
LEVEL_RANK = {"ADVANCED": 1, "QUALIFIED": 2}
LOA = {"QUALIFIED": "high", "ADVANCED": "substantial"}  # TARA TechSpec §8


def certificate_level(certificate: x509.Certificate) -> str:
    """The level the certificate's policies prove; ``missing_policy`` if neither set is
    complete."""
    present = policy_oids(certificate)
    for level in ("QUALIFIED", "ADVANCED"):
        if LEVEL_POLICIES[level] <= present:
            return level
    raise SmartIdError("missing_policy", detail=f"policies {sorted(present)}")


def check_purpose(certificate: x509.Certificate) -> None:
    """Authentication key: EKU Smart-ID Authentication + keyUsage digitalSignature (new), or EKU
    clientAuth + digitalSignature, keyEncipherment and dataEncipherment (before April 2025)."""
    usages, usage = extended_key_usages(certificate), key_usage(certificate)
    if usage is not None and usage.digital_signature:
        if SMART_ID_AUTH_EKU in usages:
            return
        if CLIENT_AUTH in usages and usage.key_encipherment and usage.data_encipherment:
            return
    raise SmartIdError("wrong_purpose", detail=f"EKU {sorted(usages)}, keyUsage {usage}")


def check_auth_certificate(certificate: x509.Certificate, *, reported_level: object,
                           requested_level: str, trusted_cas: Sequence[x509.Certificate],
                           now: dt.datetime) -> tuple[x509.Certificate, str]:
    """Validate the certificate and return ``(issuing CA, proven level)``.

    Validity at ``now`` (``cert_expired``, ``cert_not_yet_valid``); issued by a configured
    Smart-ID CA (``untrusted_chain``); authentication purpose (``wrong_purpose``); the level
    ``cert.certificateLevel`` claims is backed by the policies (``missing_policy``) and is at
    least the level requested (``level_too_low``: ADVANCED < QUALIFIED)."""
    check_validity(certificate, now)
    issuer = find_issuer(certificate, trusted_cas, now)
    check_purpose(certificate)
    proven = certificate_level(certificate)
    if reported_level not in LEVEL_RANK or LEVEL_RANK[str(reported_level)] > LEVEL_RANK[proven]:
        raise SmartIdError("missing_policy",
                           detail=f"certificateLevel {reported_level!r}, policies prove {proven}")
    if LEVEL_RANK[proven] < LEVEL_RANK[requested_level]:
        raise SmartIdError("level_too_low", detail=f"{proven} < {requested_level}")
    return issuer, proven
