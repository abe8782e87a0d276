"""JWKSCache: Cache-Control TTL, fallback TTL, rate-limited refetch on unknown kid."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import responses
from joserfc.jwk import ECKey

from schools_client.errors import JWKSError, TokenVerificationError
from schools_client.jwks import (
    JWKSCache,
    StaticKeys,
    load_key_set,
    parse_max_age,
    select_key,
)
from schools_client.testing import FakeIssuer, generate_key

from .conftest import Clock

JWKS_URI = "https://idp.example.test/jwks"


def cache(clock: Clock, **kw: Any) -> JWKSCache:
    kw.setdefault("min_refetch_interval", 60)
    kw.setdefault("fallback_ttl", 300)
    return JWKSCache(JWKS_URI, http=requests.Session(), clock=clock, **kw)


def jwks_of(*keys: Any) -> dict[str, Any]:
    return {"keys": [k.as_dict(private=False) for k in keys]}


@pytest.mark.parametrize(("header", "expected"), [
    (None, None), ("", None), ("max-age=120", 120.0), ("public, max-age=3600", 3600.0),
    ('max-age="90"', 90.0), ("no-store", 0.0), ("no-cache, max-age=600", 0.0), ("max-age=abc", None),
    ("max-age=-5", 0.0), ("private", None),
], ids=["absent", "empty", "max-age", "public-max-age", "quoted", "no-store", "no-cache", "garbage", "negative",
        "no-max-age"])
def test_RFC9111_parse_max_age(header: str | None, expected: float | None) -> None:
    assert parse_max_age(header) == expected


def test_RFC9111_5_2_2_1_max_age_honoured(rsps: responses.RequestsMock, idp: FakeIssuer, clock: Clock) -> None:
    rsps.get(JWKS_URI, json=idp.jwks, headers={"Cache-Control": "max-age=120"})
    jwks = cache(clock)
    jwks.get_key("fake-key-1", "RS256")
    clock.advance(119)
    jwks.get_key("fake-key-1", "RS256")
    assert len(rsps.calls) == 1
    clock.advance(2)
    jwks.get_key("fake-key-1", "RS256")
    assert len(rsps.calls) == 2


def test_fallback_ttl_without_cache_control(rsps: responses.RequestsMock, idp: FakeIssuer, clock: Clock) -> None:
    rsps.get(JWKS_URI, json=idp.jwks)
    jwks = cache(clock, fallback_ttl=300)
    jwks.get_key("fake-key-1", "RS256")
    clock.advance(299)
    jwks.get_key("fake-key-1", "RS256")
    assert len(rsps.calls) == 1
    clock.advance(1)
    jwks.get_key("fake-key-1", "RS256")
    assert len(rsps.calls) == 2


def test_max_ttl_caps_max_age(rsps: responses.RequestsMock, idp: FakeIssuer, clock: Clock) -> None:
    rsps.get(JWKS_URI, json=idp.jwks, headers={"Cache-Control": "max-age=31536000"})
    jwks = cache(clock, max_ttl=1000)
    jwks.get_key("fake-key-1", "RS256")
    clock.advance(1001)
    jwks.get_key("fake-key-1", "RS256")
    assert len(rsps.calls) == 2


def test_expiry_refetch_is_rate_limited_too(rsps: responses.RequestsMock, idp: FakeIssuer, clock: Clock) -> None:
    rsps.get(JWKS_URI, json=idp.jwks, headers={"Cache-Control": "no-store"})
    jwks = cache(clock, min_refetch_interval=60)
    for _ in range(5):
        jwks.get_key("fake-key-1", "RS256")
        clock.advance(10)
    assert len(rsps.calls) == 1
    clock.advance(20)
    jwks.get_key("fake-key-1", "RS256")
    assert len(rsps.calls) == 2


def test_unknown_kid_refetch_is_rate_limited(rsps: responses.RequestsMock, idp: FakeIssuer, clock: Clock) -> None:
    rsps.get(JWKS_URI, json=idp.jwks, headers={"Cache-Control": "max-age=3600"})
    jwks = cache(clock, min_refetch_interval=60)
    jwks.get_key("fake-key-1", "RS256")
    clock.advance(61)
    # first unknown kid: exactly one refetch
    with pytest.raises(TokenVerificationError) as info:
        jwks.get_key("attacker-kid-1", "RS256")
    assert info.value.reason == "unknown_kid"
    assert len(rsps.calls) == 2
    # a flood of random kids inside the interval: no further requests
    for n in range(50):
        clock.advance(1)
        with pytest.raises(TokenVerificationError):
            jwks.get_key(f"attacker-kid-{n}", "RS256")
    assert len(rsps.calls) == 2
    clock.advance(11)  # 61 s after the last fetch
    with pytest.raises(TokenVerificationError):
        jwks.get_key("attacker-kid-x", "RS256")
    assert len(rsps.calls) == 3
    assert jwks.fetch_count == 3


def test_key_rotation_found_by_refetch(rsps: responses.RequestsMock, idp: FakeIssuer, clock: Clock) -> None:
    new_key = generate_key("RS256", "fake-key-2")
    rsps.get(JWKS_URI, json=idp.jwks, headers={"Cache-Control": "max-age=3600"})
    rsps.get(JWKS_URI, json=jwks_of(idp.key, new_key), headers={"Cache-Control": "max-age=3600"})
    jwks = cache(clock)
    jwks.get_key("fake-key-1", "RS256")
    clock.advance(60)
    assert jwks.get_key("fake-key-2", "RS256").kid == "fake-key-2"
    assert len(rsps.calls) == 2


def test_failed_refresh_keeps_cached_keys(rsps: responses.RequestsMock, idp: FakeIssuer, clock: Clock) -> None:
    rsps.get(JWKS_URI, json=idp.jwks, headers={"Cache-Control": "max-age=100"})
    rsps.get(JWKS_URI, status=503)
    jwks = cache(clock)
    jwks.get_key("fake-key-1", "RS256")
    clock.advance(200)
    assert jwks.get_key("fake-key-1", "RS256").kid == "fake-key-1"


@pytest.mark.parametrize(("kwargs", "body"), [
    ({"status": 500}, None), ({"body": "<html>"}, None), ({"json": {"no": "keys"}}, None), ({"json": [1]}, None),
], ids=["http-500", "not-json", "no-keys-member", "not-an-object"])
def test_first_fetch_failure_raises(rsps: responses.RequestsMock, clock: Clock, kwargs: dict[str, Any],
                                    body: Any) -> None:
    rsps.get(JWKS_URI, **kwargs)
    with pytest.raises(JWKSError):
        cache(clock).get_key("fake-key-1", "RS256")


def test_network_error_raises_jwks_error(rsps: responses.RequestsMock, clock: Clock) -> None:
    rsps.get(JWKS_URI, body=requests.ConnectionError("refused"))
    with pytest.raises(JWKSError):
        cache(clock).get_key("fake-key-1", "RS256")


def test_unimportable_keys_are_skipped(idp: FakeIssuer) -> None:
    data = {"keys": [{"kty": "RSA", "kid": "broken"}, {"kty": "PQ-KEM", "kid": "future"}, "junk",
                     idp.key.as_dict(private=False)]}
    assert [k.kid for k in load_key_set(data)] == ["fake-key-1"]


def test_RFC7517_key_selection(idp: FakeIssuer) -> None:
    rsa = idp.key
    enc = generate_key("RS256", "enc-key")
    enc_dict = enc.as_dict(private=False) | {"use": "enc"}
    ec = ECKey.generate_key("P-256", {"kid": "ec-1"})
    keys = load_key_set({"keys": [rsa.as_dict(private=False), enc_dict, ec.as_dict(private=False)]})
    assert select_key(keys, "fake-key-1", "RS256") is not None
    assert select_key(keys, "enc-key", "RS256") is None, "use=enc keys must not verify signatures"
    assert select_key(keys, "ec-1", "RS256") is None, "an EC key cannot verify RS256"
    assert select_key(keys, "ec-1", "ES384") is None, "P-256 key cannot verify ES384"
    assert select_key(keys, "ec-1", "ES256") is not None
    assert select_key(keys, "fake-key-1", "ES256") is None
    assert select_key(keys, None, "ES256") is not None, "one fitting key and no kid: use it"
    two = load_key_set(jwks_of(rsa, generate_key("RS256", "k2")))
    assert select_key(two, None, "RS256") is None, "several candidates and no kid: refuse"


def test_static_keys_unknown_kid(idp: FakeIssuer) -> None:
    with pytest.raises(TokenVerificationError) as info:
        StaticKeys(load_key_set(idp.jwks)).get_key("nope", "RS256")
    assert info.value.reason == "unknown_kid"
