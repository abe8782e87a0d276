"""OCSP through the certificate's AIA, RFC 6960 §3.2 acceptance rules as in Web eID's
OcspCertificateRevocationChecker, against a real responder on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from idp.eid import testpki
from idp.eid.errors import EidError
from idp.eid.ocsp import OcspChecker, OcspConfig

from .support import NOW

pytestmark = pytest.mark.e2e


def outcome(checker, cert, ca, now=NOW) -> str:
    try:
        checker.check(cert, ca.certificate, now=now)
    except EidError as error:
        return error.reason
    return "good"


@pytest.mark.parametrize(("mode", "reason"), [
    ("normal", "good"),
    ("http_error", "ocsp_unavailable"),
    ("garbage", "ocsp_unavailable"),
    ("try_later", "ocsp_unavailable"),
    ("bad_signature", "ocsp_unavailable"),
    ("stale", "ocsp_unavailable"),
    ("no_nonce", "ocsp_unavailable"),
    ("wrong_nonce", "ocsp_unavailable"),
    ("other_serial", "ocsp_unavailable"),
], ids=["good", "RFC6960-http-error", "not-ocsp", "tryLater", "3.2-2-signature",
        "3.2-5-thisUpdate-too-old", "RFC8954-nonce-missing", "RFC8954-nonce-differs",
        "3.2-1-other-certificate"])
def test_responder_answers(issue_card, idcard_ca, ocsp_responder, ocsp_checker, mode, reason):
    responder, _ = ocsp_responder
    responder.mode = mode
    assert outcome(ocsp_checker, issue_card(), idcard_ca) == reason
    assert responder.requests == 1


def test_revoked_and_unknown(issue_card, idcard_ca, ocsp_responder, ocsp_checker):
    revoked, unknown = issue_card(), issue_card()
    ocsp_responder[0].revoked.add(revoked.serial_number)
    ocsp_responder[0].unknown.add(unknown.serial_number)
    assert outcome(ocsp_checker, revoked, idcard_ca) == "revoked"
    assert outcome(ocsp_checker, unknown, idcard_ca) == "cert_unknown"


def test_this_update_in_the_future_beyond_skew(issue_card, idcard_ca, ocsp_responder,
                                               ocsp_checker):
    cert = issue_card()
    assert outcome(ocsp_checker, cert, idcard_ca, now=NOW - dt.timedelta(minutes=14)) == "good"
    assert outcome(ocsp_checker, cert, idcard_ca, now=NOW - dt.timedelta(minutes=16)) == \
        "ocsp_unavailable"


def test_nonce_can_be_switched_off_for_a_responder_without_it(issue_card, idcard_ca,
                                                             ocsp_responder):
    ocsp_responder[0].mode = "no_nonce"
    assert outcome(OcspChecker(OcspConfig(use_nonce=False)), issue_card(), idcard_ca) == "good"


def delegated(ca: testpki.TestCa, eku) -> testpki.TestCa:
    key = ec.generate_private_key(ec.SECP384R1())
    from cryptography import x509
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TEST OCSP RESPONDER")])
    cert = testpki.issue(ca, key.public_key(), name, not_before=testpki.LONG_AGO,
                         not_after=testpki.FAR_AHEAD, usage=testpki.key_usage(), eku=eku)
    return testpki.TestCa(cert, key)


def test_responder_certificate_issued_by_the_ca(issue_card, idcard_ca, ocsp_responder, clock,
                                                ocsp_checker):
    ocsp_responder[0].reset(clock, delegated(idcard_ca, [ExtendedKeyUsageOID.OCSP_SIGNING]))
    assert outcome(ocsp_checker, issue_card(), idcard_ca) == "good"


@pytest.mark.parametrize("signer", ["no-ocsp-signing-eku", "issued-by-another-ca"])
def test_responder_certificate_the_ca_did_not_authorise(issue_card, idcard_ca, other_ca,
                                                        ocsp_responder, clock, ocsp_checker,
                                                        signer):
    responder = delegated(idcard_ca, [ExtendedKeyUsageOID.CLIENT_AUTH]) \
        if signer == "no-ocsp-signing-eku" else delegated(other_ca, [ExtendedKeyUsageOID.OCSP_SIGNING])
    ocsp_responder[0].reset(clock, responder)
    assert outcome(ocsp_checker, issue_card(), idcard_ca) == "ocsp_unavailable"


def test_certificate_without_aia(issue_card, idcard_ca, ocsp_checker):
    assert outcome(ocsp_checker, issue_card(ocsp_url=None), idcard_ca) == "ocsp_unavailable"


def test_responder_that_does_not_listen(issue_card, idcard_ca, ocsp_checker):
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    cert = issue_card(ocsp_url=f"http://127.0.0.1:{port}/ocsp")
    assert outcome(ocsp_checker, cert, idcard_ca) == "ocsp_unavailable"
