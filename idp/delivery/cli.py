"""``idp worker`` and ``idp deliveries list|retry``: operating the outbox."""

from __future__ import annotations

import json
import signal
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..models import OutboxMessage
from . import outbox
from .worker import drain, run_worker

deliveries_cli = AppGroup("deliveries", help="Outgoing messages: logout tokens, e-mail, events.")


def message_dict(m: OutboxMessage) -> dict:
    return {"id": m.id, "kind": m.kind, "school": m.school.slug if m.school else None,
            "target": m.target, "status": m.status, "attempts": m.attempts,
            "next_attempt_at": m.next_attempt_at.isoformat() if m.status == "pending" else None,
            "last_error": m.last_error, "created_at": m.created_at.isoformat(),
            "delivered_at": m.delivered_at.isoformat() if m.delivered_at else None}


@deliveries_cli.command("list")
@click.option("--status", type=click.Choice(["pending", "failed", "delivered", "all"]),
              default=None, help="default: pending and failed")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def list_command(status, limit, as_json):
    """Show pending and failed deliveries (what did not reach a school or a mailbox yet)."""
    query = db.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is None:
        query = query.where(OutboxMessage.status.in_(["pending", "failed"]))
    elif status != "all":
        query = query.where(OutboxMessage.status == status)
    rows = [message_dict(m) for m in db.session.scalars(query)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("nothing pending or failed")
    for r in rows:
        click.echo(f"#{r['id']:<6} {r['status']:9} {r['kind']:18} {r['school'] or '-':20} "
                   f"tries {r['attempts']:<3} {r['target']}")
        if r["last_error"]:
            click.echo(f"        last error: {r['last_error']}")


@deliveries_cli.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="retry every failed delivery")
def retry_command(ids, all_failed):
    """Try the given deliveries (or all failed ones) again now."""
    if not ids and not all_failed:
        click.echo("error: name message ids or use --all-failed", err=True)
        sys.exit(1)
    query = db.select(OutboxMessage)
    query = query.where(OutboxMessage.status == "failed") if all_failed else \
        query.where(OutboxMessage.id.in_(ids))
    messages = [m for m in db.session.scalars(query) if m.status != "delivered"]
    for missing in sorted(set(ids) - {m.id for m in messages}):
        click.echo(f"#{missing}: not pending or failed (delivered, or no such message): skipped", err=True)
    for message in messages:
        outbox.retry(message)
    db.session.commit()
    click.echo(f"{len(messages)} deliveries queued for another try; `idp worker` sends them")


@click.command("worker")
@click.option("--interval", default=2.0, show_default=True, help="seconds between idle rounds")
def worker_command(interval):
    """Deliver the outbox continuously (run one or more next to the IdP workers)."""
    click.echo("delivering outgoing messages; Ctrl-C stops")

    def stop_on_term(signum, frame):
        raise KeyboardInterrupt  # a supervisor's SIGTERM stops as cleanly as Ctrl-C

    signal.signal(signal.SIGTERM, stop_on_term)
    try:
        run_worker(current_app._get_current_object(), interval=interval)
    except KeyboardInterrupt:
        click.echo("stopping: finishing the sends in flight")
        drain(current_app.config["DELIVERY_HTTP_TIMEOUT"] * 2)
