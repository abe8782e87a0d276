"""Refusal texts, identity extraction and the packaged trust anchors."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from idp.eid import testpki, trust
from idp.eid.errors import EidError
from idp.eid.identity import identity_from_certificate
from idp.eid.smartid import SmartIdError
from idp.eid.smartid.errors import END_RESULTS
from idp.eid.webeid import WebEidError


@pytest.mark.parametrize("error_class", [EidError, WebEidError, SmartIdError])
def test_every_reason_has_an_estonian_and_an_english_text(error_class):
    for reason in error_class.MESSAGES:
        error = error_class(reason)
        et, en = error.message("et"), error.message("en")
        assert et and en and et != en, reason
        assert error.message("et-EE") == et and error.message("en-GB") == en


def test_unknown_reason_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown"):
        WebEidError("no_such_reason")


def test_detail_is_for_logs_not_for_people():
    error = WebEidError("revoked", detail="serial 0x1234 revoked at 2026-01-01")
    assert "0x1234" in str(error) and "0x1234" not in error.message("en")


def test_every_documented_end_result_has_a_reason():
    documented = {"USER_REFUSED", "TIMEOUT", "DOCUMENT_UNUSABLE", "WRONG_VC",
                  "REQUIRED_INTERACTION_NOT_SUPPORTED_BY_APP", "USER_REFUSED_CERT_CHOICE",
                  "USER_REFUSED_INTERACTION", "PROTOCOL_FAILURE", "EXPECTED_LINKED_SESSION",
                  "SERVER_ERROR", "ACCOUNT_UNUSABLE"}
    assert documented == set(END_RESULTS)
    assert all(reason in SmartIdError.MESSAGES for reason in END_RESULTS.values())


@pytest.fixture(scope="module")
def ca():
    return testpki.make_ca("TEST CA")


def certificate(ca, subject):
    key = ec.generate_private_key(ec.SECP256R1())
    return testpki.issue(ca, key.public_key(), x509.Name(subject), not_before=testpki.LONG_AGO,
                         not_after=testpki.FAR_AHEAD, usage=testpki.key_usage(),
                         eku=(ExtendedKeyUsageOID.CLIENT_AUTH,))


def test_legacy_serial_number_without_prefix(ca):
    cert = certificate(ca, [x509.NameAttribute(NameOID.SERIAL_NUMBER, "60001019906"),
                            x509.NameAttribute(NameOID.GIVEN_NAME, "MARY ÄNN"),
                            x509.NameAttribute(NameOID.SURNAME, "O’CONNEŽ-ŠUSLIK TESTNUMBER")])
    person = identity_from_certificate(cert, method="idcard", level="high")
    assert (person.isikukood, person.given_name, person.sex) == ("60001019906", "MARY ÄNN",
                                                                 "female")


@pytest.mark.parametrize("subject", [
    [x509.NameAttribute(NameOID.SERIAL_NUMBER, "PNOEE-38001085718"),
     x509.NameAttribute(NameOID.COMMON_NAME, "JÕEORG,JAAK-KRISTJAN,38001085718")],
    [x509.NameAttribute(NameOID.SERIAL_NUMBER, "IDCEE-AB0123456"),
     x509.NameAttribute(NameOID.GIVEN_NAME, "A"), x509.NameAttribute(NameOID.SURNAME, "B")],
    [x509.NameAttribute(NameOID.COMMON_NAME, "JÕEORG,JAAK-KRISTJAN,38001085718"),
     x509.NameAttribute(NameOID.GIVEN_NAME, "A"), x509.NameAttribute(NameOID.SURNAME, "B")],
], ids=["names-only-in-CN", "document-number-not-person", "no-serialNumber"])
def test_identity_never_comes_from_the_cn(ca, subject):
    with pytest.raises(EidError) as refused:
        identity_from_certificate(certificate(ca, subject), method="idcard", level="high")
    assert refused.value.reason == "unsupported_identity"


def common_names(certificates):
    return {c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value for c in certificates}


def test_production_id_card_issuers_come_from_esteid_certificates():
    assert common_names(trust.idcard_cas()) == {"ESTEID2018", "ESTEID2025"}
    assert common_names(trust.idcard_cas(test=True)) == {"TEST of ESTEID2018", "Test ESTEID2025"}


def test_production_smart_id_issuers_come_from_esteid_certificates():
    assert common_names(trust.smartid_cas()) == {
        "SK ID Solutions EID-Q 2024E", "SK ID Solutions EID-Q 2024R",
        "SK ID Solutions EID-Q 2021E", "SK ID Solutions EID-Q 2021R",
        "SK ID Solutions EID-NQ 2021E", "SK ID Solutions EID-NQ 2021R"}
    assert all(name.startswith("TEST of ") for name in common_names(trust.smartid_cas(test=True)))


def test_test_cas_are_added_from_pem_files(tmp_path, ca):
    bundle = tmp_path / "test-cas.pem"
    bundle.write_bytes(ca.certificate_pem() + testpki.make_ca("TEST CA 2").certificate_pem())
    assert common_names(trust.idcard_cas(extra_pem_files=[bundle])) == {
        "ESTEID2018", "ESTEID2025", "TEST CA", "TEST CA 2"}
