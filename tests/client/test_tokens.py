"""ID token and logout token verification: every rejection, table-driven, ids naming the rule."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey

from schools_client.errors import ConfigurationError, TokenVerificationError
from schools_client.testing import FakeIssuer, mint_id_token, mint_logout_token
from schools_client.tokens import (
    BACKCHANNEL_LOGOUT_EVENT,
    compute_at_hash,
    verify_id_token,
    verify_logout_token,
)

from .conftest import CLIENT_ID, ISSUER, T0

NONCE = "n-0S6_WzA2Mj"


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def b64_text(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def public_keys(idp: FakeIssuer) -> KeySet:
    return KeySet.import_key_set(idp.jwks)  # type: ignore[arg-type]


def id_token(idp: FakeIssuer, **kw: Any) -> str:
    kw.setdefault("audience", CLIENT_ID)
    kw.setdefault("nonce", NONCE)
    kw.setdefault("now", T0)
    kw.setdefault("sub", "isik-1")
    kw.setdefault("sid", "sid-1")
    return idp.mint_id_token(**kw)


def verify(idp: FakeIssuer, token: str, **over: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"issuer": ISSUER, "audience": CLIENT_ID, "algorithms": ("RS256", "ES256"),
                              "keys": public_keys(idp), "nonce": NONCE, "leeway": 60, "now": T0}
    kwargs.update(over)
    return verify_id_token(token, **kwargs)


def tamper(token: str) -> str:
    header, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    return ".".join([header, b64(claims), sig])


def alg_none(idp: FakeIssuer, fk: Any) -> str:
    claims = {"iss": ISSUER, "aud": CLIENT_ID, "sub": "isik-1", "iat": int(T0), "exp": int(T0) + 300,
              "nonce": NONCE}
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


def hs256(idp: FakeIssuer, fk: Any) -> str:
    claims = {"iss": ISSUER, "aud": CLIENT_ID, "sub": "isik-1", "iat": int(T0), "exp": int(T0) + 300,
              "nonce": NONCE}
    return jwt.encode({"alg": "HS256"}, claims, OctKey.import_key("client-secret-used-as-hmac-key!!"),
                      algorithms=["HS256"])


def resign_payload(idp: FakeIssuer, payload: str) -> str:
    """A token whose signature is valid over ``payload`` (any text), for payload checks."""
    header = b64({"alg": "RS256", "kid": idp.key.kid, "typ": "JWT"})
    signing_input = f"{header}.{payload}".encode()
    signature = idp.key.private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def respell_signature(token: str) -> str:
    """The same signature bytes spelled with non-zero unused trailing bits (not canonical)."""
    header, payload, sig = token.split(".")
    last = "AQgw".index(sig[-1]) if sig[-1] in "AQgw" else None
    assert last is not None, "a 256-byte RSA signature ends in one of AQgw"
    return f"{header}.{payload}.{sig[:-1]}{'BRhx'[last]}"


Build = Callable[[FakeIssuer, Any], str]

ID_TOKEN_REJECTIONS: list[tuple[str, Build, dict[str, Any], str]] = [
    ("RFC7515-5.2-bad-signature", lambda i, fk: tamper(id_token(i)), {}, "bad_signature"),
    ("OIDC-Core-3.1.3.7-6-foreign-key-same-kid",
     lambda i, fk: mint_id_token(fk, issuer=ISSUER, audience=CLIENT_ID, nonce=NONCE, now=T0), {}, "bad_signature"),
    ("RFC8725-3.1-alg-none", alg_none, {}, "alg_not_allowed"),
    ("RFC8725-3.1-alg-hs256-not-allowed", hs256, {}, "alg_not_allowed"),
    ("OIDC-Core-3.1.3.7-7-alg-not-in-allow-list", lambda i, fk: id_token(i), {"algorithms": ["ES256"]},
     "alg_not_allowed"),
    ("OIDC-Core-10.1-unknown-kid", lambda i, fk: id_token(i, header={"kid": "no-such-key"}), {}, "unknown_kid"),
    ("RFC7515-4.1.11-crit-header-refused", lambda i, fk: id_token(i, header={"b64": True, "crit": ["b64"]}), {},
     "unsupported_header"),
    ("RFC7519-7.2-malformed", lambda i, fk: "not-a-jwt", {}, "malformed"),
    ("RFC7515-2-padded-signature", lambda i, fk: id_token(i) + "==", {}, "malformed"),
    ("RFC7515-2-signature-not-base64url", lambda i, fk: id_token(i)[:-4] + "+/+/", {}, "malformed"),
    ("RFC7515-2-signature-not-canonical", lambda i, fk: respell_signature(id_token(i)), {}, "malformed"),
    ("RFC7519-7.2-payload-not-json", lambda i, fk: resign_payload(i, b64_text("not json")), {}, "malformed"),
    ("RFC7519-7.2-payload-not-object", lambda i, fk: resign_payload(i, b64_text("[1, 2]")), {}, "malformed"),
    ("OIDC-Core-3.1.3.7-2-iss-mismatch", lambda i, fk: id_token(i, iss="https://evil.example"), {},
     "iss_mismatch"),
    ("OIDC-Core-3.1.3.7-2-iss-trailing-slash", lambda i, fk: id_token(i, iss=ISSUER + "/"), {}, "iss_mismatch"),
    ("OIDC-Core-3.1.3.7-3-aud-mismatch", lambda i, fk: id_token(i, audience="other-school"), {}, "aud_mismatch"),
    ("OIDC-Core-3.1.3.7-3-aud-list-without-client", lambda i, fk: id_token(i, audience=["a", "b"], azp="a"), {},
     "aud_mismatch"),
    ("OIDC-Core-3.1.3.7-3-aud-missing", lambda i, fk: id_token(i, aud=None), {}, "aud_mismatch"),
    ("OIDC-Core-3.1.3.7-4-azp-missing-with-several-aud",
     lambda i, fk: id_token(i, audience=[CLIENT_ID, "other-school"]), {}, "azp_mismatch"),
    ("OIDC-Core-3.1.3.7-5-azp-not-client",
     lambda i, fk: id_token(i, audience=[CLIENT_ID, "other-school"], azp="other-school"), {}, "azp_mismatch"),
    ("OIDC-Core-3.1.3.7-9-expired", lambda i, fk: id_token(i, now=T0 - 361), {}, "expired"),
    ("OIDC-Core-3.1.3.7-9-exp-missing", lambda i, fk: id_token(i, exp=None), {}, "missing_claim"),
    ("OIDC-Core-3.1.3.7-9-exp-not-a-number", lambda i, fk: id_token(i, exp="tomorrow"), {}, "invalid_claim"),
    ("OIDC-Core-3.1.3.7-10-iat-future", lambda i, fk: id_token(i, now=T0 + 61), {}, "iat_future"),
    ("OIDC-Core-3.1.3.7-10-iat-missing", lambda i, fk: id_token(i, iat=None), {}, "missing_claim"),
    ("RFC7519-4.1.5-nbf-future", lambda i, fk: id_token(i, nbf=int(T0) + 120), {}, "not_yet_valid"),
    ("OIDC-Core-2-sub-missing", lambda i, fk: id_token(i, sub=None), {}, "missing_claim"),
    ("OIDC-Core-3.1.3.7-11-nonce-mismatch", lambda i, fk: id_token(i, nonce="other-nonce"), {}, "nonce_mismatch"),
    ("OIDC-Core-3.1.3.7-11-nonce-missing", lambda i, fk: id_token(i, nonce=None), {}, "nonce_mismatch"),
    ("OIDC-Core-3.1.3.8-at-hash-mismatch", lambda i, fk: id_token(i, access_token="another-token"),
     {"access_token": "the-access-token"}, "at_hash_mismatch"),
    ("OIDC-Core-3.1.3.8-at-hash-required", lambda i, fk: id_token(i), {"access_token": "at", "require_at_hash": True},
     "missing_claim"),
    ("OIDC-Core-3.1.3.7-13-auth-time-too-old", lambda i, fk: id_token(i, auth_time=int(T0) - 4000),
     {"max_age": 600}, "auth_time_too_old"),
    ("OIDC-Core-3.1.3.7-13-auth-time-missing-with-max-age", lambda i, fk: id_token(i, auth_time=None),
     {"max_age": 600}, "missing_claim"),
    ("BCL-4.1-logout-token-is-not-an-id-token",
     lambda i, fk: id_token(i, header={"typ": "logout+jwt"}), {}, "typ_mismatch"),
]


@pytest.mark.parametrize(("build", "over", "reason"), [c[1:] for c in ID_TOKEN_REJECTIONS],
                         ids=[c[0] for c in ID_TOKEN_REJECTIONS])
def test_id_token_rejections(idp: FakeIssuer, foreign_key: Any, build: Build, over: dict[str, Any],
                             reason: str) -> None:
    with pytest.raises(TokenVerificationError) as info:
        verify(idp, build(idp, foreign_key), **over)
    assert info.value.reason == reason


ID_TOKEN_ACCEPTS: list[tuple[str, Callable[[FakeIssuer], str], dict[str, Any]]] = [
    ("OIDC-Core-3.1.3.7-valid", lambda i: id_token(i), {}),
    ("OIDC-Core-3.1.3.7-3-aud-list-with-azp", lambda i: id_token(i, audience=[CLIENT_ID, "x"], azp=CLIENT_ID), {}),
    ("OIDC-Core-3.1.3.7-9-expired-within-leeway", lambda i: id_token(i, now=T0 - 330), {}),
    ("OIDC-Core-3.1.3.7-10-iat-future-within-leeway", lambda i: id_token(i, now=T0 + 59), {}),
    ("OIDC-Core-3.1.3.8-at-hash-ok", lambda i: id_token(i, access_token="the-access-token"),
     {"access_token": "the-access-token", "require_at_hash": True}),
    ("OIDC-Core-3.1.3.8-at-hash-absent-optional", lambda i: id_token(i), {"access_token": "the-access-token"}),
    ("OIDC-Core-12.2-refresh-no-nonce-check", lambda i: id_token(i, nonce=None), {"nonce": None}),
    ("OIDC-Core-3.1.2.1-max-age-fresh", lambda i: id_token(i, auth_time=int(T0) - 100), {"max_age": 600}),
]


@pytest.mark.parametrize(("build", "over"), [c[1:] for c in ID_TOKEN_ACCEPTS], ids=[c[0] for c in ID_TOKEN_ACCEPTS])
def test_id_token_accepts(idp: FakeIssuer, build: Callable[[FakeIssuer], str], over: dict[str, Any]) -> None:
    claims = verify(idp, build(idp), **over)
    assert claims["sub"] == "isik-1"
    assert claims["sid"] == "sid-1"


def test_es256_id_token_with_at_hash(es_idp: FakeIssuer) -> None:
    token = id_token(es_idp, access_token="at-1")
    claims = verify(es_idp, token, access_token="at-1", require_at_hash=True)
    assert claims["at_hash"] == compute_at_hash("at-1", "ES256")


def test_compute_at_hash_matches_spec_example() -> None:
    # OIDC Core 1.0 Appendix A.3 (RS256): access token and its at_hash
    assert compute_at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "RS256") == "77QmUPtjPfzWtF2AnpK9RQ"


@pytest.mark.parametrize("algorithms", [["none"], ["RS256", "none"], ["RS256", "NONE"], [], "RS256", ["HS256"]],
                         ids=["none-only", "none-mixed", "none-uppercase", "empty", "bare-string", "hmac"])
def test_unsafe_algorithm_lists_are_refused(idp: FakeIssuer, algorithms: Any) -> None:
    with pytest.raises(ConfigurationError):
        verify(idp, id_token(idp), algorithms=algorithms)


@pytest.mark.parametrize("missing", ["issuer", "audience", "algorithms", "keys", "nonce", "leeway", "now"])
def test_checks_cannot_be_skipped_by_omission(idp: FakeIssuer, missing: str) -> None:
    kwargs: dict[str, Any] = {"issuer": ISSUER, "audience": CLIENT_ID, "algorithms": ("RS256",),
                              "keys": public_keys(idp), "nonce": NONCE, "leeway": 60, "now": T0}
    del kwargs[missing]
    with pytest.raises(TypeError):
        verify_id_token(id_token(idp), **kwargs)


@pytest.mark.parametrize("field", ["issuer", "audience"])
def test_empty_issuer_or_audience_refused(idp: FakeIssuer, field: str) -> None:
    with pytest.raises(ConfigurationError):
        verify(idp, id_token(idp), **{field: ""})


# --- logout tokens ------------------------------------------------------------


class JtiLog:
    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def __call__(self, jti: str, until: int) -> bool:
        if jti in self.seen:
            return True
        self.seen[jti] = until
        return False


def logout_token(idp: FakeIssuer, **kw: Any) -> str:
    kw.setdefault("audience", CLIENT_ID)
    kw.setdefault("now", T0)
    kw.setdefault("sub", "isik-1")
    kw.setdefault("sid", "sid-1")
    return idp.mint_logout_token(**kw)


def verify_logout(idp: FakeIssuer, token: str, jti_log: JtiLog | None = None, **over: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"issuer": ISSUER, "audience": CLIENT_ID, "algorithms": ("RS256", "ES256"),
                              "keys": public_keys(idp), "leeway": 60, "now": T0, "jti_seen": jti_log or JtiLog()}
    kwargs.update(over)
    return verify_logout_token(token, **kwargs)


LOGOUT_REJECTIONS: list[tuple[str, Build, dict[str, Any], str]] = [
    ("BCL-2.4-typ-missing", lambda i, fk: logout_token(i, header={"typ": None}), {}, "typ_mismatch"),
    ("BCL-2.4-typ-JWT", lambda i, fk: logout_token(i, header={"typ": "JWT"}), {}, "typ_mismatch"),
    ("BCL-2.6-id-token-as-logout-token", lambda i, fk: id_token(i), {}, "typ_mismatch"),
    ("BCL-2.6-2-bad-signature", lambda i, fk: tamper(logout_token(i)), {}, "bad_signature"),
    ("BCL-2.6-2-foreign-key",
     lambda i, fk: mint_logout_token(fk, issuer=ISSUER, audience=CLIENT_ID, sid="sid-1", now=T0), {},
     "bad_signature"),
    ("BCL-2.6-2-alg-none", lambda i, fk: f"{b64({'alg': 'none', 'typ': 'logout+jwt'})}.{b64({'iss': ISSUER})}.", {},
     "alg_not_allowed"),
    ("BCL-2.6-3-iss-mismatch", lambda i, fk: logout_token(i, iss="https://evil.example"), {}, "iss_mismatch"),
    ("BCL-2.6-3-aud-mismatch", lambda i, fk: logout_token(i, audience="other-school"), {}, "aud_mismatch"),
    ("BCL-2.6-3-expired", lambda i, fk: logout_token(i, now=T0 - 500), {}, "expired"),
    ("BCL-2.4-exp-missing", lambda i, fk: logout_token(i, exp=None), {}, "missing_claim"),
    ("BCL-2.6-4-iat-missing", lambda i, fk: logout_token(i, iat=None), {}, "missing_claim"),
    ("BCL-2.6-4-iat-future", lambda i, fk: logout_token(i, now=T0 + 120), {}, "iat_future"),
    ("BCL-2.4-jti-missing", lambda i, fk: logout_token(i, jti=None), {}, "missing_claim"),
    ("BCL-2.6-5-sub-and-sid-missing", lambda i, fk: logout_token(i, sub=None, sid=None), {}, "missing_claim"),
    ("BCL-2.6-6-events-missing", lambda i, fk: logout_token(i, events=None), {}, "bad_events"),
    ("BCL-2.6-6-events-wrong-member",
     lambda i, fk: logout_token(i, events={"http://schemas.openid.net/event/other": {}}), {}, "bad_events"),
    ("BCL-2.6-6-events-value-not-object",
     lambda i, fk: logout_token(i, events={BACKCHANNEL_LOGOUT_EVENT: "yes"}), {}, "bad_events"),
    ("BCL-2.6-7-nonce-present", lambda i, fk: logout_token(i, nonce="n"), {}, "nonce_present"),
    ("BCL-2.6-alg-not-allowed", lambda i, fk: logout_token(i), {"algorithms": ["ES256"]}, "alg_not_allowed"),
]


@pytest.mark.parametrize(("build", "over", "reason"), [c[1:] for c in LOGOUT_REJECTIONS],
                         ids=[c[0] for c in LOGOUT_REJECTIONS])
def test_logout_token_rejections(idp: FakeIssuer, foreign_key: Any, build: Build, over: dict[str, Any],
                                 reason: str) -> None:
    jti_log = JtiLog()
    with pytest.raises(TokenVerificationError) as info:
        verify_logout(idp, build(idp, foreign_key), jti_log, **over)
    assert info.value.reason == reason
    assert jti_log.seen == {}, "an invalid token must not be recorded in the replay cache"


@pytest.mark.parametrize(("sub", "sid"), [("isik-1", "sid-1"), ("isik-1", None), (None, "sid-1")],
                         ids=["BCL-2.4-sub-and-sid", "BCL-2.4-sub-only", "BCL-2.4-sid-only"])
def test_logout_token_accepted(idp: FakeIssuer, sub: str | None, sid: str | None) -> None:
    claims = verify_logout(idp, logout_token(idp, sub=sub, sid=sid))
    assert claims.get("sub") == sub and claims.get("sid") == sid


def test_logout_token_typ_with_media_type_prefix_accepted(idp: FakeIssuer) -> None:
    verify_logout(idp, logout_token(idp, header={"typ": "application/logout+jwt"}))


def test_BCL_2_6_8_replayed_jti_rejected(idp: FakeIssuer) -> None:
    jti_log = JtiLog()
    token = logout_token(idp)
    claims = verify_logout(idp, token, jti_log)
    assert jti_log.seen == {claims["jti"]: claims["exp"] + 60}
    with pytest.raises(TokenVerificationError) as info:
        verify_logout(idp, token, jti_log)
    assert info.value.reason == "replayed_jti"
