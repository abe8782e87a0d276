"""Web eID authentication token validation, every rule of web-eid-authtoken-validation-java
(AuthTokenValidatorImpl and its validators), over real signatures and a real local OCSP
responder. Test ids name the rule."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from idp.eid import testpki
from idp.eid.webeid import (
    InMemoryNonceStore,
    WebEidError,
    issue_challenge,
    take_challenge,
    validate_auth_token,
)

from .support import NOW, ORIGIN, sign_web_eid

NONCE = "x4pIOhZNNgApS1ES3iL5IfoXy/jQzPN0tWfbPqAAGlE="  # 32 bytes, Base64
pytestmark = pytest.mark.e2e  # the OCSP responder runs on a real socket


@pytest.fixture
def validate(idcard_ca, ocsp_checker):
    def run(token, *, nonce=NONCE, now=NOW, cas=None, ocsp=ocsp_checker, **kwargs):
        return validate_auth_token(token, challenge_nonce=nonce, origin=ORIGIN, now=now,
                                   trusted_cas=[idcard_ca.certificate] if cas is None else cas, ocsp=ocsp,
                                   **kwargs)
    return run


def refused(run, *args, **kwargs) -> str:
    with pytest.raises(WebEidError) as error:
        run(*args, **kwargs)
    assert error.value.message("et") and error.value.message("en")
    return error.value.reason


# -- success ------------------------------------------------------------------------------------

def test_es384_token_of_an_id_card_gives_the_person(validate, issue_card, card_key,
                                                    ocsp_responder):
    token = sign_web_eid(card_key, issue_card(), "ES384", nonce=NONCE)
    person = validate(token)
    assert (person.isikukood, person.given_name, person.family_name) == (
        "38001085718", "JAAK-KRISTJAN", "JÕEORG")
    assert (person.method, person.level, person.country) == ("idcard", "high", "EE")
    assert person.birthdate == dt.date(1980, 1, 8) and person.sex == "male"
    assert "38001085718" not in repr(person)
    assert ocsp_responder[0].requests == 1


@pytest.mark.parametrize(("algorithm", "make_key"), [
    ("ES256", lambda: ec.generate_private_key(ec.SECP256R1())),
    ("ES512", lambda: ec.generate_private_key(ec.SECP521R1())),
    ("RS256", lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    ("PS256", lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    ("PS384", lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)),
], ids=["ES256", "ES512", "RS256", "PS256", "PS384"])
def test_every_supported_algorithm_verifies(validate, issue_card, algorithm, make_key):
    key = make_key()
    token = sign_web_eid(key, issue_card(public_key=key.public_key()), algorithm, nonce=NONCE)
    assert validate(token).isikukood == "38001085718"


@pytest.mark.parametrize("token_format", ["web-eid:1", "web-eid:1.0", "web-eid:1.1"])
def test_token_format_major_version_1_is_accepted(validate, issue_card, card_key, token_format):
    token = sign_web_eid(card_key, issue_card(), "ES384", nonce=NONCE, token_format=token_format)
    assert validate(token).isikukood == "38001085718"


def test_ocsp_switched_off_asks_no_responder(validate, issue_card, card_key, ocsp_responder):
    token = sign_web_eid(card_key, issue_card(), "ES384", nonce=NONCE)
    assert validate(token, ocsp=None).isikukood == "38001085718"
    assert ocsp_responder[0].requests == 0


def test_full_challenge_round_trip_and_replay(validate, issue_card, card_key):
    store = InMemoryNonceStore()
    nonce = issue_challenge(store, "browser-1", now=NOW)
    token = sign_web_eid(card_key, issue_card(), "ES384", nonce=nonce)
    assert validate(token, nonce=take_challenge(store, "browser-1", now=NOW))
    # the same token again: its nonce is gone
    assert refused(take_challenge, store, "browser-1", now=NOW) == "nonce_invalid"


# -- origin and nonce ---------------------------------------------------------------------------

def test_token_for_another_origin_fails_its_signature(validate, issue_card, card_key):
    token = sign_web_eid(card_key, issue_card(), "ES384", nonce=NONCE,
                         origin="https://phishing.example")
    assert refused(validate, token) == "bad_signature"


def test_post_from_another_origin_is_refused_first(validate, issue_card, card_key, ocsp_responder):
    token = sign_web_eid(card_key, issue_card(), "ES384", nonce=NONCE)
    assert refused(validate, token, request_origin="https://phishing.example") == "origin_mismatch"
    assert validate(token, request_origin=ORIGIN)
    assert ocsp_responder[0].requests == 1


@pytest.mark.parametrize("origin", ["http://idp.example.ee", "https://idp.example.ee/",
                                    "https://idp.example.ee/login", "https://u@idp.example.ee"])
def test_configured_origin_must_be_a_bare_https_origin(issue_card, card_key, idcard_ca, origin):
    token = sign_web_eid(card_key, issue_card(), "ES384", nonce=NONCE)
    with pytest.raises(ValueError, match="origin"):
        validate_auth_token(token, challenge_nonce=NONCE, origin=origin, now=NOW,
                            trusted_cas=[idcard_ca.certificate], ocsp=None)


def test_token_signed_over_another_nonce_is_refused(validate, issue_card, card_key):
    token = sign_web_eid(card_key, issue_card(), "ES384", nonce=NONCE)
    other = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    assert refused(validate, token, nonce=other) == "bad_signature"


@pytest.mark.parametrize("nonce", ["", "short"], ids=["empty", "under-256-bits"])
def test_missing_or_short_challenge_is_refused(validate, issue_card, card_key, nonce):
    token = sign_web_eid(card_key, issue_card(), "ES384", nonce=nonce)
    assert refused(validate, token, nonce=nonce) == "nonce_invalid"


# -- certificate --------------------------------------------------------------------------------

def test_expired_certificate(validate, issue_card, card_key):
    cert = issue_card(not_before=NOW - dt.timedelta(days=1900), not_after=NOW - dt.timedelta(days=1))
    assert refused(validate, sign_web_eid(card_key, cert, "ES384", nonce=NONCE)) == "cert_expired"


def test_not_yet_valid_certificate(validate, issue_card, card_key):
    cert = issue_card(not_before=NOW + dt.timedelta(hours=1))
    assert refused(validate, sign_web_eid(card_key, cert, "ES384", nonce=NONCE)) == \
        "cert_not_yet_valid"


@pytest.mark.parametrize("profile", [
    {"eku": (ExtendedKeyUsageOID.EMAIL_PROTECTION,)},
    {"eku": None},
    {"usage": testpki.key_usage(digital_signature=False, non_repudiation=True)},
], ids=["eku-without-clientAuth", "no-eku", "keyUsage-without-digitalSignature"])
def test_certificate_for_another_purpose(validate, issue_card, card_key, profile):
    cert = issue_card(**profile)
    assert refused(validate, sign_web_eid(card_key, cert, "ES384", nonce=NONCE)) == "wrong_purpose"


def test_certificate_of_a_same_named_ca_with_another_key(validate, issue_card, card_key, other_ca):
    cert = issue_card(ca=other_ca)
    assert refused(validate, sign_web_eid(card_key, cert, "ES384", nonce=NONCE)) == \
        "untrusted_chain"


def test_certificate_of_an_unconfigured_ca(validate, issue_card, card_key):
    stranger = testpki.make_ca("Some other CA")
    cert = issue_card(ca=stranger)
    assert refused(validate, sign_web_eid(card_key, cert, "ES384", nonce=NONCE)) == \
        "untrusted_chain"


def test_certificate_whose_ca_has_expired(validate, issue_card, card_key):
    old_ca = testpki.make_ca("Old CA", not_after=NOW - dt.timedelta(days=1))
    cert = issue_card(ca=old_ca)
    token = sign_web_eid(card_key, cert, "ES384", nonce=NONCE)
    assert refused(validate, token, cas=[old_ca.certificate]) == "untrusted_chain"


def test_mobile_id_policy_is_disallowed_by_default(validate, issue_card, card_key):
    cert = issue_card(policies=("1.3.6.1.4.1.10015.1.3.2", "0.4.0.2042.1.2"))
    token = sign_web_eid(card_key, cert, "ES384", nonce=NONCE)
    assert refused(validate, token) == "disallowed_policy"


def test_disallowed_policies_are_configurable(validate, issue_card, card_key):
    token = sign_web_eid(card_key, issue_card(), "ES384", nonce=NONCE)
    assert refused(validate, token, disallowed_policies=["0.4.0.2042.1.2"]) == "disallowed_policy"


@pytest.mark.parametrize("code", ["38001085717", "3800108571"], ids=["bad-checksum", "10-digits"])
def test_identity_must_be_a_valid_isikukood(validate, issue_card, card_key, code):
    cert = issue_card(personal_code=code)
    assert refused(validate, sign_web_eid(card_key, cert, "ES384", nonce=NONCE)) == \
        "unsupported_identity"


def test_foreign_personal_number_is_not_an_isikukood(validate, idcard_ca, card_key, ocsp_responder):
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    name = x509.Name([x509.NameAttribute(NameOID.SERIAL_NUMBER, "PNOLV-010180-12345"),
                      x509.NameAttribute(NameOID.GIVEN_NAME, "JĀNIS"),
                      x509.NameAttribute(NameOID.SURNAME, "BĒRZIŅŠ")])
    cert = testpki.issue(idcard_ca, card_key.public_key(), name, not_before=testpki.LONG_AGO,
                         not_after=testpki.FAR_AHEAD, usage=testpki.key_usage(),
                         eku=(ExtendedKeyUsageOID.CLIENT_AUTH,), ocsp_url=ocsp_responder[1])
    assert refused(validate, sign_web_eid(card_key, cert, "ES384", nonce=NONCE)) == \
        "unsupported_identity"


# -- signature ----------------------------------------------------------------------------------

def test_tampered_signature(validate, issue_card, card_key):
    import base64
    token = sign_web_eid(card_key, issue_card(), "ES384", nonce=NONCE)
    raw = bytearray(base64.b64decode(token["signature"]))
    raw[10] ^= 1
    token["signature"] = base64.b64encode(bytes(raw)).decode()
    assert refused(validate, token) == "bad_signature"


def test_ecdsa_signature_of_the_wrong_length(validate, issue_card, card_key):
    token = sign_web_eid(card_key, issue_card(), "ES384", nonce=NONCE)
    token["signature"] = token["signature"][:-8] + "AAAAAAA="
    import base64
    token["signature"] = base64.b64encode(base64.b64decode(token["signature"])[:-1]).decode()
    assert refused(validate, token) == "bad_signature"


def test_algorithm_that_does_not_fit_the_key(validate, issue_card, card_key):
    token = sign_web_eid(card_key, issue_card(), "ES384", nonce=NONCE)
    token["algorithm"] = "RS384"
    assert refused(validate, token) == "bad_signature"


# -- malformed tokens ---------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "value"), [
    ("format", "web-eid:2"), ("format", "web-eid:10"), ("format", None),
    ("algorithm", "HS256"), ("algorithm", "none"),
    ("signature", "not base64!"), ("signature", ""),
    ("unverifiedCertificate", "AAAA"), ("unverifiedCertificate", None),
    ("appVersion", 2),
], ids=lambda v: str(v))
def test_malformed_token(validate, issue_card, card_key, change, value):
    token = sign_web_eid(card_key, issue_card(), "ES384", nonce=NONCE)
    token[change] = value
    assert refused(validate, token) == "malformed"


@pytest.mark.parametrize("token", [None, [], "token"], ids=["null", "array", "string"])
def test_token_that_is_not_an_object(validate, token):
    assert refused(validate, token) == "malformed"


# -- revocation (OCSP) ---------------------------------------------------------------------------

def test_revoked_certificate(validate, issue_card, card_key, ocsp_responder):
    cert = issue_card()
    ocsp_responder[0].revoked.add(cert.serial_number)
    assert refused(validate, sign_web_eid(card_key, cert, "ES384", nonce=NONCE)) == "revoked"


def test_no_signature_no_ocsp_request(validate, issue_card, card_key, ocsp_responder):
    token = sign_web_eid(card_key, issue_card(), "ES384", nonce=NONCE, origin="https://x.example")
    assert refused(validate, token) == "bad_signature"
    assert ocsp_responder[0].requests == 0
