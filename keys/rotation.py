"""The key lifecycle as a pure state machine (no I/O, the clock is a parameter).

States, per algorithm::

    next ──rotate──▶ active ──rotate──▶ retiring ──prune──▶ (removed)

* ``next``: published in the JWKS, not signing yet, so relying parties (RPs)
  can cache it before the first token signed with it shows up.
* ``active``: signs new tokens; exactly one per algorithm.
* ``retiring``: still published so tokens it signed keep verifying, until the
  longest token lifetime has passed since it stopped signing.

The very first key of an algorithm becomes ``active`` at once: no RP can have
a cached JWKS that lacks it. Every later key starts as ``next``; activating a
``next`` key that was published less than one JWKS cache lifetime ago is
refused (the Ory Hydra failure mode: RPs with a cached JWKS reject the new
signatures) unless forced.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from .errors import (
    GenerationRefused,
    KeyStoreError,
    PruneRefused,
    RotationRefused,
    UnsupportedAlgorithm,
)

__all__ = [
    "COMMAND",
    "SUPPORTED_ALGORITHMS",
    "GeneratePlan",
    "KeyRecord",
    "KeyState",
    "PrunePlan",
    "RotatePlan",
    "activatable_at",
    "check_generate",
    "plan_generate",
    "plan_prune",
    "plan_rotate",
    "prunable_at",
]

#: How operators invoke the key commands (named in refusal messages).
COMMAND = "idp keys"

#: JWS algorithms the store can generate and manage.
SUPPORTED_ALGORITHMS: tuple[str, ...] = ("RS256", "ES256")


class KeyState(StrEnum):
    """Lifecycle state of a published key."""

    NEXT = "next"
    ACTIVE = "active"
    RETIRING = "retiring"


@dataclass(frozen=True)
class KeyRecord:
    """Immutable metadata of one key (the key material lives elsewhere).

    Times are POSIX timestamps (seconds). ``published_at`` is when the key
    first appeared in the JWKS, ``activated_at`` when it started signing and
    ``retired_at`` when it stopped signing.
    """

    kid: str
    alg: str
    state: KeyState
    created_at: float
    published_at: float
    activated_at: float | None = None
    retired_at: float | None = None
    development: bool = False

    def __post_init__(self) -> None:
        """Reject records whose timestamps contradict their state."""
        if self.state is KeyState.NEXT and (self.activated_at is not None or self.retired_at is not None):
            raise ValueError(f"key {self.kid}: a next key cannot have been activated or retired")
        if self.state is not KeyState.NEXT and self.activated_at is None:
            raise ValueError(f"key {self.kid}: an {self.state} key needs activated_at")
        if (self.state is KeyState.RETIRING) != (self.retired_at is not None):
            raise ValueError(f"key {self.kid}: retired_at must be set exactly for retiring keys")


@dataclass(frozen=True)
class GeneratePlan:
    """Outcome of :func:`plan_generate`: all records, and the new one."""

    records: tuple[KeyRecord, ...]
    created: KeyRecord


@dataclass(frozen=True)
class RotatePlan:
    """Outcome of :func:`plan_rotate`."""

    records: tuple[KeyRecord, ...]
    activated: KeyRecord
    retired: tuple[KeyRecord, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PrunePlan:
    """Outcome of :func:`plan_prune`: what stays, what goes, and what is kept for now."""

    records: tuple[KeyRecord, ...]
    removed: tuple[KeyRecord, ...]
    kept: tuple[KeyRecord, ...]
    warnings: tuple[str, ...] = ()


def _seconds(value: float) -> str:
    return f"{max(0, math.ceil(value))} s"


def _of(records: Iterable[KeyRecord], alg: str, state: KeyState) -> list[KeyRecord]:
    return [r for r in records if r.alg == alg and r.state is state]


def _check_alg(alg: str) -> None:
    if alg not in SUPPORTED_ALGORITHMS:
        supported = ", ".join(SUPPORTED_ALGORITHMS)
        raise UnsupportedAlgorithm(f"unsupported key algorithm {alg!r}; use one of {supported}")


def activatable_at(record: KeyRecord, jwks_cache_seconds: float) -> float | None:
    """When a ``next`` key may be activated without ``force`` (None for other states)."""
    if record.state is not KeyState.NEXT:
        return None
    return record.published_at + jwks_cache_seconds


def prunable_at(record: KeyRecord, max_token_lifetime_seconds: float) -> float | None:
    """When a ``retiring`` key may be pruned without ``force`` (None for other states)."""
    if record.retired_at is None:
        return None
    return record.retired_at + max_token_lifetime_seconds


def check_generate(records: Sequence[KeyRecord], alg: str) -> None:
    """Raise if a key of ``alg`` may not be generated now (cheap, before generating material)."""
    _check_alg(alg)
    for staged in _of(records, alg, KeyState.NEXT):
        raise GenerationRefused(
            f"a next {alg} key ({staged.kid}) is already published and waiting to be activated; "
            f"run `{COMMAND} rotate --alg {alg}` to activate it before generating another"
        )


def plan_generate(
    records: Sequence[KeyRecord], alg: str, now: float, kid: str, *, development: bool = False
) -> GeneratePlan:
    """Add a new key: ``active`` if it is the first key of ``alg``, else ``next``."""
    check_generate(records, alg)
    if any(r.kid == kid for r in records):
        raise KeyStoreError(f"a key with kid {kid} already exists; generate a new key instead")
    first = not any(r.alg == alg for r in records)
    created = KeyRecord(
        kid=kid,
        alg=alg,
        state=KeyState.ACTIVE if first else KeyState.NEXT,
        created_at=now,
        published_at=now,
        activated_at=now if first else None,
        development=development,
    )
    return GeneratePlan(records=(*records, created), created=created)


def plan_rotate(
    records: Sequence[KeyRecord], alg: str, now: float, jwks_cache_seconds: float, force: bool = False
) -> RotatePlan:
    """Activate the ``next`` key of ``alg`` and retire the currently ``active`` one."""
    _check_alg(alg)
    staged = _of(records, alg, KeyState.NEXT)
    if not staged:
        raise RotationRefused(
            f"there is no next {alg} key to activate; run `{COMMAND} generate --alg {alg}`, "
            f"then wait {_seconds(jwks_cache_seconds)} (the JWKS cache lifetime) before rotating"
        )
    candidate = staged[0]
    age = now - candidate.published_at
    warnings: tuple[str, ...] = ()
    if age < jwks_cache_seconds:
        detail = (
            f"the next {alg} key {candidate.kid} has been published for {_seconds(math.floor(age))}, "
            f"less than the JWKS cache lifetime of {_seconds(jwks_cache_seconds)}"
        )
        if not force:
            raise RotationRefused(f"{detail}; wait {_seconds(jwks_cache_seconds - age)} or use --force")
        warnings = (f"{detail}; relying parties with a cached JWKS may reject tokens signed with it",)
    activated = replace(candidate, state=KeyState.ACTIVE, activated_at=now)
    retired = tuple(replace(r, state=KeyState.RETIRING, retired_at=now) for r in _of(records, alg, KeyState.ACTIVE))
    changed = {r.kid: r for r in (activated, *retired)}
    new_records = tuple(changed.get(r.kid, r) for r in records)
    return RotatePlan(records=new_records, activated=activated, retired=retired, warnings=warnings)


def _too_young(record: KeyRecord, now: float, lifetime: float) -> str:
    assert record.retired_at is not None
    return (
        f"key {record.kid} ({record.alg}) was retired {_seconds(math.floor(now - record.retired_at))} ago "
        f"and may be pruned in {_seconds(record.retired_at + lifetime - now)}"
    )


def _forced_removal(record: KeyRecord, now: float, lifetime: float) -> str:
    assert record.retired_at is not None
    return (
        f"removed key {record.kid} ({record.alg}) {_seconds(math.floor(now - record.retired_at))} after it "
        f"was retired, {_seconds(record.retired_at + lifetime - now)} before the tokens it signed have all "
        f"expired; those tokens can no longer be verified"
    )


def plan_prune(
    records: Sequence[KeyRecord], now: float, max_token_lifetime_seconds: float, force: bool = False
) -> PrunePlan:
    """Remove ``retiring`` keys whose tokens have all expired (with ``force``: all retiring keys).

    ``active`` and ``next`` keys are never removed. Refuses when there are
    retiring keys but none of them is old enough and ``force`` is not set.
    """
    lifetime = max_token_lifetime_seconds
    retiring = [r for r in records if r.state is KeyState.RETIRING]
    ripe = [r for r in retiring if (prunable_at(r, lifetime) or 0.0) <= now]
    young = [r for r in retiring if r not in ripe]
    if young and not ripe and not force:
        reasons = "; ".join(_too_young(r, now, lifetime) for r in young)
        wait = min((prunable_at(r, lifetime) or now) - now for r in young)
        raise PruneRefused(
            f"no retiring key can be pruned yet, tokens they signed may be valid for up to "
            f"{_seconds(lifetime)}: {reasons}; wait {_seconds(wait)} or use --force"
        )
    removed = retiring if force else ripe
    kept = [] if force else young
    warnings = tuple(_forced_removal(r, now, lifetime) for r in young) if force else ()
    return PrunePlan(
        records=tuple(r for r in records if r not in removed),
        removed=tuple(removed),
        kept=tuple(kept),
        warnings=warnings,
    )
