"""Fixtures for the director's pages: a director at each school, logged-in test clients."""

from __future__ import annotations

import pytest

from idp.extensions import db
from idp.isikukood import checksum
from idp.models import Account, School
from idp.services import accounts as account_service
from idp.services import schools as school_service
from tests.helpers import PASSWORD
from tests.idp._ui import login_at_school


def isikukood(serial: int, prefix: str = "5100101") -> str:
    """A valid isikukood (born 2010-01-01 unless ``prefix`` says otherwise)."""
    first = f"{prefix}{serial % 1000:03d}"
    return first + str(checksum(first))


@pytest.fixture
def directors(app, world):
    """``world`` plus a director at alpha (dora) and at beta (bert), and a beta student with an
    external id; returns {"slug/username": account id}."""
    with app.app_context():
        for slug, username, given in (("alpha", "dora", "Dora"), ("beta", "bert", "Bert")):
            account_service.add(school_service.get(slug), username=username, given_name=given,
                                family_name="Direktor", roles=["teacher", "admin"],
                                password=PASSWORD)
        beta_student = account_service.add(school_service.get("beta"), username="tiit",
                                           given_name="Tiit", family_name="Tamm",
                                           roles=["student"], isikukood=isikukood(7))
        beta_student.external_id = "B-7"
        db.session.commit()
        return ids()


def ids() -> dict[str, int]:
    rows = db.session.execute(db.select(School.slug, Account.username, Account.id).join(
        Account, Account.school_id == School.id))
    return {f"{slug}/{username}": account_id for slug, username, account_id in rows}


@pytest.fixture
def dora(client, directors):
    """A browser logged in as alpha's director."""
    response = login_at_school(client, "alpha", "dora")
    assert response.status_code == 303, response.status_code
    return client


def account(app, slug: str, username: str) -> Account:
    with app.app_context():
        row = db.session.scalar(db.select(Account).join(School).where(
            School.slug == slug, Account.username == username))
        assert row is not None, (slug, username)
        row.person  # noqa: B018 (loaded while the session is open)
        return row
