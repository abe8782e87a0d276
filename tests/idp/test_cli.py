"""The ``idp`` command (idp/cli.py): schools, accounts and demo data."""

from __future__ import annotations

import hashlib
import json

import pytest

from idp.extensions import db
from idp.models import Account, School
from tests.helpers import PASSWORD, authorize, exchange, query

from ._ui import database_text, login_at_school

HTTPS = ["--redirect-uri", "https://gamma.school.test/cb",
         "--post-logout-redirect-uri", "https://gamma.school.test/bye"]


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def invoke(*args, input=None):
        return runner.invoke(args=list(args), input=input)
    return invoke


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def refused(result, message: str) -> None:
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert message in result.stderr and result.stderr.startswith("error: ")
    assert result.stdout == ""


def test_cli_schools_add_prints_the_secret_once_and_stores_a_digest(app, run):
    result = run("schools", "add", "gamma", "--name", "Gamma Kool", *HTTPS)
    assert result.exit_code == 0, result.output
    line = [ln for ln in result.stdout.splitlines() if ln.startswith("client_secret")][0]
    secret = line.split()[-1]
    assert len(secret) >= 32 and result.stdout.count(secret) == 1
    assert "shown only now" in result.stdout
    with app.app_context():
        school = db.session.scalar(db.select(School).where(School.slug == "gamma"))
        assert school.client_secret_digest == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in database_text()
    shown = run("schools", "show", "gamma").stdout
    assert secret not in shown and "client_secret" not in shown


