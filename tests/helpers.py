"""Protocol helpers for tests: PKCE, the login form, the code exchange."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import socket
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from idp.extensions import db
from idp.services import accounts as account_service
from idp.services import schools as school_service

PASSWORD = "correct horse battery"
SECRETS = {"alpha": "alpha-secret-" + "a" * 32, "beta": "beta-secret-" + "b" * 32}


@dataclass
class World:
    schools: dict = field(default_factory=dict)   # slug -> client info
    accounts: dict = field(default_factory=dict)  # "slug/username" -> sub


def school_base(slug: str) -> str:
    return f"https://{slug}.school.test"


def build_world() -> World:
    world = World()
    for slug, name in (("alpha", "Alfa Kool"), ("beta", "Beeta Gümnaasium")):
        base = school_base(slug)
        school, _ = school_service.add(
            slug=slug, name=name, kind="school", client_secret=SECRETS[slug],
            redirect_uris=[f"{base}/cb"], post_logout_redirect_uris=[f"{base}/bye"],
            initiate_login_uri=f"{base}/login", logo_uri=f"{base}/logo.svg")
        # no back/front-channel logout URIs here: these hosts do not exist, and tests never
        # send traffic off this machine; logout tests register loopback receivers themselves
        world.schools[slug] = {"client_id": slug, "secret": SECRETS[slug],
                               "redirect_uri": f"{base}/cb", "post_logout": f"{base}/bye"}
    people = [
        ("alpha", "mari", "Mari", "Maasikas", ["parent"], "mari@example.ee"),
        ("alpha", "kati", "Kati", "Maasikas", ["student"], "mari@example.ee"),
        ("alpha", "juhan", "Juhan", "Kask", ["teacher"], "juhan@example.ee"),
        ("beta", "mari", "Mari", "Maasikas", ["parent"], "mari@example.ee"),
    ]
    for slug, username, given, family, roles, email in people:
        school = school_service.get(slug)
        account = account_service.add(school, username=username, given_name=given,
                                      family_name=family, roles=roles, email=email,
                                      password=PASSWORD if username != "kati" else PASSWORD + "!")
        world.accounts[f"{slug}/{username}"] = account.sub
    db.session.commit()
    return world


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def auth_params(school: dict, challenge: str, **extra) -> dict:
    params = {"response_type": "code", "client_id": school["client_id"],
              "redirect_uri": school["redirect_uri"], "scope": "openid profile email roles schools",
              "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8),
              "code_challenge": challenge, "code_challenge_method": "S256"}
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


def query(location: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def submit_login(client, login_url: str, username: str, password: str = PASSWORD):
    page = client.get(login_url)
    assert page.status_code == 200, page.status_code
    return client.post(login_url, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                        "username": username, "password": password})


def authorize(client, school: dict, username: str | None = None, password: str = PASSWORD, **extra):
    """Run /authorize (logging in when asked); returns (final response, verifier, params)."""
    verifier, challenge = pkce_pair()
    params = auth_params(school, challenge, **extra)
    response = client.get("/authorize", query_string=params)
    if username is not None and response.status_code == 302 and response.location.startswith("/login/"):
        posted = submit_login(client, response.location, username, password)
        assert posted.status_code == 303, posted.status_code
        response = client.get(posted.location)
    return response, verifier, params


def exchange(client, school: dict, code: str, verifier: str, **extra):
    data = {"grant_type": "authorization_code", "code": code,
            "redirect_uri": school["redirect_uri"], "code_verifier": verifier, **extra}
    return client.post("/token", data=data, auth=(school["client_id"], school["secret"]))


def login_and_get_tokens(client, school: dict, username: str, **extra) -> dict:
    response, verifier, params = authorize(client, school, username, **extra)
    assert response.status_code == 302 and response.location.startswith(school["redirect_uri"]), \
        (response.status_code, response.location)
    code = query(response.location)["code"]
    tokens = exchange(client, school, code, verifier)
    assert tokens.status_code == 200, tokens.get_json()
    return {**tokens.get_json(), "params": params, "code": code, "verifier": verifier}


def redis_reachable() -> bool:
    """True when the machine's Redis answers on 127.0.0.1:6379 (tests that need it skip otherwise)."""
    try:
        socket.create_connection(("127.0.0.1", 6379), 1).close()
        return True
    except OSError:
        return False
