"""The file-backed KeyStore: persistence, encryption at rest, JWKS, multi-worker reloads."""

from __future__ import annotations

import json
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from keys import (
    CorruptKeyStore,
    GenerationRefused,
    KeyDecryptionError,
    KeyState,
    KeyStore,
    KeyStoreError,
    NoActiveKey,
    PruneRefused,
    RotationRefused,
    UnsupportedAlgorithm,
)
from keys.jwks import PRIVATE_MEMBERS, jwk_thumbprint

StoreFactory = Callable[..., KeyStore]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def staged_rotation(store: KeyStore, clock: Any) -> tuple[str, str]:
    """First key (active), a next key, wait out the JWKS cache, rotate: returns (old, new) kid."""
    first = store.generate("RS256")
    second = store.generate("RS256")
    clock.advance(store.jwks_cache_seconds)
    result = store.rotate("RS256")
    assert result.activated.kid == second.kid
    return first.kid, second.kid


# -- construction -------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"passphrase": b""},
        {"passphrase": "a str"},
        {"jwks_cache_seconds": -1},
        {"max_token_lifetime_seconds": 0},
        {"rsa_key_size": 1024},
    ],
    ids=["empty-passphrase", "str-passphrase", "negative-cache", "zero-lifetime", "weak-rsa"],
)
def test_rejects_bad_configuration(make_store: StoreFactory, overrides: dict[str, Any]) -> None:
    with pytest.raises(KeyStoreError):
        make_store(**overrides)


def test_empty_store_creates_nothing_on_read(store: KeyStore, key_dir: Path) -> None:
    assert store.records() == []
    assert store.jwks() == {"keys": []}
    assert not store.is_development
    assert not key_dir.exists()


@pytest.mark.parametrize(("seconds", "expected"), [(300, "public, max-age=300"), (60, "public, max-age=60")], ids=["default", "custom"])
def test_cache_control(make_store: StoreFactory, seconds: int, expected: str) -> None:
    assert make_store(jwks_cache_seconds=seconds).cache_control() == expected


def test_repr_does_not_leak_passphrase(store: KeyStore, passphrase: bytes) -> None:
    assert passphrase.decode() not in repr(store)


# -- signing ---------------------------------------------------------------------------


@pytest.mark.parametrize(("alg", "key_type"), [("RS256", RSAKey), ("ES256", ECKey)], ids=["rs256", "es256"])
def test_sign_with_active_key_and_verify_with_published_keys(store: KeyStore, alg: str, key_type: type) -> None:
    record = store.generate(alg)
    assert record.state is KeyState.ACTIVE
    signing = store.signing_key(alg)
    assert (signing.kid, signing.alg) == (record.kid, alg)
    assert isinstance(signing.key, key_type) and signing.key.is_private
    assert signing.key.kid == record.kid
    token = jwt.encode({"alg": alg, "kid": signing.kid}, {"sub": "38001010000", "iss": "https://idp.test"}, signing.key)
    decoded = jwt.decode(token, store.verification_keys(), algorithms=[alg])
    assert decoded.claims["sub"] == "38001010000"
    assert decoded.header["kid"] == record.kid


def test_rsa_3072_keys(make_store: StoreFactory) -> None:
    store = make_store(rsa_key_size=3072)
    store.generate("RS256")
    key = store.signing_key("RS256").key
    assert isinstance(key, RSAKey) and key.raw_value.key_size == 3072


@pytest.mark.parametrize(("alg", "error"), [("RS256", NoActiveKey), ("HS256", UnsupportedAlgorithm)], ids=["no-active-key", "unsupported-alg"])
def test_signing_key_errors(store: KeyStore, alg: str, error: type[Exception]) -> None:
    store.generate("ES256")
    with pytest.raises(error) as caught:
        store.signing_key(alg)
    if error is NoActiveKey:
        assert "idp keys generate --alg RS256" in str(caught.value)


def test_decrypted_private_key_is_cached(store: KeyStore, key_dir: Path) -> None:
    record = store.generate("RS256")
    first = store.signing_key().key
    (key_dir / f"{record.kid}.pem").write_bytes(b"gone")  # would fail if decrypted again
    assert store.signing_key().key is first


# -- persistence and encryption at rest -----------------------------------------------


def test_round_trip_through_a_new_instance(store: KeyStore, make_store: StoreFactory) -> None:
    store.generate("RS256")
    store.generate("RS256")
    store.generate("ES256")
    reopened = make_store()
    assert reopened.records() == store.records()
    assert reopened.jwks() == store.jwks()
    assert reopened.signing_key("RS256").key.as_dict() == store.signing_key("RS256").key.as_dict()


