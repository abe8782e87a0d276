"""Fixtures: a production keystore, and ``idp serve`` processes on the test's database."""

from __future__ import annotations

import pytest

from keys import KeyStore
from tests.multinode.nodes import KEYS_PASSPHRASE, node_environment, start_node

pytestmark = pytest.mark.multinode


@pytest.fixture(scope="session")
def production_keys(tmp_path_factory):
    """A real (not development) signing key, encrypted with the nodes' passphrase."""
    directory = tmp_path_factory.mktemp("production-keys")
    KeyStore(directory, KEYS_PASSPHRASE.encode()).generate("RS256")
    return directory


@pytest.fixture
def start(app, world, production_keys, tmp_path):
    """``start(*args, **settings)`` runs ``idp serve`` on the test's database (SQLite or
    PostgreSQL, with the ``world`` schools and people); every node is stopped by its PID."""
    started = []

    def start(*args: str, **settings: str):
        env = node_environment(app.config["SQLALCHEMY_DATABASE_URI"], production_keys,
                               tmp_path / "instance", **settings)
        node = start_node(env, tmp_path / f"node{len(started) + 1}.log", *args)
        started.append(node)
        node.wait_ready()
        return node

    yield start
    for node in started:
        node.stop()
