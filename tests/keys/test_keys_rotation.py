"""The pure lifecycle state machine: every transition and every refusal."""

from __future__ import annotations

from dataclasses import replace

import pytest

from keys import (
    GenerationRefused,
    KeyStoreError,
    PruneRefused,
    RotationRefused,
    UnsupportedAlgorithm,
)
from keys.rotation import (
    KeyRecord,
    KeyState,
    activatable_at,
    plan_generate,
    plan_prune,
    plan_rotate,
    prunable_at,
)

NOW = 10_000.0
CACHE = 300
LIFETIME = 3600


def active(kid: str, alg: str = "RS256", at: float = 0.0) -> KeyRecord:
    return KeyRecord(kid, alg, KeyState.ACTIVE, at, at, activated_at=at)


def staged(kid: str, alg: str = "RS256", at: float = 0.0) -> KeyRecord:
    return KeyRecord(kid, alg, KeyState.NEXT, at, at)


def retiring(kid: str, retired: float, alg: str = "RS256") -> KeyRecord:
    return KeyRecord(kid, alg, KeyState.RETIRING, 0.0, 0.0, activated_at=0.0, retired_at=retired)


def states(records: tuple[KeyRecord, ...]) -> dict[str, str]:
    return {r.kid: str(r.state) for r in records}


# -- KeyRecord invariants -------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"state": KeyState.NEXT, "activated_at": 1.0},
        {"state": KeyState.NEXT, "retired_at": 1.0},
        {"state": KeyState.ACTIVE},
        {"state": KeyState.ACTIVE, "activated_at": 1.0, "retired_at": 2.0},
        {"state": KeyState.RETIRING, "activated_at": 1.0},
    ],
    ids=[
        "next-never-activated",
        "next-never-retired",
        "active-needs-activated_at",
        "active-has-no-retired_at",
        "retiring-needs-retired_at",
    ],
)
def test_record_rejects_timestamps_contradicting_state(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        KeyRecord(kid="k", alg="RS256", created_at=0.0, published_at=0.0, **kwargs)  # type: ignore[arg-type]


# -- generate ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("existing", "alg", "expected_state"),
    [
        ((), "RS256", KeyState.ACTIVE),
        ((active("rsa"),), "ES256", KeyState.ACTIVE),
        ((active("rsa"),), "RS256", KeyState.NEXT),
        ((retiring("old", retired=1.0),), "RS256", KeyState.NEXT),
        ((active("rsa"), staged("ec-next", "ES256")), "RS256", KeyState.NEXT),
    ],
    ids=[
        "first-key-of-alg-is-active-at-once",
        "first-key-of-another-alg-is-active-at-once",
        "later-key-is-next",
        "key-after-only-retiring-ones-is-next",
        "next-of-other-alg-does-not-block",
    ],
)
def test_generate_state(existing: tuple[KeyRecord, ...], alg: str, expected_state: KeyState) -> None:
    plan = plan_generate(existing, alg, NOW, "new")
    assert plan.created.state is expected_state
    assert plan.created.published_at == plan.created.created_at == NOW
    assert plan.created.activated_at == (NOW if expected_state is KeyState.ACTIVE else None)
    assert plan.records == (*existing, plan.created)


def test_generate_marks_development_keys() -> None:
    assert plan_generate((), "RS256", NOW, "dev", development=True).created.development is True
    assert plan_generate((), "RS256", NOW, "prod").created.development is False


@pytest.mark.parametrize(
    ("existing", "alg", "kid", "error", "message"),
    [
        ((active("a"), staged("b")), "RS256", "c", GenerationRefused, "a next RS256 key (b) is already published"),
        ((active("a"),), "RS256", "a", KeyStoreError, "kid a already exists"),
        ((), "HS256", "x", UnsupportedAlgorithm, "unsupported key algorithm 'HS256'"),
    ],
    ids=["refuse-second-next-for-same-alg", "refuse-duplicate-kid", "refuse-unsupported-alg"],
)
def test_generate_refusals(
    existing: tuple[KeyRecord, ...], alg: str, kid: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        plan_generate(existing, alg, NOW, kid)
    assert message in str(caught.value)


# -- rotate -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        (
            (active("a"), staged("b", at=NOW - CACHE - 1)),
            {"a": "retiring", "b": "active"},
        ),
        (
            (active("a"), staged("b", at=NOW - CACHE)),
            {"a": "retiring", "b": "active"},
        ),
        (
            (staged("b", at=0.0),),
            {"b": "active"},
        ),
        (
            (retiring("old", 5.0), active("a"), staged("b"), active("e", "ES256"), staged("f", "ES256")),
            {"old": "retiring", "a": "retiring", "b": "active", "e": "active", "f": "next"},
        ),
    ],
    ids=[
        "next-becomes-active-and-active-retires",
        "allowed-exactly-one-cache-lifetime-after-publishing",
        "next-without-active-just-activates",
        "other-keys-and-other-algs-untouched",
    ],
)
def test_rotate_transitions(records: tuple[KeyRecord, ...], expected: dict[str, str]) -> None:
    plan = plan_rotate(records, "RS256", NOW, CACHE)
    assert states(plan.records) == expected
    assert plan.activated.kid == "b" and plan.activated.activated_at == NOW
    assert all(r.retired_at == NOW for r in plan.retired)
    assert plan.warnings == ()
    untouched = {r.kid: r for r in records if r.kid not in {"a", "b"}}
    assert all(r == untouched[r.kid] for r in plan.records if r.kid in untouched)
    assert sum(1 for r in plan.records if r.alg == "RS256" and r.state is KeyState.ACTIVE) == 1


