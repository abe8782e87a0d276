"""The documented Smart-ID RP API v3 test vectors (research file §2.4, §2.5, §2.7, §2.8; SK's
"authCode calculation", "Notification based flows", "Signature protocols", "Callback URLs")."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from idp.eid.smartid import protocol as p
from idp.eid.smartid.errors import SmartIdError

SECRET = "B98ODiVCebRedSwdTk51zFSaGYyHtY1H2A0ocAi3/Ps="
RP_CHALLENGE = ("GYS+yoah6emAcVDNIajwSs6UB/M95XrDxMzXBUkwQJ9YFDipXXzGpPc7raWcuc2+TEoRc7WvIZ/7dU/"
                "iRXenYg==")
INTERACTIONS = ("W3sidHlwZSI6ImNvbmZpcm1hdGlvbk1lc3NhZ2UiLCJkaXNwbGF5VGV4dDIwMCI6IkxvbmdlciBkZXN"
                "jcmlwdGlvbiBvZiB0aGUgdHJhbnNhY3Rpb24gY29udGV4dCJ9LHsidHlwZSI6ImRpc3BsYXlUZXh0QW5k"
                "UElOIiwiZGlzcGxheVRleHQ2MCI6IlNob3J0IGRlc2NyaXB0aW9uIG9mIHRoZSB0cmFuc2FjdGlvbiBj"
                "b250ZXh0In1d")
CALLBACK = "https://rp.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bQ"
LINK = ("https://smart-id.com/device-link?deviceLinkType=Web2App&sessionToken="
        "wGIrqveE6AuGDATZKmR1mtAZ&sessionType=auth&version=1.0&lang=eng")
SERVER_RANDOM = "MTlop6EXCrQ6FOErcKjxUhbV"
VERIFIER = "XtPfaGa8JnGtYrJjboooUf0KfY9sMEHrWFpSQrsUv9c"
USER_CHALLENGE = "GnsWXXEjTCKR89fj9uo5u5ReBZ9JR7_pezLAI5jMS00"


def test_interactions_encode_to_the_documented_string():
    assert p.encode_interactions([
        p.confirmation_message("Longer description of the transaction context"),
        p.display_text_and_pin("Short description of the transaction context"),
    ]) == INTERACTIONS


def test_unprotected_web2app_link_is_the_documented_one():
    assert p.unprotected_device_link("https://smart-id.com/device-link", link_type="Web2App",
                                     session_token="wGIrqveE6AuGDATZKmR1mtAZ", lang="eng") == LINK


def test_qr_link_carries_elapsed_seconds_in_its_place():
    link = p.unprotected_device_link("https://smart-id.com/device-link", link_type="QR",
                                     session_token="tok", lang="est", elapsed_seconds=7)
    assert link == ("https://smart-id.com/device-link?deviceLinkType=QR&elapsedSeconds=7"
                    "&sessionToken=tok&sessionType=auth&version=1.0&lang=est")


def test_auth_code_vector():
    assert p.auth_code(session_secret=SECRET, scheme_name="smart-id", rp_challenge=RP_CHALLENGE,
                       rp_name="DEMO", brokered_rp_name="Example RP", interactions=INTERACTIONS,
                       initial_callback_url=CALLBACK, unprotected_link=LINK) == \
        "aegUh6gCKkXBJhhvtJqSTWB5_2W8TDQt5eZ7db6krv0"


def test_verification_code_vector():
    assert p.verification_code(RP_CHALLENGE) == "7180"


def test_verification_code_keeps_leading_zeros():
    challenge = next(c for c in (base64.b64encode(bytes([i]) * 32).decode() for i in range(256))
                     if int(p.verification_code(c)) < 1000)
    code = p.verification_code(challenge)
    assert len(code) == 4 and code.startswith("0")


def test_acsp_v2_payload_digest_vector():
    payload = p.acsp_v2_payload(
        scheme_name="smart-id", server_random=SERVER_RANDOM, rp_challenge=RP_CHALLENGE,
        user_challenge=USER_CHALLENGE, rp_name="DEMO", brokered_rp_name="Example RP",
        interactions=INTERACTIONS, interaction_type_used="confirmationMessage",
        initial_callback_url=CALLBACK, flow_type="Web2App")
    assert base64.b64encode(hashlib.sha512(payload).digest()).decode() == (
        "pKOjbNl/5Fy8NfrFqsj6pSn8W8O+Ik8rM33QSsbyD3J9qDJvEm90SboUciuY4wHGWa0Pnq8BgT3NJKmJiUDfKg==")


def test_empty_fields_keep_their_separators():
    payload = p.acsp_v2_payload(
        scheme_name="smart-id", server_random=SERVER_RANDOM, rp_challenge=RP_CHALLENGE,
        user_challenge=USER_CHALLENGE, rp_name="DEMO", brokered_rp_name="",
        interactions=INTERACTIONS, interaction_type_used="displayTextAndPIN",
        initial_callback_url="", flow_type="QR")
    assert payload.decode().endswith("|REVNTw==||" + base64.b64encode(
        hashlib.sha256(INTERACTIONS.encode()).digest()).decode() + "|displayTextAndPIN||QR")


def test_callback_vectors():
    assert p.session_secret_digest(SECRET) == "U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc"
    assert p.user_challenge_of(VERIFIER) == USER_CHALLENGE


def test_rp_challenge_is_fresh_base64_of_64_bytes():
    first, second = p.new_rp_challenge(), p.new_rp_challenge()
    assert len(base64.b64decode(first)) == 64 and first != second
    with pytest.raises(ValueError):
        p.new_rp_challenge(16)


# -- ACSP_V2 signature: RSASSA-PSS, SHA-512, MGF1-SHA-512, salt 64, trailer 0xbc ------------------

@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def signature_of(key, payload, **changes):
    params = {"hashAlgorithm": "SHA-512", "saltLength": 64, "trailerField": "0xbc",
              "maskGenAlgorithm": {"algorithm": "id-mgf1",
                                   "parameters": {"hashAlgorithm": "SHA-512"}}}
    signature = {"value": base64.b64encode(key.sign(payload, *p.pss("SHA-512"))).decode(),
                 "signatureAlgorithm": "rsassa-pss", "signatureAlgorithmParameters": params}
    for name, value in changes.items():
        (params if name in params else signature)[name] = value
    return signature


def test_pss_signature_over_the_payload_verifies(rsa_key):
    p.verify_acsp_v2_signature(rsa_key.public_key(), signature_of(rsa_key, b"payload"), b"payload",
                               hash_name="SHA-512")


@pytest.mark.parametrize("changes", [
    {"saltLength": 32}, {"hashAlgorithm": "SHA-256"}, {"trailerField": "0x01"},
    {"signatureAlgorithm": "sha512WithRSAEncryption"}, {"value": "bm90IGEgc2lnbmF0dXJl"},
    {"value": "***"},
], ids=["salt", "hash-downgrade", "trailer", "algorithm", "wrong-value", "not-base64"])
def test_signature_with_other_parameters_is_refused(rsa_key, changes):
    with pytest.raises(SmartIdError) as refused:
        p.verify_acsp_v2_signature(rsa_key.public_key(), signature_of(rsa_key, b"payload",
                                                                      **changes),
                                   b"payload", hash_name="SHA-512")
    assert refused.value.reason == "bad_signature"


def test_signature_over_another_payload_is_refused(rsa_key):
    with pytest.raises(SmartIdError) as refused:
        p.verify_acsp_v2_signature(rsa_key.public_key(), signature_of(rsa_key, b"payload"),
                                   b"payloaD", hash_name="SHA-512")
    assert refused.value.reason == "bad_signature"
