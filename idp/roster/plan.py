"""Planning an import: every row checked against the file and the school's accounts, nothing written.

The school's accounts are read with one query, then their persons, links and guardianships
by id, a thousand at a time (no query per row, and never a read of the whole population).
A row names an account by the school's external id, else by username; the plan says for each
row whether it creates, updates, leaves unchanged or is rejected (and why), and which
guardianships it adds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from ..extensions import db
from ..models import Account, Guardianship, Person
from . import fields as f
from .csvfile import RawRow
from .guardians import GuardianshipPlan, plan_guardianships

ROW_CHECKS = {
    "external_id": f.external_id,
    "username": f.username,
    "given_name": f.name,
    "family_name": f.name,
    "roles": lambda v: f.roles(v, aliases=True),
    "email": f.email,
    "phone": f.phone,
    "isikukood": f.isikukood,
    "birthdate": f.birthdate,
}


@dataclass
class Existing:
    """One of the school's accounts with its person's data, as read before planning."""

    id: int
    username: str
    external_id: str | None
    roles: list
    status: str
    person_id: int
    given_name: str
    family_name: str
    email: str | None
    phone: str | None
    isikukood: str | None
    birthdate: dt.date | None
    version: int
    linked: bool = False


@dataclass
class Snapshot:
    by_id: dict[int, Existing]
    by_username: dict[str, Existing]
    by_external_id: dict[str, Existing]
    by_isikukood: dict[str, list[Existing]]
    guardianships: set[tuple[int, int]]

    @classmethod
    def load(cls, school_id: int) -> Snapshot:
        accounts = db.session.execute(
            select(Account.id, Account.username, Account.external_id, Account.roles,
                   Account.status, Account.person_id).where(Account.school_id == school_id)).all()
        persons, linked, pairs = {}, set(), set()
        for chunk in _chunks(accounts):
            persons.update(_persons(row.person_id for row in chunk))
            linked.update(_linked(school_id, {row.person_id for row in chunk}))
            pairs.update(_guardianships([row.id for row in chunk]))
        existing = [Existing(*row, *persons[row.person_id], linked=row.person_id in linked)
                    for row in accounts]
        by_isikukood = defaultdict(list)
        for account in existing:
            if account.isikukood:
                by_isikukood[account.isikukood].append(account)
        return cls(by_id={a.id: a for a in existing},
                   by_username={a.username: a for a in existing},
                   by_external_id={a.external_id: a for a in existing if a.external_id},
                   by_isikukood=dict(by_isikukood),
                   guardianships=pairs)


#: ids per query: the school's rows are read by their ids (the population's indexes), never
#: by joining the population's tables, which the planner may then read whole
CHUNK = 1000


def _chunks(rows: list) -> list[list]:
    return [rows[i:i + CHUNK] for i in range(0, len(rows), CHUNK)]


def _persons(person_ids) -> dict[int, tuple]:
    """Personal data of these persons (``Existing``'s fields after ``person_id``)."""
    rows = db.session.execute(
        select(Person.id, Person.given_name, Person.family_name, Person.email, Person.phone,
               Person.isikukood, Person.birthdate, Person.version)
        .where(Person.id.in_(set(person_ids))))
    return {row[0]: tuple(row[1:]) for row in rows}


def _linked(school_id: int, person_ids: set[int]) -> set[int]:
    """Those of these persons who have an account at another school too."""
    return set(db.session.scalars(
        select(Account.person_id).distinct()
        .where(Account.person_id.in_(person_ids), Account.school_id != school_id)))


def _guardianships(parent_ids: list[int]) -> set[tuple[int, int]]:
    return {tuple(pair) for pair in db.session.execute(
        select(Guardianship.parent_account_id, Guardianship.student_account_id)
        .where(Guardianship.parent_account_id.in_(parent_ids)))}


@dataclass
class Problem:
    field: str
    code: str
    params: dict = field(default_factory=dict)


@dataclass
class RowPlan:
    number: int
    raw: dict
    data: f.AccountData | None = None
    guardian_of: list[str] = field(default_factory=list)
    account: Existing | None = None
    changes: dict = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def action(self) -> str:
        if self.errors:
            return "rejected"
        if self.account is None:
            return "create"
        return "update" if self.changes else "unchanged"

    def reject(self, name: str, code: str, **params) -> None:
        self.errors.append(Problem(name, code, params))

    def ref(self) -> tuple[str, int]:
        """How apply finds this row's account: ("account", id) or ("row", row number)."""
        return ("account", self.account.id) if self.account else ("row", self.number)


@dataclass
class Plan:
    school_id: int
    rows: list[RowPlan]
    guardianships: list[GuardianshipPlan]

    def counts(self) -> dict:
        counts = {"create": 0, "update": 0, "unchanged": 0, "rejected": 0}
        for row in self.rows:
            counts[row.action] += 1
        return {**counts, "guardianships": len(self.guardianships), "rows": len(self.rows)}

    def digest(self) -> str:
        """What applying would write: a confirmation applies only the plan that was shown."""
        operations = [(r.number, r.action, r.account.id if r.account else None,
                       r.data.given() if r.action == "create" else r.changes)
                      for r in self.rows if r.action in ("create", "update")]
        operations.append([(g.parent, g.student) for g in self.guardianships])
        text = json.dumps(operations, default=str, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def plan(school_id: int, raw_rows: list[RawRow]) -> Plan:
    snapshot = Snapshot.load(school_id)
    rows = [check_row(raw) for raw in raw_rows]
    valid = [r for r in rows if not r.errors]
    find_duplicates(valid)
    for row in valid:
        if not row.errors:
            match(row, snapshot)
    by_external_id = {}
    for row in rows:  # rejected rows too: a guardian_of naming one is rejected with a reason
        try:
            external_id = f.external_id(row.raw.get("external_id"))
        except f.FieldError:
            continue
        if external_id:
            by_external_id[external_id] = row
    guardianships = plan_guardianships(rows, by_external_id, snapshot)  # guardians.py
    return Plan(school_id, rows, guardianships)


def check_row(raw: RawRow) -> RowPlan:
    row = RowPlan(raw.number, raw.values)
    if raw.extra:
        row.reject("row", "row_fields", count=raw.count, expected=raw.count - raw.extra)
        return row
    values, errors = f.check(raw.values, ROW_CHECKS)
    for name, error in errors.items():
        row.reject(name, error.code, **error.params)
    for item in re.split(r"[|,;\s]+", raw.values.get("guardian_of", "").strip()):
        if not item:
            continue
        try:
            row.guardian_of.append(f.external_id(item))
        except f.FieldError as error:
            row.reject("guardian_of", error.code, **error.params)
            break
    if not row.errors:
        row.data = f.AccountData(**values)
    return row


def find_duplicates(rows: list[RowPlan]) -> None:
    """The same external id, username or isikukood on two rows: both are rejected."""
    for name in ("external_id", "username", "isikukood"):
        seen = defaultdict(list)
        for row in rows:
            value = getattr(row.data, name)
            if value:
                seen[value].append(row)
        for value, same in seen.items():
            for row in same if len(same) > 1 else ():
                others = ", ".join(str(o.number) for o in same if o is not row)
                params = {"rows": others} if name == "isikukood" else {"value": value, "rows": others}
                row.reject(name, f"duplicate_{name}", **params)


def match(row: RowPlan, snapshot: Snapshot) -> None:
    data = row.data
    account = snapshot.by_external_id.get(data.external_id) if data.external_id else None
    if account is None:
        named = snapshot.by_username.get(data.username)
        if named is not None and data.external_id and named.external_id:
            row.reject("username", "external_id_differs", value=data.username,
                       other=named.external_id)
            return
        account = named
    elif data.username != account.username and data.username in snapshot.by_username:
        row.reject("username", "username_taken", value=data.username)
        return
    if data.isikukood:
        holders = [a for a in snapshot.by_isikukood.get(data.isikukood, []) if a is not account]
        if holders:
            row.reject("isikukood", "isikukood_taken", username=holders[0].username)
            return
    if account is not None and data.isikukood is None and data.birthdate and account.isikukood:
        try:
            f.birthdate_from(account.isikukood, data.birthdate)
        except f.FieldError as error:
            row.reject("birthdate", error.code, **error.params)
            return
    row.account = account
    if account is not None:
        row.changes = changes(row, account)


def changes(row: RowPlan, account: Existing) -> dict:
    data, result = row.data, {}
    if data.username != account.username:
        result["username"] = data.username
    if data.external_id and data.external_id != account.external_id:
        result["external_id"] = data.external_id
    # the director role is neither given nor taken away by an import
    roles = sorted(set(data.roles) | ({"admin"} & set(account.roles)))
    if roles != sorted(account.roles):
        result["roles"] = roles
    personal = {}
    for name, value in data.personal().items():
        old = getattr(account, name)
        same = (old or "").casefold() == value.casefold() if name == "email" else old == value
        if not same:
            personal[name] = value
    if personal and account.linked:
        row.warnings.append(Problem("personal", "linked_personal"))
    elif personal:
        result.update(personal)
    return result