def test_private_keys_are_encrypted_at_rest(store: KeyStore, key_dir: Path) -> None:
    for alg in ("RS256", "ES256"):
        record = store.generate(alg)
        pem = (key_dir / f"{record.kid}.pem").read_bytes()
        assert pem.startswith(b"-----BEGIN " + b"ENCRYPTED PRIVATE KEY-----")  # split: not a key
        for marker in (b"BEGIN PRIVATE KEY", b"BEGIN RSA PRIVATE KEY", b"BEGIN EC PRIVATE KEY"):
            assert marker not in pem
        with pytest.raises(TypeError, match="encrypted"):
            load_pem_private_key(pem, password=None)
        assert mode(key_dir / f"{record.kid}.pem") == 0o600
    assert mode(key_dir) == 0o700
    assert mode(key_dir / "keys.json") == 0o600
    document = json.loads((key_dir / "keys.json").read_text())
    assert all(not (PRIVATE_MEMBERS & entry["jwk"].keys()) for entry in document["keys"])


def test_existing_directory_is_tightened_to_0700(store: KeyStore, key_dir: Path) -> None:
    key_dir.mkdir(parents=True, mode=0o755)
    key_dir.chmod(0o755)
    store.generate("RS256")
    assert mode(key_dir) == 0o700


def test_wrong_passphrase(store: KeyStore, make_store: StoreFactory) -> None:
    store.generate("RS256")
    intruder = make_store(passphrase=b"wrong passphrase")
    assert intruder.jwks() == store.jwks()  # public data needs no passphrase
    with pytest.raises(KeyDecryptionError, match="passphrase is wrong"):
        intruder.signing_key("RS256")


@pytest.mark.parametrize(
    "damage",
    ["truncate-keys-json", "swap-kid", "private-member-in-jwks", "delete-pem", "unencrypted-pem", "other-key-in-pem"],
    ids=["truncated-keys-json", "kid-not-thumbprint", "private-jwk-in-keys-json", "missing-pem", "unencrypted-pem", "swapped-pem"],
)
def test_damaged_store_is_reported(store: KeyStore, make_store: StoreFactory, key_dir: Path, damage: str) -> None:
    kid = store.generate("RS256").kid
    keys_json, pem = key_dir / "keys.json", key_dir / f"{kid}.pem"
    document = json.loads(keys_json.read_text())
    if damage == "truncate-keys-json":
        keys_json.write_text(keys_json.read_text()[:40])
    elif damage == "swap-kid":
        document["keys"][0]["jwk"]["n"] = RSAKey.generate_key(2048)["n"]
        keys_json.write_text(json.dumps(document))
    elif damage == "private-member-in-jwks":
        document["keys"][0]["jwk"]["d"] = "secret"
        keys_json.write_text(json.dumps(document))
    elif damage == "delete-pem":
        pem.unlink()
    elif damage == "unencrypted-pem":
        pem.write_bytes(RSAKey.generate_key(2048).as_pem(private=True))
    else:
        pem.write_bytes(RSAKey.generate_key(2048).as_pem(private=True, password="correct horse battery staple"))
    with pytest.raises(CorruptKeyStore):
        make_store().signing_key("RS256")


# -- JWKS ---------------------------------------------------------------------------


def test_jwks_publishes_next_active_retiring_but_not_removed(store: KeyStore, clock: Any) -> None:
    old, current = staged_rotation(store, clock)
    clock.advance(store.max_token_lifetime_seconds)  # old: ripe for pruning
    second = store.rotate("RS256")  # current -> retiring (young), staged next -> active
    states = {r.kid: str(r.state) for r in store.records()}
    assert sorted(states.values()) == ["active", "next", "retiring", "retiring"]
    assert {jwk["kid"] for jwk in store.jwks()["keys"]} == set(states)
    assert [r.kid for r in store.prune().removed] == [old]
    published = {jwk["kid"] for jwk in store.jwks()["keys"]}
    assert published == {current, second.activated.kid, second.next.kid}


def test_jwks_members(store: KeyStore) -> None:
    store.ensure_development_keys()
    store.generate("RS256")
    for jwk in store.jwks()["keys"]:
        assert not PRIVATE_MEMBERS & jwk.keys()
        assert jwk["use"] == "sig"
        assert jwk["alg"] in {"RS256", "ES256"}
        assert jwk["kty"] == ("RSA" if jwk["alg"] == "RS256" else "EC")
        assert jwk["kid"] == jwk_thumbprint(jwk)
        assert jwk["kid"] == (RSAKey if jwk["kty"] == "RSA" else ECKey).import_key(dict(jwk)).thumbprint()
    assert len(store.verification_keys().keys) == 3
    by_kid = {r.kid: r for r in store.records()}
    order = [(jwk["alg"], str(by_kid[jwk["kid"]].state)) for jwk in store.jwks()["keys"]]
    assert order == [("RS256", "active"), ("ES256", "active"), ("RS256", "next")]  # naive RPs take the first


