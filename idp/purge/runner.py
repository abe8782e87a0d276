"""Deleting what is due, in bounded batches, within a time budget.

Each batch is one transaction: select at most ``PURGE_BATCH_SIZE`` due keys ``FOR UPDATE SKIP
LOCKED`` (PostgreSQL; SQLite has one writer anyway), delete what hangs off them, delete them,
commit. Rows another worker has locked are skipped, so two workers share the work instead of
waiting. The budget is checked between batches: a round may overrun it by one batch at most,
and what is left is done by the next round.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import delete, func

from ..extensions import db
from ..models._types import utcnow
from ..ops.metrics import record_purge
from .rules import RULES, Clock, Rule


@dataclass
class PurgeReport:
    """Rows deleted (or, in a dry run, due) per table; ``complete`` is False when the time budget
    ran out before every table was done."""

    counts: dict[str, int] = field(default_factory=dict)
    complete: bool = True
    dry_run: bool = False
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def purge(*, dry_run: bool = False, time_budget: float | None = None,
          batch_size: int | None = None, now: dt.datetime | None = None) -> PurgeReport:
    """Delete what is due now (``dry_run``: count it, change nothing). Needs an app context."""
    config = current_app.config
    budget = config["PURGE_TIME_BUDGET"] if time_budget is None else time_budget
    size = batch_size or config["PURGE_BATCH_SIZE"]
    clock = Clock(now or utcnow(), config)
    started = time.monotonic()
    counts: Counter[str] = Counter({table: 0 for rule in RULES
                                    for table in (rule.table, *(fk.table.name for fk in rule.owned))})
    report = PurgeReport(dry_run=dry_run)
    for rule in RULES:
        due = rule.due(rule.model, clock)
        if due is None:  # kept forever by configuration
            continue
        if dry_run:
            counts.update(_count(rule, due))
            continue
        if not _delete_batches(rule, due, size, counts, lambda: time.monotonic() - started >= budget):
            report.complete = False
            break
    db.session.rollback()  # a dry run wrote nothing; a real one committed every batch
    report.counts = dict(counts)
    report.seconds = time.monotonic() - started
    if not dry_run:
        record_purge(report.counts)  # idp_purged_rows_total{table}
    return report


def _count(rule: Rule, due) -> dict[str, int]:
    key = rule.key
    counts = {rule.table: db.session.scalar(db.select(func.count()).select_from(rule.model).where(due)) or 0}
    for fk in rule.owned:
        due_keys = db.select(key).where(due).scalar_subquery()
        counts[fk.table.name] = db.session.scalar(
            db.select(func.count()).select_from(fk.table).where(fk.in_(due_keys))) or 0
    return counts


def _delete_batches(rule: Rule, due, size: int, counts: Counter, out_of_time) -> bool:
    """Delete ``rule``'s due rows batch by batch; False when time ran out before the end."""
    key = rule.key
    while True:
        if out_of_time():
            return False
        keys = list(db.session.scalars(
            db.select(key).where(due).order_by(key).limit(size)
            .with_for_update(skip_locked=True, of=rule.model)))
        if not keys:
            return True
        if rule.dependents is not None:
            counts.update(rule.dependents(keys))
        counts[rule.table] += db.session.execute(delete(rule.model).where(key.in_(keys))).rowcount or 0
        db.session.commit()
        if len(keys) < size:
            return True
