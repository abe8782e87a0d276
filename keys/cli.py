"""``idp keys ...`` (or ``flask keys ...``): list, generate, rotate and prune signing keys.

The commands use the :class:`~keys.store.KeyStore` the IdP puts in
``current_app.extensions["keystore"]``. Refusals are printed to stderr and
exit with status 1; ``--force`` overrides them and prints a WARNING line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from .errors import KeyStoreError
from .rotation import SUPPORTED_ALGORITHMS, KeyRecord, activatable_at, prunable_at
from .store import KeyStore

__all__ = ["keys_cli"]

keys_cli = AppGroup(
    "keys",
    help=(
        "Manage the token signing keys. Lifecycle: next (published, not signing) -> active (signing) "
        "-> retiring (published until its tokens expired) -> pruned."
    ),
)

_alg_option = click.option(
    "--alg", type=click.Choice(SUPPORTED_ALGORITHMS), default="RS256", show_default=True, help="Signing algorithm."
)
_json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
_COLUMNS = ("KID", "ALG", "STATE", "PUBLISHED", "ACTIVATED", "RETIRED", "NOTE")


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _store() -> KeyStore:
    store = current_app.extensions.get("keystore")
    if not isinstance(store, KeyStore):
        raise click.ClickException('this app has no key store; the IdP must set app.extensions["keystore"]')
    return store


@contextmanager
def _refusals() -> Iterator[None]:
    """Turn key store errors (refusals included) into "Error: ..." on stderr and exit status 1."""
    try:
        yield
    except KeyStoreError as error:
        raise click.ClickException(str(error)) from None


def _record_json(record: KeyRecord, store: KeyStore) -> dict[str, Any]:
    return {
        "kid": record.kid,
        "alg": record.alg,
        "state": str(record.state),
        "development": record.development,
        "created_at": _iso(record.created_at),
        "published_at": _iso(record.published_at),
        "activated_at": _iso(record.activated_at),
        "retired_at": _iso(record.retired_at),
        "may_activate_after": _iso(activatable_at(record, store.jwks_cache_seconds)),
        "may_prune_after": _iso(prunable_at(record, store.max_token_lifetime_seconds)),
    }


def _note(record: KeyRecord, store: KeyStore) -> str:
    notes = []
    if (when := activatable_at(record, store.jwks_cache_seconds)) is not None:
        notes.append(f"may be activated after {_iso(when)}")
    if (when := prunable_at(record, store.max_token_lifetime_seconds)) is not None:
        notes.append(f"may be pruned after {_iso(when)}")
    if record.development:
        notes.append("DEVELOPMENT key")
    return "; ".join(notes)


def _table(records: list[KeyRecord], store: KeyStore) -> str:
    if not records:
        return f"No signing keys in {store.directory}."
    rows = [_COLUMNS] + [
        (
            r.kid,
            r.alg,
            str(r.state),
            _iso(r.published_at) or "-",
            _iso(r.activated_at) or "-",
            _iso(r.retired_at) or "-",
            _note(r, store),
        )
        for r in records
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def _emit(as_json: bool, document: dict[str, Any], lines: list[str], warnings: tuple[str, ...] = ()) -> None:
    for warning in warnings:
        click.echo(f"WARNING: {warning}", err=True)
    if as_json:
        click.echo(json.dumps({**document, "warnings": list(warnings)}, indent=2))
    else:
        click.echo("\n".join(lines))


@keys_cli.command("list")
@_json_option
def list_command(as_json: bool) -> None:
    """List the published keys and when they may be activated or pruned."""
    store = _store()
    with _refusals():
        records = store.records()
    document = {"keys": [_record_json(r, store) for r in records]}
    _emit(as_json, document, [_table(records, store)])


@keys_cli.command("generate")
@_alg_option
@_json_option
def generate_command(alg: str, as_json: bool) -> None:
    """Publish a new key (the first key of an algorithm is active at once, later ones are next)."""
    store = _store()
    with _refusals():
        record = store.generate(alg)
        records = store.records()
    lines = [f"Generated {alg} key {record.kid}, now {record.state}.", "", _table(records, store)]
    _emit(as_json, {"generated": _record_json(record, store)}, lines)


@keys_cli.command("rotate")
@_alg_option
@click.option("--force", is_flag=True, help="Activate the next key even if JWKS caches may not have it yet.")
@_json_option
def rotate_command(alg: str, force: bool, as_json: bool) -> None:
    """Activate the next key, retire the active one, and stage a new next key."""
    store = _store()
    with _refusals():
        result = store.rotate(alg, force=force)
        records = store.records()
    lines = [f"Activated {alg} key {result.activated.kid}."]
    lines += [f"Retired {alg} key {r.kid}; {_note(r, store)}." for r in result.retired]
    lines += [f"Staged next {alg} key {result.next.kid}; {_note(result.next, store)}.", "", _table(records, store)]
    document = {
        "activated": _record_json(result.activated, store),
        "retired": [_record_json(r, store) for r in result.retired],
        "next": _record_json(result.next, store),
    }
    _emit(as_json, document, lines, result.warnings)


@keys_cli.command("prune")
@click.option("--force", is_flag=True, help="Also remove retiring keys whose tokens may not have expired yet.")
@_json_option
def prune_command(force: bool, as_json: bool) -> None:
    """Remove retiring keys once every token they signed has expired."""
    store = _store()
    with _refusals():
        result = store.prune(force=force)
    lines = [f"Removed {r.alg} key {r.kid}." for r in result.removed] or ["Nothing to prune."]
    lines += [f"Kept {r.alg} key {r.kid}; {_note(r, store)}." for r in result.kept]
    document = {
        "removed": [_record_json(r, store) for r in result.removed],
        "kept": [_record_json(r, store) for r in result.kept],
    }
    _emit(as_json, document, lines, result.warnings)
