"""Reading accounts for the API: within the token's school, a fixed number of queries per page."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.orm import aliased, selectinload

from ..extensions import db
from ..models import Account, Guardianship
from .schemas import account_output


def find(school_id: int, external_id: str) -> Account | None:
    return db.session.scalar(db.select(Account).where(
        Account.school_id == school_id, Account.external_id == external_id))


def page_after(school_id: int, after: int, limit: int) -> tuple[list[Account], bool]:
    rows = list(db.session.scalars(
        db.select(Account).options(selectinload(Account.person))
        .where(Account.school_id == school_id, Account.id > after)
        .order_by(Account.id).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def relations(accounts: list[Account]) -> tuple[dict, dict]:
    """{account id: [students]}, {account id: [guardians]} as {"external_id", "username"}."""
    ids = [a.id for a in accounts]
    students, guardians = defaultdict(list), defaultdict(list)
    if not ids:
        return students, guardians
    other = aliased(Account)
    for mine, theirs, into in ((Guardianship.parent_account_id, Guardianship.student_account_id, students),
                               (Guardianship.student_account_id, Guardianship.parent_account_id, guardians)):
        rows = db.session.execute(
            db.select(mine, other.external_id, other.username).join(other, other.id == theirs)
            .where(mine.in_(ids)).order_by(other.id))
        for account_id, external_id, username in rows:
            into[account_id].append({"external_id": external_id, "username": username})
    return students, guardians


def linked_persons(accounts: list[Account]) -> set[int]:
    if not accounts:
        return set()
    school_id = accounts[0].school_id
    return set(db.session.scalars(db.select(Account.person_id).distinct().where(
        Account.person_id.in_({a.person_id for a in accounts}), Account.school_id != school_id)))


def accounts_json(accounts: list[Account]) -> list[dict]:
    students, guardians = relations(accounts)
    linked = linked_persons(accounts)
    return [account_output(a, linked=a.person_id in linked, students=students[a.id],
                           guardians=guardians[a.id]) for a in accounts]


def account_json(account: Account) -> dict:
    db.session.flush()
    return accounts_json([account])[0]
