"""Reading for the admin pages: always within one school, a page at a time."""

from __future__ import annotations

from sqlalchemy import String, and_, cast, or_
from sqlalchemy.orm import aliased, contains_eager

from ..extensions import db
from ..models import ROLES, Account, AuditEvent, Guardianship, Person

PER_PAGE = 50


def like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def account_page(school_id: int, q: str, role: str, status: str):
    """Accounts matching every word of ``q`` in a name, the username or the e-mail address."""
    query = (db.select(Account).join(Person, Person.id == Account.person_id)
             .options(contains_eager(Account.person)).where(Account.school_id == school_id))
    for word in q.split()[:5]:
        pattern = like(word)
        query = query.where(or_(*(column.ilike(pattern, escape="\\") for column in
                                  (Person.given_name, Person.family_name, Account.username,
                                   Person.email))))
    if role in ROLES:
        # roles is a JSON list; a textual match is portable across SQLite and PostgreSQL
        query = query.where(cast(Account.roles, String).like(f'%"{role}"%'))
    if status in ("active", "disabled"):
        query = query.where(Account.status == status)
    query = query.order_by(Person.family_name, Person.given_name, Account.id)
    return db.paginate(query, per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False)


def guardianships_of(account: Account) -> dict[str, list[tuple[int, Account]]]:
    """{"children": [(guardianship id, student)], "guardians": [(id, parent)]}."""
    other = aliased(Account)
    result = {}
    for key, mine, theirs in (("children", Guardianship.parent_account_id, Guardianship.student_account_id),
                              ("guardians", Guardianship.student_account_id, Guardianship.parent_account_id)):
        rows = db.session.execute(
            db.select(Guardianship.id, other).join(other, other.id == theirs)
            .where(and_(mine == account.id, other.school_id == account.school_id))
            .order_by(other.username))
        result[key] = [(gid, acc) for gid, acc in rows]
    return result


def audit_page(school_id: int):
    query = (db.select(AuditEvent).where(AuditEvent.school_id == school_id)
             .order_by(AuditEvent.id.desc()))
    return db.paginate(query, per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False)


def usernames(school_id: int, person_ids: set[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    rows = db.session.execute(db.select(Account.person_id, Account.username).where(
        Account.school_id == school_id, Account.person_id.in_(person_ids)))
    return {person_id: username for person_id, username in rows}
