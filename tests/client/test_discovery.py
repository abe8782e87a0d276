"""Provider metadata: fetch, exact issuer match (OIDC Discovery §4.3), validation, TTL cache."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import responses

from schools_client.discovery import DiscoveryCache, validate_metadata
from schools_client.errors import DiscoveryError
from schools_client.testing import FakeIssuer

from .conftest import ISSUER, Clock

URL = f"{ISSUER}/.well-known/openid-configuration"


def discovery(clock: Clock, ttl: float = 3600, issuer: str = ISSUER) -> DiscoveryCache:
    return DiscoveryCache(issuer, http=requests.Session(), ttl=ttl, clock=clock)


def test_OIDC_Discovery_4_fetch_and_cache(rsps: responses.RequestsMock, idp: FakeIssuer, clock: Clock) -> None:
    rsps.get(URL, json=idp.metadata)
    cache = discovery(clock, ttl=3600)
    meta = cache.get()
    assert meta.issuer == ISSUER
    assert meta.jwks_uri == idp.jwks_uri
    assert meta.end_session_endpoint == idp.end_session_endpoint
    assert meta.iss_parameter_supported is True
    clock.advance(3599)
    cache.get()
    assert len(rsps.calls) == 1
    clock.advance(2)
    cache.get()
    assert len(rsps.calls) == 2


def test_discovery_url_for_issuer_with_path(rsps: responses.RequestsMock, idp: FakeIssuer, clock: Clock) -> None:
    issuer = "https://idp.example.test/tenant/"
    rsps.get("https://idp.example.test/tenant/.well-known/openid-configuration", json=idp.metadata | {"issuer": issuer})
    assert discovery(clock, issuer=issuer).get().issuer == issuer


BAD_METADATA: list[tuple[str, dict[str, Any]]] = [
    ("OIDC-Discovery-4.3-issuer-mismatch", {"issuer": "https://evil.example"}),
    ("OIDC-Discovery-4.3-issuer-trailing-slash", {"issuer": ISSUER + "/"}),
    ("OIDC-Discovery-4.3-issuer-missing", {"issuer": None}),
    ("OIDC-Discovery-3-jwks-uri-missing", {"jwks_uri": None}),
    ("OIDC-Discovery-3-token-endpoint-missing", {"token_endpoint": None}),
    ("OIDC-Discovery-3-authorization-endpoint-http", {"authorization_endpoint": "http://idp.example.test/auth"}),
    ("OIDC-Discovery-3-userinfo-not-url", {"userinfo_endpoint": "javascript:alert(1)"}),
    ("OIDC-Discovery-3-no-code-response-type", {"response_types_supported": ["id_token"]}),
    ("RFC7636-no-S256", {"code_challenge_methods_supported": ["plain"]}),
]


@pytest.mark.parametrize("changes", [c[1] for c in BAD_METADATA], ids=[c[0] for c in BAD_METADATA])
def test_bad_metadata_rejected(idp: FakeIssuer, changes: dict[str, Any]) -> None:
    data = {k: v for k, v in (idp.metadata | changes).items() if v is not None}
    with pytest.raises(DiscoveryError):
        validate_metadata(data, issuer=ISSUER)


def test_issuer_mismatch_from_network(rsps: responses.RequestsMock, idp: FakeIssuer, clock: Clock) -> None:
    rsps.get(URL, json=idp.metadata | {"issuer": "https://idp.example.test.evil.example"})
    with pytest.raises(DiscoveryError, match="issuer mismatch"):
        discovery(clock).get()


@pytest.mark.parametrize("kwargs", [{"status": 404}, {"body": "not json"}, {"json": ["list"]},
                                    {"body": requests.ConnectionError("down")},
                                    {"status": 301, "headers": {"Location": "https://evil.example/"}}],
                         ids=["404", "not-json", "not-object", "network", "redirect-not-followed"])
def test_fetch_failures(rsps: responses.RequestsMock, clock: Clock, kwargs: dict[str, Any]) -> None:
    rsps.get(URL, **kwargs)
    with pytest.raises(DiscoveryError):
        discovery(clock).get()


def test_http_allowed_only_for_loopback_when_insecure_allowed(idp: FakeIssuer) -> None:
    data = idp.metadata | {"issuer": "http://localhost:5000", "jwks_uri": "http://localhost:5000/jwks",
                           "authorization_endpoint": "http://localhost:5000/authorize",
                           "token_endpoint": "http://localhost:5000/token",
                           "userinfo_endpoint": "http://localhost:5000/userinfo",
                           "end_session_endpoint": "http://localhost:5000/logout"}
    validate_metadata(data, issuer="http://localhost:5000", allow_insecure_http=True)
    with pytest.raises(DiscoveryError):
        validate_metadata(data, issuer="http://localhost:5000", allow_insecure_http=False)
    with pytest.raises(DiscoveryError):
        validate_metadata(data | {"token_endpoint": "http://idp.example.test/token"},
                          issuer="http://localhost:5000", allow_insecure_http=True)


def test_stale_metadata_served_when_refresh_fails(rsps: responses.RequestsMock, idp: FakeIssuer,
                                                  clock: Clock) -> None:
    rsps.get(URL, json=idp.metadata)
    rsps.get(URL, status=503)
    cache = discovery(clock, ttl=10)
    cache.get()
    clock.advance(11)
    assert cache.get().issuer == ISSUER
    assert len(rsps.calls) == 2
