"""ClientSettings validation."""

from __future__ import annotations

from typing import Any

import pytest

from schools_client.config import ClientSettings, origin_of
from schools_client.errors import ConfigurationError

from .conftest import BASE, CLIENT_ID, CLIENT_SECRET, ISSUER

GOOD: dict[str, Any] = {"issuer": ISSUER, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                            "redirect_uri": f"{BASE}/oidc/callback"}


def test_defaults() -> None:
    s = ClientSettings(**GOOD)
    assert s.algorithms == ("RS256", "ES256")
    assert s.scopes == ("openid", "profile", "email", "phone", "roles", "schools")
    assert s.leeway == 60 and s.discovery_ttl == 3600 and s.jwks_min_refetch_interval == 60
    assert s.discovery_url == f"{ISSUER}/.well-known/openid-configuration"
    assert CLIENT_SECRET not in repr(s)


BAD: list[tuple[str, dict[str, Any]]] = [
    ("OIDC-Discovery-2-issuer-relative", {"issuer": "/idp"}),
    ("OIDC-Discovery-2-issuer-query", {"issuer": f"{ISSUER}?x=1"}),
    ("OIDC-Discovery-2-issuer-fragment", {"issuer": f"{ISSUER}#x"}),
    ("OIDC-Discovery-2-issuer-http", {"issuer": "http://idp.example.test"}),
    ("issuer-http-non-loopback-even-if-insecure-allowed",
     {"issuer": "http://idp.example.test", "allow_insecure_http": True}),
    ("issuer-ftp", {"issuer": "ftp://idp.example.test"}),
    ("redirect-uri-fragment", {"redirect_uri": f"{BASE}/cb#frag"}),
    ("redirect-uri-credentials", {"redirect_uri": "https://user:pw@noo.example.test/cb"}),
    ("client-id-empty", {"client_id": ""}),
    ("client-secret-blank", {"client_secret": "  "}),
    ("scopes-without-openid", {"scopes": ("profile",)}),
    ("RFC8725-alg-none", {"algorithms": ("none",)}),
    ("RFC8725-alg-none-mixed", {"algorithms": ("RS256", "none")}),
    ("alg-hmac", {"algorithms": ("HS256",)}),
    ("alg-empty", {"algorithms": ()}),
    ("leeway-negative", {"leeway": -1}),
    ("timeout-zero", {"http_timeout": 0}),
]


@pytest.mark.parametrize("changes", [c[1] for c in BAD], ids=[c[0] for c in BAD])
def test_invalid_settings_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        ClientSettings(**(GOOD | changes))


@pytest.mark.parametrize("issuer", ["http://localhost:5000", "http://127.0.0.1:5000", "http://[::1]:5000",
                                    "http://school.localhost"])
def test_http_on_loopback_with_insecure_flag(issuer: str) -> None:
    s = ClientSettings(**(GOOD | {"issuer": issuer, "redirect_uri": "http://localhost:5001/oidc/callback",
                                  "allow_insecure_http": True}))
    assert s.issuer == issuer


def test_scopes_string_is_split() -> None:
    assert ClientSettings(**(GOOD | {"scopes": "openid email"})).scopes == ("openid", "email")


@pytest.mark.parametrize(("url", "origin"), [
    ("https://Kool.EE/x?y", "https://kool.ee"), ("https://kool.ee:443/", "https://kool.ee"),
    ("http://localhost:5001/a", "http://localhost:5001"), ("http://[::1]:80/", "http://[::1]"), ("/rel", ""),
])
def test_RFC6454_origin_of(url: str, origin: str) -> None:
    assert origin_of(url) == origin