def test_jwks_result_is_a_copy(store: KeyStore) -> None:
    store.generate("RS256")
    store.jwks()["keys"][0]["kid"] = "tampered"
    assert store.jwks()["keys"][0]["kid"] != "tampered"


# -- lifecycle through the store --------------------------------------------------------


def test_rotate_stages_a_fresh_next_key(store: KeyStore, clock: Any) -> None:
    old, current = staged_rotation(store, clock)
    states = {r.kid: r.state for r in store.records()}
    assert states.pop(old) is KeyState.RETIRING
    assert states.pop(current) is KeyState.ACTIVE
    assert list(states.values()) == [KeyState.NEXT]
    assert store.signing_key().kid == current


def test_store_refusals_and_force(store: KeyStore, clock: Any, key_dir: Path) -> None:
    store.generate("RS256")
    with pytest.raises(RotationRefused, match="no next RS256 key"):
        store.rotate("RS256")
    store.generate("RS256")
    with pytest.raises(GenerationRefused):
        store.generate("RS256")
    clock.advance(40)
    with pytest.raises(RotationRefused, match="published for 40 s.*wait 260 s or use --force"):
        store.rotate("RS256")
    result = store.rotate("RS256", force=True)
    assert result.warnings and result.retired
    with pytest.raises(PruneRefused, match="wait 3600 s or use --force"):
        store.prune()
    pruned = store.prune(force=True)
    assert pruned.warnings and [r.kid for r in pruned.removed] == [result.retired[0].kid]
    assert not (key_dir / f"{result.retired[0].kid}.pem").exists()


def test_prune_deletes_key_files_when_ripe(store: KeyStore, clock: Any, key_dir: Path) -> None:
    old, _ = staged_rotation(store, clock)
    clock.advance(store.max_token_lifetime_seconds)
    result = store.prune()
    assert [r.kid for r in result.removed] == [old] and not result.warnings
    assert not (key_dir / f"{old}.pem").exists()
    assert old not in {r.kid for r in store.records()}


def test_development_keys(store: KeyStore, make_store: StoreFactory) -> None:
    assert store.ensure_development_keys() is True
    assert store.ensure_development_keys() is False
    assert make_store().ensure_development_keys() is False
    records = store.records()
    assert {(r.alg, r.state, r.development) for r in records} == {
        ("RS256", KeyState.ACTIVE, True),
        ("ES256", KeyState.ACTIVE, True),
    }
    assert store.is_development


def test_development_keys_not_added_to_a_real_store(store: KeyStore) -> None:
    store.generate("RS256")
    assert store.ensure_development_keys() is False
    assert not store.is_development


# -- several workers on one directory ------------------------------------------------------


def test_second_worker_sees_rotation_and_prune_without_restart(make_store: StoreFactory, clock: Any) -> None:
    admin, worker = make_store(), make_store()
    admin.generate("RS256")
    before = worker.signing_key()
    admin.generate("RS256")
    assert len(worker.jwks()["keys"]) == 2  # the next key is published to RPs at once
    clock.advance(300)
    rotated = admin.rotate("RS256")
    assert worker.signing_key().kid == rotated.activated.kid != before.kid
    assert rotated.next.kid in {k.kid for k in worker.verification_keys().keys}
    clock.advance(3600)
    admin.prune()
    assert before.kid not in {jwk["kid"] for jwk in worker.jwks()["keys"]}
    assert before.kid not in {r.kid for r in worker.records()}


def test_rapid_consecutive_writes_are_all_seen(make_store: StoreFactory, clock: Any) -> None:
    admin, worker = make_store(), make_store()
    admin.generate("RS256")
    admin.generate("RS256")
    for _ in range(5):  # no clock advance: all writes within the same instant
        admin.rotate("RS256", force=True)
        assert worker.records() == admin.records()
        assert worker.signing_key().kid == admin.signing_key().kid
        admin.prune(force=True)
        assert worker.records() == admin.records()


def test_concurrent_writers_are_serialised(make_store: StoreFactory) -> None:
    make_store().generate("RS256")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def stage_next() -> None:
        store = make_store()
        barrier.wait()
        try:
            store.generate("RS256")
            outcomes.append("generated")
        except GenerationRefused:
            outcomes.append("refused")

    threads = [threading.Thread(target=stage_next) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["generated", "refused"]
    assert [str(r.state) for r in make_store().records()] == ["active", "next"]
