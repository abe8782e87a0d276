"""Fixtures for the eID tests: test CAs, ID-card-like certificates, a local OCSP responder."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from idp.eid import testpki
from idp.eid.ocsp import OcspChecker
from tests.e2e.servers import bind

from .support import Clock, OcspResponder


@pytest.fixture(scope="session")
def idcard_ca() -> testpki.TestCa:
    return testpki.make_ca("TEST of ESTEID-like CA")


@pytest.fixture(scope="session")
def other_ca() -> testpki.TestCa:
    """A CA with the very same name as ``idcard_ca`` but another key: not trusted."""
    return testpki.make_ca("TEST of ESTEID-like CA")


@pytest.fixture(scope="session")
def card_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def ocsp_server(idcard_ca: testpki.TestCa) -> Iterator[tuple[OcspResponder, str]]:
    """A real OCSP responder for ``idcard_ca`` on 127.0.0.1, one for the session (stopping a
    werkzeug server takes half a second)."""
    responder = OcspResponder(idcard_ca, Clock())
    served = bind()
    served.attach(responder.app)
    yield responder, f"{served.url}/ocsp"
    served.stop()


@pytest.fixture
def ocsp_responder(ocsp_server: tuple[OcspResponder, str],
                   clock: Clock) -> tuple[OcspResponder, str]:
    """The responder, reset for this test and answering on this test's clock; its URL goes into
    the certificates' AIA."""
    responder, _ = ocsp_server
    responder.reset(clock)
    return ocsp_server


@pytest.fixture
def ocsp_checker() -> OcspChecker:
    return OcspChecker()


@pytest.fixture
def issue_card(idcard_ca: testpki.TestCa, card_key: ec.EllipticCurvePrivateKey,
               ocsp_responder: tuple[OcspResponder, str]) -> Callable[..., x509.Certificate]:
    """An ID-card authentication certificate for JÕEORG, JAAK-KRISTJAN (38001085718) whose AIA
    points at the local OCSP responder; keyword arguments override the profile."""
    def issue(**overrides: object) -> x509.Certificate:
        ca = overrides.pop("ca", idcard_ca)
        key = overrides.pop("public_key", card_key.public_key())
        args: dict[str, object] = {"personal_code": "38001085718", "given_name": "JAAK-KRISTJAN",
                                   "family_name": "JÕEORG", "ocsp_url": ocsp_responder[1]}
        return testpki.idcard_auth_certificate(ca, key, **{**args, **overrides})  # type: ignore[arg-type]
    return issue
