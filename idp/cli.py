"""The ``idp`` command: ``idp schools|accounts|keys|db|config|demo|dev ...``."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup
from flask_babel import force_locale

from .extensions import db
from .services import accounts as account_service
from .services import schools as school_service

schools_cli = AppGroup("schools", help="Register and manage schools (OIDC clients).")
accounts_cli = AppGroup("accounts", help="Manage accounts at a school.")
config_cli = AppGroup("config", help="Show the effective configuration.")


def fail(message: str) -> None:
    db.session.rollback()
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def school_dict(school) -> dict:
    return {
        "slug": school.slug, "name": school.name, "kind": school.kind, "client_id": school.client_id,
        "enabled": school.enabled, "logo_uri": school.logo_uri,
        "redirect_uris": school.redirect_uris, "post_logout_redirect_uris": school.post_logout_redirect_uris,
        "backchannel_logout_uri": school.backchannel_logout_uri,
        "frontchannel_logout_uri": school.frontchannel_logout_uri,
        "initiate_login_uri": school.initiate_login_uri, "events_uri": school.events_uri,
        "secret_rotated_at": school.secret_rotated_at.isoformat(),
    }


def emit(data, as_json: bool, human) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False) if as_json else human(data))


def uri_options(f):
    for name in ("frontchannel-logout-uri", "backchannel-logout-uri", "initiate-login-uri",
                 "events-uri", "logo-uri"):
        f = click.option(f"--{name}", default=None)(f)
    f = click.option("--post-logout-redirect-uri", "post_logout_redirect_uris", multiple=True)(f)
    f = click.option("--redirect-uri", "redirect_uris", multiple=True)(f)
    f = click.option("--kind", type=click.Choice(["school", "gymnasium", "music_school", "kindergarten"]),
                     default=None)(f)
    f = click.option("--allow-http", is_flag=True, help="allow http:// URIs (development only)")(f)
    return click.option("--json", "as_json", is_flag=True)(f)


def _uri_fields(kw: dict) -> dict:
    fields = {k: v for k, v in kw.items() if k.endswith("_uri") and v is not None}
    for key in ("redirect_uris", "post_logout_redirect_uris"):
        if kw.get(key):
            fields[key] = list(kw[key])
    return fields


def _show_school(d: dict) -> str:
    return "\n".join(f"{k:26} {v}" for k, v in d.items())


@schools_cli.command("add")
@click.argument("slug")
@click.option("--name", required=True)
@uri_options
def schools_add(slug, name, as_json, allow_http, kind, **kw):
    """Register a school; prints its client secret ONCE."""
    try:
        school, secret = school_service.add(slug=slug, name=name, kind=kind or "school",
                                            allow_http=allow_http, **_uri_fields(kw))
        db.session.commit()
    except school_service.SchoolError as exc:
        fail(str(exc))
    data = {**school_dict(school), "client_secret": secret}
    emit(data, as_json, lambda d: _show_school(d) + "\n\nThe client secret is shown only now: "
         "store it in the school's Stuudium configuration.")


@schools_cli.command("update")
@click.argument("slug")
@click.option("--name", default=None)
@click.option("--enable/--disable", "enabled", default=None)
@uri_options
def schools_update(slug, name, enabled, as_json, allow_http, kind, **kw):
    """Change a school's name, kind, URIs or status (lists given replace the old ones)."""
    try:
        school = school_service.get(slug)
        school_service.update(school, allow_http=allow_http, name=name, kind=kind, enabled=enabled,
                              **_uri_fields(kw))
        db.session.commit()
    except school_service.SchoolError as exc:
        fail(str(exc))
    emit(school_dict(school), as_json, _show_school)


@schools_cli.command("list")
@click.option("--json", "as_json", is_flag=True)
def schools_list(as_json):
    from .models import School
    rows = [school_dict(s) for s in db.session.scalars(db.select(School).order_by(School.slug))]
    emit(rows, as_json, lambda rs: "\n".join(
        f"{r['slug']:24} {r['kind']:13} {'enabled' if r['enabled'] else 'DISABLED':9} {r['name']}"
        for r in rs) or "no schools")


@schools_cli.command("show")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True)
def schools_show(slug, as_json):
    try:
        school = school_service.get(slug)
    except school_service.SchoolError as exc:
        fail(str(exc))
    emit(school_dict(school), as_json, _show_school)


@schools_cli.command("rotate-secret")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True)
def schools_rotate_secret(slug, as_json):
    """Issue a new client secret (the old one stops working at once); prints it ONCE."""
    try:
        school = school_service.get(slug)
        secret = school_service.rotate_secret(school)
        db.session.commit()
    except school_service.SchoolError as exc:
        fail(str(exc))
    emit({"slug": school.slug, "client_id": school.client_id, "client_secret": secret}, as_json,
         lambda d: f"new client secret for {d['slug']}: {d['client_secret']}\n"
                   "It is shown only now; the old secret no longer works.")


