"""Who an eID certificate names: isikukood from the subject ``serialNumber``, names from GN/SN.

ETSI EN 319 412-1 §5.1.3: the natural-person semantics identifier is ``PNO`` + ISO 3166 country
+ ``-`` + national number, e.g. ``PNOEE-38001085718``. Older Estonian certificates hold the bare
11 digits. The CN is never parsed: newer Smart-ID certificates carry only names there (SK FAQ).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from idp import isikukood

from .errors import EidError

_SEMANTICS_ID = re.compile(r"^(?:PNO([A-Z]{2})-)?(\d{11})$")


@dataclass(frozen=True)
class EidIdentity:
    """A person proven by an eID means. ``method`` is ``idcard`` or ``smartid`` (the TARA ``amr``
    values); ``level`` is ``high`` for ID-card and Smart-ID QUALIFIED, ``substantial`` for
    Smart-ID ADVANCED (TARA TechSpec §8)."""

    isikukood: str
    given_name: str
    family_name: str
    method: str
    level: str
    certificate: x509.Certificate
    document_number: str | None = None

    @property
    def country(self) -> str:
        return "EE"

    @property
    def birthdate(self) -> dt.date:
        return isikukood.birthdate(self.isikukood)

    @property
    def sex(self) -> str:
        return isikukood.sex(self.isikukood)

    def __repr__(self) -> str:  # never log a full isikukood
        return (f"EidIdentity({isikukood.mask(self.isikukood)}, method={self.method!r}, "
                f"level={self.level!r})")


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    if len(values) != 1 or not isinstance(values[0].value, str):
        raise EidError("unsupported_identity", detail=f"subject has {len(values)} {oid.dotted_string}")
    return values[0].value.strip()


def personal_code(certificate: x509.Certificate) -> str:
    """The validated isikukood in the subject ``serialNumber`` (OID 2.5.4.5); refuses other
    countries, other identifier types (PAS, IDC) and codes that fail ``idp.isikukood``."""
    serial = _attribute(certificate.subject, NameOID.SERIAL_NUMBER)
    match = _SEMANTICS_ID.match(serial)
    if match is None or (match.group(1) or "EE") != "EE":
        raise EidError("unsupported_identity", detail="serialNumber is not PNOEE-<11 digits>")
    try:
        return isikukood.validate(match.group(2))
    except isikukood.InvalidIsikukood as exc:
        raise EidError("unsupported_identity", detail=f"serialNumber: {exc}") from exc


def identity_from_certificate(certificate: x509.Certificate, *, method: str, level: str,
                              document_number: str | None = None) -> EidIdentity:
    """``EidIdentity`` from the subject: serialNumber → isikukood, GN → given name, SN → family
    name (both required, as in every Estonian eID authentication certificate)."""
    return EidIdentity(
        isikukood=personal_code(certificate),
        given_name=_attribute(certificate.subject, NameOID.GIVEN_NAME),
        family_name=_attribute(certificate.subject, NameOID.SURNAME),
        method=method, level=level, certificate=certificate, document_number=document_number)
