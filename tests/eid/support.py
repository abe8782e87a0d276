"""Test support for the eID tests: a settable clock, ID-card-like tokens signed for real, a local
OCSP responder, and serving WSGI apps on 127.0.0.1 (``tests.e2e.servers``)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509 import ocsp
from flask import Flask, Response, request

from idp.eid.testpki import TestCa

NOW = dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)
ORIGIN = "https://idp.example.ee"
APP_VERSION = "https://web-eid.eu/web-eid-app/releases/2.5.0+0"
HASHLIB = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}
HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


class Clock:
    """A clock the test moves by hand (never sleeps)."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sign_web_eid(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
                 certificate: x509.Certificate, algorithm: str, *, origin: str = ORIGIN,
                 nonce: str, token_format: str = "web-eid:1.0") -> dict[str, str]:
    """What the Web eID app returns: a signature over hash(origin) || hash(nonce), computed here
    independently of the code under test (hashlib; raw r||s for ECDSA, as the card gives it)."""
    bits = algorithm[2:]
    data = HASHLIB[bits](origin.encode()).digest() + HASHLIB[bits](nonce.encode()).digest()
    h = HASHES[bits]()
    if algorithm.startswith("ES"):
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(h)))
        size = (key.curve.key_size + 7) // 8
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    elif algorithm.startswith("PS"):
        assert isinstance(key, rsa.RSAPrivateKey)
        signature = key.sign(data, padding.PSS(padding.MGF1(h), h.digest_size), h)
    else:
        assert isinstance(key, rsa.RSAPrivateKey)
        signature = key.sign(data, padding.PKCS1v15(), h)
    return {"unverifiedCertificate": b64(certificate.public_bytes(serialization.Encoding.DER)),
            "algorithm": algorithm, "signature": b64(signature), "format": token_format,
            "appVersion": APP_VERSION}


class OcspResponder:
    """A real OCSP responder (RFC 6960 over HTTP POST) for one CA, answering from ``revoked`` /
    ``unknown``; ``mode`` makes it misbehave: ``http_error``, ``garbage``, ``bad_signature``,
    ``stale``, ``no_nonce``, ``wrong_nonce``, ``try_later``, ``other_serial``."""

    def __init__(self, ca: TestCa, clock: Clock, signer: TestCa | None = None) -> None:
        self.ca = ca
        self.reset(clock, signer)
        self.app = Flask("ocsp-responder")
        self.app.add_url_rule("/ocsp", "ocsp", self.answer, methods=["POST"])

    def reset(self, clock: Clock, signer: TestCa | None = None) -> None:
        self.clock, self.signer = clock, signer or self.ca
        self.revoked: set[int] = set()
        self.unknown: set[int] = set()
        self.mode = "normal"
        self.requests = 0

    def answer(self) -> Response:
        self.requests += 1
        assert request.content_type == "application/ocsp-request"
        if self.mode == "http_error":
            return Response("down", status=503)
        if self.mode == "garbage":
            return Response(b"not ocsp", mimetype="application/ocsp-response")
        asked = ocsp.load_der_ocsp_request(request.get_data())
        if self.mode == "try_later":
            body = ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.TRY_LATER)
            return self._reply(body)
        serial = asked.serial_number + (1 if self.mode == "other_serial" else 0)
        status = (ocsp.OCSPCertStatus.REVOKED if serial in self.revoked else
                  ocsp.OCSPCertStatus.UNKNOWN if serial in self.unknown else
                  ocsp.OCSPCertStatus.GOOD)
        this_update = self.clock() - dt.timedelta(minutes=10 if self.mode == "stale" else 0)
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=asked.issuer_name_hash, issuer_key_hash=asked.issuer_key_hash,
            serial_number=serial, algorithm=asked.hash_algorithm, cert_status=status,
            this_update=this_update, next_update=this_update + dt.timedelta(hours=1),
            revocation_time=this_update - dt.timedelta(days=1)
            if status == ocsp.OCSPCertStatus.REVOKED else None,
            revocation_reason=x509.ReasonFlags.key_compromise
            if status == ocsp.OCSPCertStatus.REVOKED else None)
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, self.signer.certificate)
        if self.signer is not self.ca:
            builder = builder.certificates([self.signer.certificate])
        nonce = _nonce(asked)
        if nonce is not None and self.mode != "no_nonce":
            echoed = b"x" * len(nonce) if self.mode == "wrong_nonce" else nonce
            builder = builder.add_extension(x509.OCSPNonce(echoed), critical=False)
        key = self.signer.key if self.mode != "bad_signature" else \
            ec.generate_private_key(ec.SECP384R1())
        return self._reply(builder.sign(key, hashes.SHA384()))

    @staticmethod
    def _reply(response: ocsp.OCSPResponse) -> Response:
        return Response(response.public_bytes(serialization.Encoding.DER),
                        mimetype="application/ocsp-response")


def _nonce(asked: ocsp.OCSPRequest) -> bytes | None:
    try:
        return asked.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None