def account_dict(account) -> dict:
    p = account.person
    return {"school": account.school.slug, "username": account.username, "sub": account.sub,
            "given_name": p.given_name, "family_name": p.family_name, "email": p.email,
            "roles": account.roles, "status": account.status,
            "has_password": bool(p.password_hash)}


@accounts_cli.command("add")
@click.option("--school", "school_slug", required=True)
@click.option("--username", required=True)
@click.option("--given-name", required=True)
@click.option("--family-name", required=True)
@click.option("--email", default=None)
@click.option("--isikukood", default=None)
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(["student", "parent", "teacher", "staff", "admin"]))
@click.option("--password", default=None, help="prompted for when --set-password is given")
@click.option("--set-password", is_flag=True, help="ask for a password interactively")
@click.option("--json", "as_json", is_flag=True)
def accounts_add(school_slug, username, given_name, family_name, email, isikukood, roles,
                 password, set_password, as_json):
    """Create an account (and its person) at a school."""
    if set_password and not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with force_locale("en"):  # the policy's messages, in the CLI's language
        try:
            school = school_service.get(school_slug)
            account = account_service.add(school, username=username, given_name=given_name,
                                          family_name=family_name, email=email, isikukood=isikukood,
                                          roles=list(roles), password=password)
            db.session.commit()
        except (school_service.SchoolError, account_service.AccountError) as exc:
            fail(str(exc))
    emit(account_dict(account), as_json, lambda d: f"created {d['username']} at {d['school']} "
         f"(sub {d['sub']})")


@accounts_cli.command("list")
@click.option("--school", "school_slug", required=True)
@click.option("--json", "as_json", is_flag=True)
def accounts_list(school_slug, as_json):
    from .models import Account
    try:
        school = school_service.get(school_slug)
    except school_service.SchoolError as exc:
        fail(str(exc))
    rows = [account_dict(a) for a in db.session.scalars(
        db.select(Account).where(Account.school_id == school.id).order_by(Account.username))]
    emit(rows, as_json, lambda rs: "\n".join(
        f"{r['username']:24} {','.join(r['roles']):16} {r['status']:8} "
        f"{r['given_name']} {r['family_name']}" for r in rs) or "no accounts")


@accounts_cli.command("set-password")
@click.option("--school", "school_slug", required=True)
@click.argument("username")
@click.option("--password", default=None, help="omit to be prompted (safer: not in shell history)")
def accounts_set_password(school_slug, username, password):
    """Set the password of the person behind an account."""
    if not password:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    with force_locale("en"):  # the policy's messages, in the CLI's language
        try:
            account = account_service.get(school_service.get(school_slug), username)
            account_service.change_password(account, password)
            db.session.commit()
        except (school_service.SchoolError, account_service.AccountError) as exc:
            fail(str(exc))
    click.echo(f"password set for {account.username} at {account.school.slug}")


@config_cli.command("show")
def config_show():
    """Print the effective configuration, secrets masked."""
    from .config import public_view
    click.echo(json.dumps(public_view(current_app.config), indent=2, default=str))


@click.command("serve")
@click.option("--server", type=click.Choice(["granian", "gunicorn"]), default=None,
              help="the WSGI server (default IDP_SERVER, else granian)")
@click.option("--bind", default=None, help="HOST:PORT (default IDP_BIND, 127.0.0.1:8000)")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="worker processes (default IDP_WORKERS, else one per CPU)")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="threads per worker (default IDP_THREADS, 8)")
@click.option("--with-worker", is_flag=True,
              help="also run the delivery worker (idp worker) as its own process")
def serve_command(server, bind, workers, threads, with_worker):
    """Serve the IdP in production (granian or gunicorn); SIGTERM/Ctrl-C stop gracefully."""
    from . import serve

    options = serve.ServeOptions.from_config(current_app.config, server=server, bind=bind,
                                             workers=workers, threads=threads)
    if with_worker:
        serve_argv = serve.idp_command("serve", "--server", options.server, "--bind",
                                       f"{options.host}:{options.port}", "--workers",
                                       str(options.workers), "--threads", str(options.threads))
        sys.exit(serve.supervise(serve_argv, serve.idp_command("worker")))
    serve.run_server(options)


def register_cli(app) -> None:
    from keys.cli import keys_cli

    from .roster.command import import_command
    accounts_cli.add_command(import_command)  # idp accounts import (the roster import)

    from .delivery.cli import deliveries_cli, worker_command
    from .demo import demo_cli
    from .purge.cli import purge_command

    for group in (schools_cli, accounts_cli, config_cli, keys_cli, demo_cli, deliveries_cli,
                  worker_command, serve_command, purge_command):
        app.cli.add_command(group)


def create_app_or_exit():
    """The app from the environment; a configuration error is one line naming the setting
    and exit status 2, never a traceback."""
    from . import ConfigError, create_app

    try:
        return create_app()
    except ConfigError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        sys.exit(2)


def main() -> None:
    cli = FlaskGroup(create_app=create_app_or_exit, add_default_commands=True,
                     help="The school identity provider.")
    cli.main(prog_name="idp")
