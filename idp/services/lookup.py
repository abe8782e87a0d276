"""Finding a school's accounts by what a person typed, through indexes only.

A lookup "at this school" whose conditions are OR-ed across the account and the person (the
username or the person's e-mail) can use no index but the school's: it reads every account of
the school, thousands at a large gymnasium. Here every condition has its own indexed branch,
and the branches are united before the accounts are read:

* the username: ``uq_account_school_username`` (school, username);
* conditions on the person (``lower(email)``, names, personal code): the person's indexes
  (``ix_person_email_lower``, ``ix_person_family_given``, ``ix_person_given_name``,
  ``ix_person_isikukood``), then that person's accounts (``ix_account_person_id``) at this school.

Used by the login (``idp.login.authenticate``), linking's password check
(``idp.account.linking``), recovery (``idp.recovery.matching``) and the director's likely
accounts of a request (``idp.account_requests.service``); ``tests/perf/test_query_plans.py``
checks their plans on PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, func, or_, select, union

from ..models import Account, Person


def name_key(name: str) -> str:
    """A typed username or e-mail address as both are compared: stripped, lower case."""
    return name.strip().lower()


def email_is(key: str) -> ColumnElement[bool]:
    """The person's e-mail address is ``key`` (lower case), served by ``ix_person_email_lower``."""
    return func.lower(Person.email) == key


def by_person(school_id: int, *conditions: ColumnElement[bool]) -> Select:
    """Ids of the school's accounts whose person meets any of ``conditions``."""
    persons = select(Person.id).where(or_(*conditions))
    return select(Account.id).where(Account.school_id == school_id, Account.person_id.in_(persons))


def by_username_or_person(school_id: int, key: str, *conditions: ColumnElement[bool]) -> Select:
    """Ids of the school's accounts with the username ``key``, or whose person has the e-mail
    address ``key`` or meets any of ``conditions``."""
    by_username = select(Account.id).where(Account.school_id == school_id, Account.username == key)
    return union(by_username, by_person(school_id, email_is(key), *conditions))


def accounts_named(school_id: int, name: str, *, active_only: bool) -> Select:
    """The school's accounts whose username or e-mail address is ``name`` (any case), by id.

    E-mail is not unique (a parent and a child often share one), so there may be several.
    """
    query = select(Account).where(Account.id.in_(by_username_or_person(school_id, name_key(name))))
    if active_only:
        query = query.where(Account.status == "active")
    return query.order_by(Account.id)
