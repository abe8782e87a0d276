"""The demo Stuudium: names, roles, logos, language switch, logout, headers, command line."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from flask import Flask
from flask.testing import FlaskClient

from schools_client.demo import create_demo_app
from schools_client.demo.__main__ import main
from schools_client.demo.logo import guess_kind, text_color
from schools_client.testing import FakeIssuer

from .conftest import Clock
from .flow import login, query

LOCAL_ISSUER = "http://localhost:5000"
CLIENT = "noomuusikakool"
SCHOOLS = [
    {"name": "Nõo Muusikakool", "logo": "http://localhost:5001/static/logo.svg",
     "initiate_login_uri": "http://localhost:5001/oidc/login", "client_id": CLIENT},
    {"name": "Tartu Gümnaasium", "logo": "http://localhost:5002/static/logo.svg",
     "initiate_login_uri": "http://localhost:5002/oidc/login", "client_id": "tartugymnaasium"},
    {"name": "Lasteaed Päikene", "logo": "http://localhost:5003/static/logo.svg",
     "initiate_login_uri": "http://localhost:5003/oidc/login", "client_id": "lasteaedpaikene"},
    {"name": "Pahatahtlik", "logo": "javascript:alert(1)", "initiate_login_uri": "javascript:alert(2)",
     "client_id": "evil"},
]
PROFILE = {"name": "Mari Maasikas", "given_name": "Mari", "family_name": "Maasikas", "email": "mari@example.test",
           "roles": ["parent", "teacher", "admin"], "schools": SCHOOLS}


@pytest.fixture(scope="module")
def local_idp() -> FakeIssuer:
    return FakeIssuer(LOCAL_ISSUER)


@pytest.fixture
def demo(clock: Clock) -> Flask:
    app = create_demo_app({"slug": CLIENT, "name": "Nõo Muusikakool", "port": 5001, "issuer": LOCAL_ISSUER,
                           "client_id": CLIENT, "client_secret": "demo-secret", "http": requests.Session(),
                           "clock": clock})
    app.config["TESTING"] = True
    return app


@pytest.fixture
def browser(demo: Flask) -> Iterator[FlaskClient]:
    with demo.test_client() as c:
        yield c


def log_in(browser: FlaskClient, rsps: responses.RequestsMock, idp: FakeIssuer, clock: Clock,
           profile: dict[str, Any] | None = None) -> None:
    idp.register(rsps)
    login(browser, rsps, idp, client_id=CLIENT, now=clock.now, sub="isik-1", sid="sid-1",
          userinfo=PROFILE if profile is None else profile)


def page(browser: FlaskClient, path: str = "/", **kw: Any) -> str:
    resp = browser.get(path, **kw)
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_logged_out_welcome_in_estonian(browser: FlaskClient) -> None:
    resp = browser.get("/")
    text = resp.get_data(as_text=True)
    assert '<html lang="et">' in text
    assert "Tere tulemast!" in text and "Logi sisse" in text and 'action="/oidc/login"' in text
    assert "Nõo Muusikakool" in text
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp
    assert "form-action 'self' http://localhost:5000" in csp
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_language_switch_sticks_and_goes_to_idp(rsps: responses.RequestsMock, local_idp: FakeIssuer,
                                               browser: FlaskClient) -> None:
    resp = browser.get("/lang/en")
    assert resp.status_code == 303 and "HttpOnly" in resp.headers["Set-Cookie"]
    text = page(browser)
    assert '<html lang="en">' in text and "Sign in" in text and "Welcome!" in text
    assert 'aria-current="true">In English' in text
    local_idp.register(rsps, jwks=False)
    assert query(browser.get("/oidc/login").headers["Location"])["ui_locales"] == "en et"
    browser.get("/lang/et")
    assert '<html lang="et">' in page(browser)


def test_accept_language_default(browser: FlaskClient) -> None:
    assert '<html lang="en">' in page(browser, headers={"Accept-Language": "en-US,en;q=0.8"})
    assert '<html lang="et">' in page(browser, headers={"Accept-Language": "de"})


def test_logged_in_page_in_estonian(rsps: responses.RequestsMock, local_idp: FakeIssuer, browser: FlaskClient,
                                    clock: Clock) -> None:
    log_in(browser, rsps, local_idp, clock)
    resp = browser.get("/")
    text = html.unescape(resp.get_data(as_text=True))
    assert "Tere, Mari Maasikas!" in text
    for role in ("lapsevanem", "õpetaja", "direktor"):
        assert f"<li>{role}</li>" in text
    assert "mari@example.test" in text
    assert 'href="http://localhost:5000/account"' in text and "Minu profiil" in text
    assert "Logi välja" in text and 'method="post" action="/oidc/logout"' in text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert csrf and len(csrf.group(1)) >= 32
    nav = text[text.index('aria-label="Minu koolid"'):text.index("</nav>", text.index('aria-label="Minu koolid"'))]
    assert nav.count("<li>") == 3, "the javascript: entry must be dropped"
    assert "javascript:" not in text
    current = r'<a href="/" aria-current="page" class="current">\s*<img src="http://localhost:5001/static/logo.svg"'
    assert re.search(current, nav)
    links = re.findall(r'<a href="(http://localhost:500[23]/oidc/login\?[^"]+)"', nav)
    assert len(links) == 2
    assert query(links[0]) == {"iss": LOCAL_ISSUER, "target_link_uri": "http://localhost:5002/"}
    for logo in ("http://localhost:5002/static/logo.svg", "http://localhost:5003/static/logo.svg"):
        assert f'src="{logo}"' in nav
    assert "Tartu Gümnaasium" in nav and "Lasteaed Päikene" in nav and "(praegune kool)" in nav
    csp = resp.headers["Content-Security-Policy"]
    assert "img-src 'self' http://localhost:5001 http://localhost:5002 http://localhost:5003;" in csp


def test_logged_in_page_in_english(rsps: responses.RequestsMock, local_idp: FakeIssuer, browser: FlaskClient,
                                   clock: Clock) -> None:
    browser.get("/lang/en")
    log_in(browser, rsps, local_idp, clock)
    text = html.unescape(page(browser))
    assert '<html lang="en">' in text and "Hello, Mari Maasikas!" in text
    for role in ("parent", "teacher", "director"):
        assert f"<li>{role}</li>" in text
    assert "My schools" in text and "Sign out" in text and "My profile" in text and "(current school)" in text


@pytest.mark.parametrize(("profile", "greeting", "roles"), [
    ({"given_name": "Jaan", "family_name": "Tamm", "roles": ["student"]}, "Tere, Jaan Tamm!", ["õpilane"]),
    ({"name": "Kati Kask", "roles": ["staff", "unknown-role"]}, "Tere, Kati Kask!", ["töötaja"]),
    ({"name": "Peeter Paju", "roles": []}, "Tere, Peeter Paju!", []),
], ids=["given-family-student", "staff-unknown-role-skipped", "no-roles"])
def test_names_and_roles(rsps: responses.RequestsMock, local_idp: FakeIssuer, browser: FlaskClient, clock: Clock,
                         profile: dict[str, Any], greeting: str, roles: list[str]) -> None:
    log_in(browser, rsps, local_idp, clock, profile=profile)
    text = html.unescape(page(browser))
    assert greeting in text
    assert re.findall(r'<ul class="roles">(.*?)</ul>', text, re.DOTALL) == (
        ["".join(f"<li>{r}</li>" for r in roles)] if roles else [])
    if not roles:
        assert "Teil ei ole selles koolis ühtegi rolli." in text
    assert 'aria-label="Minu koolid"' not in text, "no schools claim, no school navigation"


def test_markup_in_claims_is_escaped(rsps: responses.RequestsMock, local_idp: FakeIssuer, browser: FlaskClient,
                                     clock: Clock) -> None:
    log_in(browser, rsps, local_idp, clock, profile={"name": "<script>alert(1)</script>"})
    text = page(browser)
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_logout_round_trip(rsps: responses.RequestsMock, local_idp: FakeIssuer, browser: FlaskClient,
                           clock: Clock) -> None:
    log_in(browser, rsps, local_idp, clock)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page(browser))
    assert csrf
    resp = browser.post("/oidc/logout", data={"csrf_token": csrf.group(1)})
    assert resp.status_code == 303
    q = query(resp.headers["Location"])
    assert resp.headers["Location"].startswith(local_idp.end_session_endpoint)
    assert q["post_logout_redirect_uri"] == "http://localhost:5001/" and q["ui_locales"] == "et en"
    text = page(browser, query_string={"state": q["state"]})
    assert "Te olete välja logitud." in text and "Logi sisse" in text


def test_logos_and_theme(browser: FlaskClient) -> None:
    for path in ("/static/logo.svg", f"/static/logo-{CLIENT}.svg"):
        resp = browser.get(path)
        assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
        assert "<svg" in resp.get_data(as_text=True) and "Nõo Muusikakool" in resp.get_data(as_text=True)
    assert "--brand:#7a1f5c" in browser.get("/theme.css").get_data(as_text=True)
    with browser.get("/assets/demo.css") as css:
        assert css.status_code == 200 and b"focus-visible" in css.data
    assert browser.get("/healthz").get_data(as_text=True) == "ok\n"


def test_registered_url_layout(demo: Flask) -> None:
    rules = {r.rule for r in demo.url_map.iter_rules()}
    assert {"/", "/oidc/callback", "/oidc/backchannel-logout", "/oidc/frontchannel-logout", "/oidc/login",
            "/static/logo.svg"} <= rules
    assert demo.config["SCHOOLS_OIDC_REDIRECT_URI"] == "http://localhost:5001/oidc/callback"
    assert demo.config["SCHOOLS_OIDC_POST_LOGOUT_REDIRECT_URI"] == "http://localhost:5001/"
    assert demo.config["SCHOOLS_OIDC_COOKIE_NAME"] == "stuudium_noomuusikakool_session"


@pytest.mark.parametrize(("name", "kind"), [("Nõo Muusikakool", "music"), ("Tartu Gümnaasium", "gymnasium"),
                                            ("Lasteaed Päikene", "kindergarten"), ("Kooli Kool", "school")])
def test_guess_kind(name: str, kind: str) -> None:
    assert guess_kind(name) == kind


def test_brand_colours_have_readable_text() -> None:
    assert text_color("#7a1f5c") == "#ffffff" and text_color("#ffe066") == "#1a1a1a"


@pytest.mark.parametrize("bad", [{"slug": "Bad Slug"}, {"color": "red;}body{"}])
def test_bad_demo_settings(bad: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        create_demo_app({"slug": "kool", "name": "Kool", "issuer": LOCAL_ISSUER, "client_id": "c",
                         "client_secret": "s"} | bad)


def test_command_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    served: dict[str, Any] = {}
    import waitress

    monkeypatch.setattr(waitress, "serve", lambda app, **kw: served.update(app=app, **kw))
    monkeypatch.setenv("DEMO_CLIENT_SECRET", "from-env")
    assert main(["--slug", "tartugymnaasium", "--name", "Tartu Gümnaasium", "--port", "5002",
                 "--issuer", LOCAL_ISSUER, "--client-id", "tartugymnaasium"]) == 0
    app = served["app"]
    assert (served["host"], served["port"]) == ("localhost", 5002)
    assert app.config["SCHOOLS_OIDC_CLIENT_SECRET"] == "from-env"
    assert app.config["DEMO_KIND"] == "gymnasium"
    assert "http://localhost:5002/" in capsys.readouterr().out
    monkeypatch.delenv("DEMO_CLIENT_SECRET")
    with pytest.raises(SystemExit):
        main(["--slug", "x", "--name", "X", "--issuer", LOCAL_ISSUER, "--client-id", "x"])
