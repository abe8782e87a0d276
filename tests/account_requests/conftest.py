"""Account-request tests: a real SMTP server in-process, a director at each school."""

from __future__ import annotations

import pytest

from idp.extensions import db
from idp.isikukood import checksum
from idp.services import accounts as account_service
from idp.services import schools as school_service
from tests.delivery.smtp import SMTPServer
from tests.helpers import PASSWORD


def isikukood(prefix: str) -> str:
    """A valid isikukood from its first ten digits."""
    return prefix + str(checksum(prefix))


@pytest.fixture(scope="module")
def smtp_server():
    with SMTPServer() as server:
        yield server


@pytest.fixture
def app_config(request, smtp_server):
    # the minimum fill time is tested on its own; elsewhere the test client is "fast"
    return {**smtp_server.config(), "ACCOUNT_REQUEST_MIN_FILL_SECONDS": 0,
            **getattr(request, "param", {})}


@pytest.fixture
def directors(app, world):
    """``world`` plus a director at alpha (dora) and at beta (bert)."""
    with app.app_context():
        for slug, username, given in (("alpha", "dora", "Dora"), ("beta", "bert", "Bert")):
            account_service.add(school_service.get(slug), username=username, given_name=given,
                                family_name="Direktor", roles=["teacher", "admin"],
                                email=f"{username}@{slug}.example.ee", password=PASSWORD)
        db.session.commit()
