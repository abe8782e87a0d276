"""Security headers on every page, and absolute URLs from ISSUER (never from the Host header)."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD, auth_params, csrf_token, pkce_pair, query

from ._ui import login_at_school, login_url, post_login


@pytest.fixture
def app_config(request):
    """tests/conftest.py's ``app_config`` ignores indirect parameters; this one reads them."""
    return dict(getattr(request, "param", {}))


def login_page(client, world):
    return client.get(login_url(client, world.schools["alpha"]))


def failed_login(client, world):
    url = login_url(client, world.schools["alpha"])
    post_login(client, url, "mari", "wrong password")
    return client.get(url)


def profile(client, world):
    login_at_school(client, "alpha", "mari")
    return client.get("/account/")


def logged_out(client, world):
    html = profile(client, world).get_data(as_text=True)
    return client.post("/account/logout", data={"csrf_token": csrf_token(html)})


def csrf_refused(client, world):
    return client.post(login_url(client, world.schools["alpha"]),
                       data={"username": "mari", "password": PASSWORD})


PAGES = {
    "login": login_page,
    "login-failed": failed_login,
    "login-expired": lambda client, world: client.get("/login/gone"),
    "choose-school": lambda client, world: client.get("/account/login"),
    "profile": profile,
    "logged-out": logged_out,
    "csrf-error": csrf_refused,
    "unknown-client": lambda client, world: client.get("/authorize", query_string={
        "client_id": "nobody", "redirect_uri": "https://evil.test/cb", "response_type": "code"}),
    "not-found": lambda client, world: client.get("/no/such/page"),
    "front-page-redirect": lambda client, world: client.get("/"),
}


@pytest.mark.parametrize("page", PAGES.values(), ids=PAGES.keys())
def test_OWASP_security_headers_on_every_html_page(client, world, page):
    response = page(client, world)
    assert response.mimetype == "text/html", response.mimetype
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert "'unsafe-inline'" not in directives.get("script-src", ["'unsafe-inline'"])
    assert directives.get("object-src") == ["'none'"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_RFC_7034_legacy_frame_options_too(client, world):
    assert login_page(client, world).headers["X-Frame-Options"] == "DENY"


HOSTILE = {"base_url": "https://evil.example",
           "headers": {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}}


def test_OIDC_Discovery_4_3_metadata_comes_from_ISSUER_not_host(client):
    metadata = client.get("/.well-known/openid-configuration", **HOSTILE).get_json()
    assert metadata["issuer"] == "http://idp.test"
    urls = [v for v in metadata.values() if isinstance(v, str) and "://" in v]
    assert len(urls) >= 5
    assert all(url == "http://idp.test" or url.startswith("http://idp.test/") for url in urls), urls
    assert "evil.example" not in str(metadata)


def test_RFC_9207_absolute_urls_come_from_ISSUER_in_a_whole_flow_on_another_host(client, world):
    """Every step under a hostile Host header: relative redirects, iss from the configuration."""
    school = world.schools["alpha"]
    _, challenge = pkce_pair()
    params = auth_params(school, challenge)
    start = client.get("/authorize", query_string=params, **HOSTILE)
    assert start.status_code == 302 and start.location.startswith("/login/")
    page = client.get(start.location, **HOSTILE)
    assert "evil.example" not in page.get_data(as_text=True)
    response = client.post(start.location, **HOSTILE, data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "username": "mari",
        "password": PASSWORD})
    assert response.status_code == 303 and response.location.startswith("/authorize?")
    final = client.get(response.location, **HOSTILE)
    assert final.location.startswith(school["redirect_uri"])
    assert query(final.location)["iss"] == "http://idp.test"


@pytest.mark.parametrize("app_config", [{"ISSUER": "https://idp.test"}], indirect=True)
def test_W3C_Referrer_Policy_no_referrer_forms_still_work_over_https(client, world):
    """Browsers send no Referer from our pages: the CSRF check must not demand one."""
    https = {"base_url": "https://idp.test"}
    _, challenge = pkce_pair()
    start = client.get("/authorize", query_string=auth_params(world.schools["alpha"], challenge),
                       **https)
    page = client.get(start.location, **https)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = client.post(start.location, **https, data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "username": "mari",
        "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)
    profile_html = client.get("/account/", **https).get_data(as_text=True)
    logout = client.post("/account/logout", data={"csrf_token": csrf_token(profile_html)}, **https)
    assert logout.status_code == 200


def test_language_switch_is_not_an_open_redirect(client):
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.get("/lang/en", query_string={"next": target})
        assert response.status_code == 302
        assert response.location == "/account/", target