@pytest.mark.parametrize(
    ("records", "alg", "force", "error", "message"),
    [
        (
            (active("a"), staged("b", at=NOW - 40)),
            "RS256",
            False,
            RotationRefused,
            (
                "the next RS256 key b has been published for 40 s, less than the JWKS cache lifetime of 300 s; "
                "wait 260 s or use --force"
            ),
        ),
        ((active("a"),), "RS256", False, RotationRefused, "there is no next RS256 key to activate"),
        ((active("a"),), "RS256", True, RotationRefused, "there is no next RS256 key to activate"),
        ((active("a"), staged("e", "ES256")), "RS256", False, RotationRefused, "no next RS256 key"),
        ((active("a"),), "PS256", False, UnsupportedAlgorithm, "unsupported key algorithm 'PS256'"),
    ],
    ids=[
        "refuse-next-younger-than-jwks-cache",
        "refuse-without-next-key",
        "force-cannot-conjure-a-next-key",
        "next-key-of-other-alg-does-not-count",
        "refuse-unsupported-alg",
    ],
)
def test_rotate_refusals(
    records: tuple[KeyRecord, ...], alg: str, force: bool, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        plan_rotate(records, alg, NOW, CACHE, force)
    assert message in str(caught.value)


def test_rotate_force_activates_young_next_with_warning() -> None:
    plan = plan_rotate((active("a"), staged("b", at=NOW - 40)), "RS256", NOW, CACHE, force=True)
    assert states(plan.records) == {"a": "retiring", "b": "active"}
    assert len(plan.warnings) == 1
    assert "published for 40 s, less than the JWKS cache lifetime of 300 s" in plan.warnings[0]
    assert "may reject tokens" in plan.warnings[0]


# -- prune ------------------------------------------------------------------------

RIPE = NOW - LIFETIME  # retired exactly one token lifetime ago
YOUNG = NOW - 100


@pytest.mark.parametrize(
    ("records", "force", "removed", "kept", "warned"),
    [
        ((active("a"), retiring("r", RIPE - 1)), False, {"r"}, set(), False),
        ((active("a"), retiring("r", RIPE)), False, {"r"}, set(), False),
        ((active("a"), retiring("r", RIPE), retiring("y", YOUNG)), False, {"r"}, {"y"}, False),
        ((active("a"), retiring("y", YOUNG)), True, {"y"}, set(), True),
        ((active("a", at=0.0), staged("n", at=0.0), active("e", "ES256")), True, set(), set(), False),
        ((active("a"), staged("n")), False, set(), set(), False),
    ],
    ids=[
        "retiring-key-removed-after-token-lifetime",
        "removed-exactly-at-token-lifetime",
        "ripe-removed-young-kept-without-refusal",
        "force-removes-young-retiring-with-warning",
        "never-removes-active-or-next-even-forced",
        "nothing-retiring-is-a-no-op",
    ],
)
def test_prune(
    records: tuple[KeyRecord, ...], force: bool, removed: set[str], kept: set[str], warned: bool
) -> None:
    plan = plan_prune(records, NOW, LIFETIME, force)
    assert {r.kid for r in plan.removed} == removed
    assert {r.kid for r in plan.kept} == kept
    assert {r.kid for r in plan.records} == {r.kid for r in records} - removed
    assert bool(plan.warnings) is warned
    if warned:
        assert "can no longer be verified" in plan.warnings[0]


def test_prune_refuses_when_every_retiring_key_is_too_young() -> None:
    records = (active("a"), retiring("y", YOUNG), retiring("z", NOW - 3000))
    with pytest.raises(PruneRefused) as caught:
        plan_prune(records, NOW, LIFETIME)
    message = str(caught.value)
    assert "key y (RS256) was retired 100 s ago and may be pruned in 3500 s" in message
    assert "key z (RS256) was retired 3000 s ago and may be pruned in 600 s" in message
    assert message.endswith("wait 600 s or use --force")


# -- helpers used for "may be ... after" ------------------------------------------


@pytest.mark.parametrize(
    ("record", "activatable", "prunable"),
    [
        (staged("n", at=50.0), 50.0 + CACHE, None),
        (active("a", at=50.0), None, None),
        (retiring("r", 70.0), None, 70.0 + LIFETIME),
    ],
    ids=["next-activatable-after-cache", "active-neither", "retiring-prunable-after-lifetime"],
)
def test_when_helpers(record: KeyRecord, activatable: float | None, prunable: float | None) -> None:
    assert activatable_at(record, CACHE) == activatable
    assert prunable_at(record, LIFETIME) == prunable


def test_plans_do_not_mutate_their_input() -> None:
    records = (active("a"), staged("b"))
    before = tuple(replace(r) for r in records)
    plan_rotate(records, "RS256", NOW, CACHE)
    plan_prune(records, NOW, LIFETIME)
    assert records == before
