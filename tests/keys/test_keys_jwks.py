"""Public JWK helpers: RFC 7638 thumbprints and stripping of private members."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc.jwk import ECKey, RSAKey

from keys.jwks import (
    PRIVATE_MEMBERS,
    jwk_matches_alg,
    jwk_thumbprint,
    key_set,
    public_jwk,
)

# RFC 7638 §3.1: the example RSA key and its published SHA-256 thumbprint.
RFC7638_JWK: dict[str, str | list[str]] = {
    "kty": "RSA",
    "n": (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3"
        "oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zg"
        "dAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csF"
        "Cur-kEgU8awapJzKnqDKgw"
    ),
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.mark.parametrize(
    "jwk",
    [RFC7638_JWK, {k: v for k, v in RFC7638_JWK.items() if k in {"kty", "n", "e"}}, RSAKey.import_key(RFC7638_JWK)],
    ids=["rfc7638-example", "optional-members-do-not-matter", "joserfc-key-object"],
)
def test_rfc7638_published_example(jwk: Any) -> None:
    assert jwk_thumbprint(jwk) == RFC7638_THUMBPRINT


@pytest.mark.parametrize("make", [lambda: RSAKey.generate_key(2048), lambda: ECKey.generate_key("P-256")], ids=["rsa", "ec"])
def test_thumbprint_same_for_private_and_public_form(make: Any) -> None:
    key = make()
    assert jwk_thumbprint(key) == jwk_thumbprint(key.as_dict(private=True)) == key.thumbprint()


@pytest.mark.parametrize(
    "jwk",
    [{"kty": "oct", "k": "c2VjcmV0"}, {"kty": "RSA", "e": "AQAB"}, {}],
    ids=["unsupported-kty", "missing-required-member", "no-kty"],
)
def test_thumbprint_rejects_unusable_jwks(jwk: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        jwk_thumbprint(jwk)


@pytest.mark.parametrize("make", [lambda: RSAKey.generate_key(2048), lambda: ECKey.generate_key("P-256")], ids=["rsa", "ec"])
def test_public_jwk_drops_private_members(make: Any) -> None:
    key = make()
    for source in (key, key.as_dict(private=True)):
        jwk = public_jwk(source, kid="kid-1", alg="XX")
        assert not PRIVATE_MEMBERS & jwk.keys()
        assert (jwk["kid"], jwk["alg"], jwk["use"]) == ("kid-1", "XX", "sig")
    keys = key_set([public_jwk(key, kid="kid-1", alg="RS256" if isinstance(key, RSAKey) else "ES256")])
    assert not keys.keys[0].is_private


@pytest.mark.parametrize(
    ("jwk", "alg", "expected"),
    [
        ({"kty": "RSA"}, "RS256", True),
        ({"kty": "EC", "crv": "P-256"}, "ES256", True),
        ({"kty": "EC", "crv": "P-384"}, "ES256", False),
        ({"kty": "RSA"}, "ES256", False),
        ({"kty": "RSA"}, "PS256", False),
    ],
    ids=["rsa-rs256", "p256-es256", "p384-not-es256", "rsa-not-es256", "unknown-alg"],
)
def test_jwk_matches_alg(jwk: dict[str, str], alg: str, expected: bool) -> None:
    assert jwk_matches_alg(jwk, alg) is expected
