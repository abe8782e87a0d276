"""Fixtures for the key store tests: an injectable clock and a store factory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from keys import KeyStore

PASSPHRASE = b"correct horse battery staple"
START = 1_700_000_000.0  # 2023-11-14T22:13:20Z


class FakeClock:
    """A settable clock: ``clock()`` returns ``clock.now``."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    return tmp_path / "instance" / "keys"


@pytest.fixture
def make_store(key_dir: Path, clock: FakeClock) -> Callable[..., KeyStore]:
    """Build a KeyStore on the shared test directory (each call is another "worker")."""

    def factory(**overrides: Any) -> KeyStore:
        options: dict[str, Any] = {
            "directory": key_dir,
            "passphrase": PASSPHRASE,
            "jwks_cache_seconds": 300,
            "max_token_lifetime_seconds": 3600,
            "clock": clock,
        }
        options.update(overrides)
        return KeyStore(**options)

    return factory


@pytest.fixture
def store(make_store: Callable[..., KeyStore]) -> KeyStore:
    return make_store()


@pytest.fixture
def passphrase() -> bytes:
    return PASSPHRASE
