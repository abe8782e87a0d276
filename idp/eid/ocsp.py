"""Revocation check of an eID certificate through the OCSP responder named in its AIA extension.

RFC 6960 §3.2 (signed response acceptance) as the Web eID authtoken-validation library applies
it (``OcspCertificateRevocationChecker``, ``AiaOcspService``): one response for exactly the
certificate asked about, signed by the issuing CA or by a responder certificate that CA issued
with the OCSPSigning EKU, ``thisUpdate`` fresh (default at most 2 min old, 15 min clock skew),
``nextUpdate`` not past, the request nonce (RFC 8954) echoed, status ``good``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Protocol

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

from .errors import EidError

OCSP_SIGNING = ExtendedKeyUsageOID.OCSP_SIGNING


@dataclass(frozen=True)
class OcspConfig:
    """``timeout``: seconds for connect and read (Web eID default 5 s). ``allowed_skew`` and
    ``max_this_update_age``: Web eID defaults. ``use_nonce``: send an RFC 8954 nonce and
    require it back (turn off only for a responder known not to echo nonces)."""

    timeout: float = 5.0
    allowed_skew: dt.timedelta = dt.timedelta(minutes=15)
    max_this_update_age: dt.timedelta = dt.timedelta(minutes=2)
    use_nonce: bool = True


class RevocationChecker(Protocol):
    """What the validators need from a revocation checker (``OcspChecker`` is one)."""

    def check(self, certificate: x509.Certificate, issuer: x509.Certificate, *,
              now: dt.datetime) -> None: ...


def unavailable(detail: str) -> EidError:
    return EidError("ocsp_unavailable", detail=detail)


def aia_ocsp_url(certificate: x509.Certificate) -> str:
    """The first OCSP access location of the AIA extension (RFC 5280 §4.2.2.1)."""
    try:
        aia = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        raise unavailable("certificate has no AIA extension") from None
    for description in aia:
        if (description.access_method == AuthorityInformationAccessOID.OCSP
                and isinstance(description.access_location, x509.UniformResourceIdentifier)):
            return description.access_location.value
    raise unavailable("certificate names no OCSP responder")


class OcspChecker:
    """Asks the certificate's AIA OCSP responder, over HTTP POST ``application/ocsp-request``
    (RFC 6960 Appendix A.1). One instance is reused; it keeps a ``requests.Session``."""

    def __init__(self, config: OcspConfig | None = None, *,
                 session: requests.Session | None = None) -> None:
        self.config = config or OcspConfig()
        self._http = session or requests.Session()

    def check(self, certificate: x509.Certificate, issuer: x509.Certificate, *,
              now: dt.datetime) -> None:
        """Return if the responder says ``good``; raise ``EidError`` ``revoked``,
        ``cert_unknown`` or ``ocsp_unavailable`` (no answer, or one we cannot trust)."""
        url = aia_ocsp_url(certificate)
        builder = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA1())
        nonce = os.urandom(32)
        if self.config.use_nonce:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        request = builder.build()
        response = self._fetch(url, request.public_bytes(serialization.Encoding.DER))
        single = self._accept(response, request, issuer, now)
        if self.config.use_nonce:
            _check_nonce(response, nonce)
        if single.certificate_status == ocsp.OCSPCertStatus.REVOKED:
            raise EidError("revoked", detail=f"revoked at {single.revocation_time_utc}, "
                                             f"reason {single.revocation_reason}")
        if single.certificate_status != ocsp.OCSPCertStatus.GOOD:
            raise EidError("cert_unknown", detail="OCSP status unknown")

    def _fetch(self, url: str, body: bytes) -> ocsp.OCSPResponse:
        try:
            reply = self._http.post(url, data=body, timeout=self.config.timeout, headers={
                "Content-Type": "application/ocsp-request", "Accept": "application/ocsp-response"})
        except requests.RequestException as exc:
            raise unavailable(f"{url}: {exc!r}") from exc
        if reply.status_code != 200:
            raise unavailable(f"{url}: HTTP {reply.status_code}")
        try:
            response = ocsp.load_der_ocsp_response(reply.content)
        except ValueError as exc:
            raise unavailable(f"{url}: not an OCSP response: {exc}") from exc
        if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
            raise unavailable(f"{url}: responder says {response.response_status.name}")
        return response

    def _accept(self, response: ocsp.OCSPResponse, request: ocsp.OCSPRequest,
                issuer: x509.Certificate, now: dt.datetime) -> ocsp.OCSPSingleResponse:
        # RFC 6960 §3.2 (1): the response is for the certificate in the request, and only it
        singles = list(response.responses)
        if len(singles) != 1:
            raise unavailable(f"{len(singles)} single responses, expected 1")
        single = singles[0]
        if (single.serial_number != request.serial_number
                or single.issuer_key_hash != request.issuer_key_hash
                or single.issuer_name_hash != request.issuer_name_hash
                or single.hash_algorithm.name != request.hash_algorithm.name):
            raise unavailable("response is for another certificate")
        # (2)-(4): a valid signature by the CA or by a responder the CA authorised
        signer = _authorised_signer(response, issuer, now)
        _verify(signer.public_key(), response.signature, response.tbs_response_bytes,
                response.signature_hash_algorithm)
        # (5)-(6): thisUpdate recent, nextUpdate not passed (with skew)
        skew, max_age = self.config.allowed_skew, self.config.max_this_update_age
        if single.this_update_utc > now + skew:
            raise unavailable(f"thisUpdate {single.this_update_utc} is in the future")
        if single.this_update_utc < now - max_age:
            raise unavailable(f"thisUpdate {single.this_update_utc} is too old")
        next_update = single.next_update_utc
        if next_update is not None and (next_update < now - skew
                                        or next_update < single.this_update_utc):
            raise unavailable(f"nextUpdate {next_update} has passed")
        return single


def _key_hash(certificate: x509.Certificate) -> bytes:
    return x509.SubjectKeyIdentifier.from_public_key(certificate.public_key()).digest


def _authorised_signer(response: ocsp.OCSPResponse, issuer: x509.Certificate,
                       now: dt.datetime) -> x509.Certificate:
    def names(cert: x509.Certificate) -> bool:
        if response.responder_key_hash is not None:
            return response.responder_key_hash == _key_hash(cert)
        return response.responder_name == cert.subject

    if names(issuer):
        return issuer
    for cert in response.certificates:
        if not names(cert):
            continue
        try:
            cert.verify_directly_issued_by(issuer)
            usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except (InvalidSignature, ValueError, TypeError, x509.ExtensionNotFound):
            continue
        if OCSP_SIGNING in usages and cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            return cert
    raise unavailable("response is not signed by the CA or a responder it authorised")


def _verify(key: object, signature: bytes, data: bytes,
            algorithm: hashes.HashAlgorithm | None) -> None:
    try:
        if isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(signature, data, ec.ECDSA(algorithm))
        else:
            raise unavailable(f"unsupported OCSP signature key {type(key).__name__}")
    except InvalidSignature:
        raise unavailable("OCSP response signature is invalid") from None


def _check_nonce(response: ocsp.OCSPResponse, nonce: bytes) -> None:
    try:
        echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        raise unavailable("OCSP response has no nonce (possible replay)") from None
    if echoed != nonce:
        raise unavailable("OCSP response nonce differs (possible replay)")
