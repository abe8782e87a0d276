"""Demo data and the development runner behind ``make run`` (never used in production)."""

from __future__ import annotations

import hashlib
import hmac
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .extensions import db
from .services import accounts as account_service
from .services import schools as school_service

demo_cli = AppGroup("demo", help="Demo schools and people for development.")

DEMO_PASSWORD = "demo-salasona"
DEMO_SCHOOLS = [
    # slug, name, kind, port
    ("noomuusikakool", "Nõo Muusikakool", "music_school", 5001),
    ("kesklinnagymnaasium", "Kesklinna Gümnaasium", "gymnasium", 5002),
    ("paikesekiir", "Lasteaed Päikesekiir", "kindergarten", 5003),
]
# school slug, username, given, family, roles, email, isikukood
DEMO_PEOPLE = [
    ("noomuusikakool", "mari.maasikas", "Mari", "Maasikas", ["parent"], "mari@example.ee", "48003120218"),
    ("noomuusikakool", "juhan.kask", "Juhan", "Kask", ["teacher"], "juhan@example.ee", "37605030299"),
    ("noomuusikakool", "direktor", "Tiina", "Tamm", ["admin", "teacher"], "tiina@example.ee", "47101010033"),
    ("kesklinnagymnaasium", "mari.maasikas", "Mari", "Maasikas", ["parent"], "mari@example.ee", "48003120218"),
    ("kesklinnagymnaasium", "kati.maasikas", "Kati", "Maasikas", ["student"], "mari@example.ee", "61107120011"),
    ("kesklinnagymnaasium", "juhan.kask", "Juhan", "Kask", ["teacher"], "juhan@example.ee", "37605030299"),
    ("paikesekiir", "mari.maasikas", "Mari", "Maasikas", ["parent"], "mari@example.ee", "48003120218"),
]


