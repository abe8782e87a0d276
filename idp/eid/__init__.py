"""Estonian eID for the IdP: ID-card through Web eID (``idp.eid.webeid``) and Smart-ID through
SK's RP API v3 (``idp.eid.smartid``). Both end in an ``EidIdentity`` taken from the certificate
subject (serialNumber → isikukood, GN/SN → names), or raise an ``EidError`` subclass whose
``reason`` is machine-readable and whose ``message(lang)`` is safe to show (et, en).

Library code only: no Flask globals, time passed in (``now=``) or injected (``clock=``).
"""

from .errors import EidError
from .identity import EidIdentity
from .ocsp import OcspChecker, OcspConfig

__all__ = ["EidError", "EidIdentity", "OcspChecker", "OcspConfig"]
