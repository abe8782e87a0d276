"""The ``keys`` CLI group, run against a tiny Flask app holding a KeyStore."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import Result
from flask import Flask

from keys import KeyStore
from keys.cli import keys_cli

Run = Callable[..., Result]


@pytest.fixture
def app(store: KeyStore) -> Flask:
    app = Flask("keys-cli-test")
    app.extensions["keystore"] = store
    app.cli.add_command(keys_cli)
    return app


@pytest.fixture
def run(app: Flask) -> Run:
    runner = app.test_cli_runner()

    def invoke(*args: str) -> Result:
        return runner.invoke(args=["keys", *args])

    return invoke


def as_json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_list_empty(run: Run) -> None:
    assert as_json(run("list", "--json")) == {"keys": [], "warnings": []}
    result = run("list")
    assert result.exit_code == 0 and "No signing keys" in result.stdout


def test_generate_first_active_then_next(run: Run, store: KeyStore) -> None:
    first = as_json(run("generate", "--json"))["generated"]
    assert (first["alg"], first["state"], first["activated_at"]) == ("RS256", "active", "2023-11-14T22:13:20Z")
    result = run("generate", "--alg", "RS256")
    assert result.exit_code == 0
    kid = store.records()[1].kid
    assert f"Generated RS256 key {kid}, now next." in result.stdout
    assert "may be activated after 2023-11-14T22:18:20Z" in result.stdout
    es = as_json(run("generate", "--alg", "ES256", "--json"))["generated"]
    assert (es["alg"], es["state"]) == ("ES256", "active")


def test_list_table(run: Run, store: KeyStore, clock: Any) -> None:
    store.generate()
    store.generate()
    clock.advance(300)
    store.rotate()
    lines = run("list").stdout.splitlines()
    assert lines[0].split() == ["KID", "ALG", "STATE", "PUBLISHED", "ACTIVATED", "RETIRED", "NOTE"]
    rows = {line.split()[2]: line for line in lines[1:]}
    assert set(rows) == {"active", "next", "retiring"}
    assert "may be pruned after 2023-11-14T23:18:20Z" in rows["retiring"]
    assert "2023-11-14T22:18:20Z" in rows["retiring"]  # retired_at
    listed = as_json(run("list", "--json"))["keys"]
    assert [k["state"] for k in listed] == ["active", "next", "retiring"]
    assert listed[2]["may_prune_after"] == "2023-11-14T23:18:20Z"
    assert listed[1]["may_activate_after"] == "2023-11-14T22:23:20Z"


def test_list_marks_development_keys(run: Run, store: KeyStore) -> None:
    store.ensure_development_keys()
    assert run("list").stdout.count("DEVELOPMENT key") == 2
    assert all(k["development"] for k in as_json(run("list", "--json"))["keys"])


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (["generate", "generate"], ["generate"], "a next RS256 key"),
        (["generate"], ["rotate"], "there is no next RS256 key to activate"),
        (["generate", "generate"], ["rotate"], "published for 0 s, less than the JWKS cache lifetime of 300 s; wait 300 s or use --force"),
        (["generate", "generate", "advance", "rotate"], ["prune"], "wait 3600 s or use --force"),
        ([], ["rotate", "--alg", "ES256", "--json"], "no next ES256 key"),
    ],
    ids=["generate-refused", "rotate-without-next", "rotate-too-early", "prune-too-early", "refusal-with-json"],
)
def test_refusals_exit_1_with_message_on_stderr(run: Run, clock: Any, setup: list[str], args: list[str], message: str) -> None:
    for step in setup:
        if step == "advance":
            clock.advance(300)
        else:
            assert run(step).exit_code == 0
    result = run(*args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stderr.startswith("Error: ")
    assert result.stdout == ""


def test_rotate_force_warns(run: Run, store: KeyStore) -> None:
    run("generate")
    run("generate")
    result = run("rotate", "--force")
    assert result.exit_code == 0
    assert result.stderr.startswith("WARNING: the next RS256 key")
    assert "Activated RS256 key" in result.stdout and "Staged next RS256 key" in result.stdout
    assert [str(r.state) for r in store.records()] == ["active", "next", "retiring"]


def test_rotate_json_on_time(run: Run, clock: Any) -> None:
    run("generate")
    run("generate")
    clock.advance(300)
    result = run("rotate", "--json")
    document = as_json(result)
    assert result.stderr == ""
    assert document["warnings"] == []
    assert document["activated"]["state"] == "active"
    assert [r["state"] for r in document["retired"]] == ["retiring"]
    assert document["next"]["state"] == "next"


def test_prune_force_warns_and_json_lists_removed(run: Run, clock: Any, store: KeyStore) -> None:
    run("generate")
    run("generate")
    clock.advance(300)
    run("rotate")
    retired = [r.kid for r in store.records() if str(r.state) == "retiring"]
    result = run("prune", "--force", "--json")
    assert result.exit_code == 0
    assert result.stderr.startswith("WARNING: removed key")
    document = json.loads(result.stdout)
    assert [r["kid"] for r in document["removed"]] == retired
    assert document["warnings"] and document["kept"] == []


def test_prune_human_output(run: Run, clock: Any) -> None:
    assert run("prune").stdout.strip() == "Nothing to prune."
    run("generate")
    run("generate")
    clock.advance(300)
    run("rotate")
    clock.advance(3600)
    result = run("prune")
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith("Removed RS256 key ")


def test_invalid_alg_is_a_usage_error(run: Run) -> None:
    result = run("generate", "--alg", "HS256")
    assert result.exit_code == 2


def test_app_without_keystore() -> None:
    app = Flask("no-keystore")
    app.cli.add_command(keys_cli)
    result = app.test_cli_runner().invoke(args=["keys", "list"])
    assert result.exit_code == 1
    assert 'app.extensions["keystore"]' in result.stderr