def demo_secret(slug: str) -> str:
    """Deterministic per-school secret for the demo, derived from the (development) secret key."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"demo-client-secret:{slug}".encode(), hashlib.sha256).hexdigest()


def school_urls(base: str) -> dict:
    return {
        "redirect_uris": [f"{base}/oidc/callback"],
        "post_logout_redirect_uris": [f"{base}/oidc/logged-out", f"{base}/"],
        "backchannel_logout_uri": f"{base}/oidc/backchannel-logout",
        "frontchannel_logout_uri": f"{base}/oidc/frontchannel-logout",
        "initiate_login_uri": f"{base}/oidc/login",
        "events_uri": f"{base}/oidc/events",
        "logo_uri": f"{base}/static/logo.svg",
    }


def seed(host: str = "localhost") -> None:
    """Create or refresh the demo schools and people (idempotent)."""
    for slug, name, kind, port in DEMO_SCHOOLS:
        urls = school_urls(f"http://{host}:{port}")
        try:
            school = school_service.get(slug)
            school_service.update(school, allow_http=True, name=name, kind=kind, **urls)
            school.set_client_secret(demo_secret(slug))
        except school_service.SchoolError:
            school_service.add(slug=slug, name=name, kind=kind, allow_http=True,
                               client_secret=demo_secret(slug), **urls)
    for slug, username, given, family, roles, email, code in DEMO_PEOPLE:
        school = school_service.get(slug)
        try:
            account_service.get(school, username)
        except account_service.AccountError:
            account_service.add(school, username=username, given_name=given, family_name=family,
                                roles=roles, email=email, isikukood=code, password=DEMO_PASSWORD)
    db.session.commit()


STANDIN_PORT = 5010
STANDIN_RP = ("00000000-0000-4000-8000-000000000000", "DEMO")  # SK DEMO's relying party


def smartid_standin(host: str) -> subprocess.Popen | None:
    """Start the Smart-ID STAND-IN (RP API v3, not SK's service) on port 5010, knowing the demo
    people, and point this IdP at it: its URL, the DEMO relying party, its TEST CA. Production
    reaches SK by configuration alone (IDP_SMARTID_*); the IdP's code path is the same. When
    Smart-ID is configured already (e.g. SK's DEMO service), that is used instead."""
    from .eid.smartid.standin import CA_FILE, load_or_create_ca

    if current_app.config["SMARTID_RELYING_PARTY_UUID"]:
        return None

    ca_dir = Path(current_app.instance_path) / "smartid-standin"
    load_or_create_ca(ca_dir)  # now, so that the IdP can trust it before the stand-in answers
    personas = sorted({f"{code}:{given}:{family}" for _s, _u, given, family, _r, _e, code
                       in DEMO_PEOPLE if code})
    child = subprocess.Popen([sys.executable, "-m", "idp.login.eid_standin", "--host", host,
                              "--port", str(STANDIN_PORT), "--ca-dir", str(ca_dir),
                              *[arg for p in personas for arg in ("--persona", p)]])
    base = f"http://{host}:{STANDIN_PORT}"
    current_app.config.update(
        SMARTID_BASE_URL=f"{base}/v3/", SMARTID_RELYING_PARTY_UUID=STANDIN_RP[0],
        SMARTID_RELYING_PARTY_NAME=STANDIN_RP[1], SMARTID_SCHEME_NAME="smart-id-demo",
        SMARTID_EXTRA_CA_FILES=(str(ca_dir / CA_FILE),), SMARTID_STANDIN_PHONE_URL=f"{base}/")
    return child


@demo_cli.command("seed")
@click.option("--host", default="localhost")
def seed_command(host):
    """Register the three demo schools and their people."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("demo data is for development only")
    seed(host)
    click.echo("demo schools and people are in place")


@demo_cli.command("run")
@click.option("--host", default="localhost")
@click.option("--port", default=5000, type=int)
def run_command(host, port):
    """Start the IdP and the three demo school Stuudiums; Ctrl-C stops them all."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("the demo runner is for development only")
    seed(host)
    issuer = current_app.config["ISSUER"]
    current_app.config["DEV_MAILBOX_ENABLED"] = True  # the e-mail the demo sends, in a browser
    children = [child for child in [smartid_standin(host)] if child is not None]
    for slug, name, _kind, school_port in DEMO_SCHOOLS:
        env = {**os.environ, "DEMO_CLIENT_SECRET": demo_secret(slug)}
        children.append(subprocess.Popen(
            [sys.executable, "-m", "schools_client.demo", "--slug", slug, "--name", name,
             "--port", str(school_port), "--host", host, "--issuer", issuer, "--client-id", slug],
            env=env))
    click.echo(f"\n  Login service (IdP): {issuer}")
    click.echo(f"  Development mailbox: {issuer}/dev/mailbox/"
               + ("" if current_app.config["MAIL_BACKEND"] == "file" else " (empty: IDP_MAIL_BACKEND is not 'file')"))
    for _slug, name, _kind, school_port in DEMO_SCHOOLS:
        click.echo(f"  {name:24} http://{host}:{school_port}")
    if current_app.config["SMARTID_STANDIN_PHONE_URL"]:
        click.echo(f"  Smart-ID STAND-IN phone  {current_app.config['SMARTID_STANDIN_PHONE_URL']}"
                   "  (not SK's service: confirm Smart-ID logins here)")
    click.echo(f"\n  Demo logins (password for all: {DEMO_PASSWORD}):")
    for slug, username, given, family, roles, _e, code in DEMO_PEOPLE:
        smartid = f", Smart-ID {code}" if code else ""
        click.echo(f"    {slug:20} {username:16} {given} {family} ({', '.join(roles)}{smartid})")
    click.echo("  Teachers and the director log in with Smart-ID (the stand-in's phone page),"
               " as Stuudium's staff do.")
    click.echo("\n  Press Ctrl-C to stop everything.\n")
    from .delivery.worker import start_background_worker

    def stop_on_term(signum, frame):
        raise KeyboardInterrupt  # `kill` or a supervisor stops the schools too, like Ctrl-C

    signal.signal(signal.SIGTERM, stop_on_term)
    app = current_app._get_current_object()
    stop_worker = start_background_worker(app)  # delivers logout tokens and e-mail
    try:
        from waitress import serve
        serve(app, host=host, port=port, threads=8)
    except KeyboardInterrupt:
        pass
    finally:
        stop_worker.stop()
        for child in children:
            child.send_signal(signal.SIGTERM)
        deadline = time.time() + 5
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                child.kill()