def test_cli_schools_add_json(app, run):
    result = run("schools", "add", "gamma", "--name", "Gamma Kool", "--kind", "gymnasium",
                 "--logo-uri", "https://gamma.school.test/logo.svg", *HTTPS, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["slug"] == data["client_id"] == "gamma" and data["kind"] == "gymnasium"
    assert data["redirect_uris"] == ["https://gamma.school.test/cb"]
    assert data["logo_uri"] == "https://gamma.school.test/logo.svg"
    assert data["enabled"] is True and len(data["client_secret"]) >= 32
    with app.app_context():
        assert data["client_secret"] not in database_text()


def test_cli_schools_add_refuses_a_duplicate(app, run):
    assert run("schools", "add", "gamma", "--name", "Gamma", *HTTPS).exit_code == 0
    refused(run("schools", "add", "gamma", "--name", "Gamma again", *HTTPS), "exists already")
    assert count(app, School) == 1


@pytest.mark.parametrize("slug", ["G", "Gamma", "gamma_kool", "-gamma", "gämma", "a" * 64, "x y"])
def test_cli_schools_add_refuses_bad_slugs(app, run, slug):
    refused(run("schools", "add", "--name", "Gamma", *HTTPS, "--", slug), "slug")
    assert count(app, School) == 0


@pytest.mark.parametrize("option", ["--redirect-uri", "--post-logout-redirect-uri",
                                    "--backchannel-logout-uri", "--logo-uri"])
def test_RFC_6749_3_1_2_1_schools_add_refuses_http_without_allow_http(app, run, option):
    refused(run("schools", "add", "gamma", "--name", "Gamma", option, "http://gamma.test/x"),
            "must use https")
    assert count(app, School) == 0
    assert run("schools", "add", "gamma", "--name", "Gamma", option, "http://gamma.test/x",
               "--allow-http").exit_code == 0


@pytest.mark.parametrize("uri", ["gamma.test/cb", "https://gamma.test/cb#frag", "ftp://gamma.test/cb"])
def test_RFC_6749_3_1_2_schools_add_refuses_bad_redirect_uris(app, run, uri):
    refused(run("schools", "add", "gamma", "--name", "Gamma", "--redirect-uri", uri),
            "redirect_uri")


def test_cli_schools_list_and_show(app, run, world):
    listing = run("schools", "list")
    assert listing.exit_code == 0
    assert [ln.split()[0] for ln in listing.stdout.splitlines()] == ["alpha", "beta"]
    assert "Beeta Gümnaasium" in listing.stdout
    rows = json.loads(run("schools", "list", "--json").stdout)
    assert [r["slug"] for r in rows] == ["alpha", "beta"]
    assert all("client_secret" not in r for r in rows)
    shown = json.loads(run("schools", "show", "beta", "--json").stdout)
    assert shown["name"] == "Beeta Gümnaasium"
    assert "Alfa Kool" in run("schools", "show", "alpha").stdout
    refused(run("schools", "show", "nowhere"), "no school")


def test_cli_schools_list_when_empty(run):
    assert run("schools", "list").stdout.strip() == "no schools"
    assert json.loads(run("schools", "list", "--json").stdout) == []


def test_cli_schools_update(app, run, world):
    result = run("schools", "update", "alpha", "--name", "Alfa Põhikool", "--disable",
                 "--redirect-uri", "https://alpha.school.test/new", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["name"] == "Alfa Põhikool" and data["enabled"] is False
    assert data["redirect_uris"] == ["https://alpha.school.test/new"]
    assert data["post_logout_redirect_uris"] == ["https://alpha.school.test/bye"]  # untouched
    assert "DISABLED" in run("schools", "list").stdout
    refused(run("schools", "update", "alpha", "--logo-uri", "http://alpha.test/l.svg"),
            "must use https")
    refused(run("schools", "update", "nowhere", "--name", "X"), "no school")
    assert json.loads(run("schools", "show", "alpha", "--json").stdout)["logo_uri"] == \
        "https://alpha.school.test/logo.svg"
    assert run("schools", "update", "alpha", "--enable").exit_code == 0


def test_RFC_6749_2_3_1_rotated_secret_old_fails_new_works(app, client, run, world):
    school = world.schools["alpha"]
    response, verifier, _ = authorize(client, school, "mari")
    code = query(response.location)["code"]
    result = run("schools", "rotate-secret", "alpha", "--json")
    assert result.exit_code == 0, result.output
    new_secret = json.loads(result.stdout)["client_secret"]
    assert new_secret != school["secret"]
    old = exchange(client, school, code, verifier)
    assert old.status_code == 401 and old.get_json()["error"] == "invalid_client"
    new = exchange(client, {**school, "secret": new_secret}, code, verifier)
    assert new.status_code == 200, new.get_json()
    with app.app_context():
        assert new_secret not in database_text()


def test_cli_rotate_secret_prints_it_once(run, world):
    result = run("schools", "rotate-secret", "beta")
    secret = result.stdout.split("new client secret for beta: ")[1].split()[0]
    assert result.stdout.count(secret) == 1 and "old secret no longer works" in result.stdout
    refused(run("schools", "rotate-secret", "nowhere"), "no school")


ACCOUNT = ["accounts", "add", "--school", "alpha", "--username", "Peeter.Puu",
           "--given-name", "Peeter", "--family-name", "Puu", "--role", "teacher"]


def test_cli_accounts_add_and_log_in(app, client, run, world):
    result = run(*ACCOUNT, "--email", "peeter@example.ee", "--isikukood", "38001085718",
                 "--password", "pikk salasõna", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["username"] == "peeter.puu" and data["roles"] == ["teacher"]
    assert data["has_password"] is True and data["sub"]
    with app.app_context():
        assert "pikk salasõna" not in database_text()
    assert login_at_school(client, "alpha", "Peeter.Puu", "pikk salasõna").status_code == 303


@pytest.mark.parametrize("password", ["", "1234567", "lühike"])
def test_NIST_800_63B_5_1_1_2_password_at_least_8_characters(app, run, world, password):
    before = count(app, Account)
    result = run(*ACCOUNT, "--password", password) if password else run(*ACCOUNT, "--set-password",
                                                                          input="1234567\n1234567\n")
    refused_msg = "at least 8 characters"
    assert result.exit_code == 1 and refused_msg in result.stderr
    assert count(app, Account) == before


@pytest.mark.parametrize("args,message", [
    (["--isikukood", "38001085719"], "isikukood"),
    (["--username", "x"], "username"),
    (["--username", "mari"], "exists already"),
], ids=["isikukood", "short-username", "duplicate"])
def test_cli_accounts_add_refuses_bad_data(run, world, args, message):
    refused(run(*ACCOUNT, *args), message)


def test_cli_accounts_add_unknown_school(run):
    refused(run(*[a if a != "alpha" else "nowhere" for a in ACCOUNT]), "no school")


def test_cli_accounts_list(run, world):
    result = run("accounts", "list", "--school", "alpha")
    assert [ln.split()[0] for ln in result.stdout.splitlines()] == ["juhan", "kati", "mari"]
    rows = json.loads(run("accounts", "list", "--school", "alpha", "--json").stdout)
    assert {r["username"]: r["roles"] for r in rows}["mari"] == ["parent"]
    assert all("password" not in json.dumps(r).replace("has_password", "") for r in rows)
    refused(run("accounts", "list", "--school", "nowhere"), "no school")


def test_cli_accounts_set_password(app, client, run, world):
    refused(run("accounts", "set-password", "--school", "alpha", "juhan", "--password", "short"),
            "at least 8 characters")
    result = run("accounts", "set-password", "--school", "alpha", "JUHAN", "--password", "uus salasõna")
    assert result.exit_code == 0 and "password set for juhan at alpha" in result.stdout
    assert login_at_school(client, "alpha", "juhan", PASSWORD).status_code == 303
    assert client.get("/account/").status_code == 302  # old password: not logged in
    assert login_at_school(client, "alpha", "juhan", "uus salasõna").location == "/account/"
    refused(run("accounts", "set-password", "--school", "alpha", "nobody", "--password", "x" * 9),
            "no account")


@pytest.mark.parametrize("password", ["juhan12345", "Kask Juhan"])
def test_cli_set_password_follows_the_one_policy(app, client, run, world, password):
    refused(run("accounts", "set-password", "--school", "alpha", "juhan", "--password", password),
            "must not be your name, username or e-mail address")
    refused(run("accounts", "add", "--school", "alpha", "--username", "tiit.tamm",
                "--given-name", "Tiit", "--family-name", "Tamm", "--role", "parent",
                "--password", "tiit.tamm"), "must not be your name")


def test_cli_accounts_set_password_prompts(client, run, world):
    result = run("accounts", "set-password", "--school", "alpha", "juhan",
                 input="prompted pw 1\nprompted pw 1\n")
    assert result.exit_code == 0, result.output
    assert "prompted pw 1" not in result.stdout
    assert login_at_school(client, "alpha", "juhan", "prompted pw 1").location == "/account/"


def test_cli_demo_seed_is_idempotent(app, run):
    for _ in range(2):
        result = run("demo", "seed")
        assert result.exit_code == 0, result.output
    assert count(app, School) == 3
    assert count(app, Account) == 7
    slugs = [r["slug"] for r in json.loads(run("schools", "list", "--json").stdout)]
    assert slugs == ["kesklinnagymnaasium", "noomuusikakool", "paikesekiir"]


def test_cli_demo_seed_is_refused_in_production(tmp_path):
    from idp import create_app
    from keys import KeyStore
    KeyStore(tmp_path / "keys", b"production passphrase").generate("RS256")
    app = create_app({"ENV": "production", "SECRET_KEY": "production secret " * 3,
                      "KEYS_PASSPHRASE": "production passphrase", "ISSUER": "https://idp.test",
                      "KEYS_DIR": str(tmp_path / "keys"),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}"},
                     instance_path=str(tmp_path / "instance"))
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 1 and "development only" in result.stderr
