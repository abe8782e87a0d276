"""Issue 5: after an eID login with no account at the school, the request form is prefilled
with the verified identity (fixed), and the director sees the request as eID-verified."""

from __future__ import annotations

import datetime as dt
import re

from idp.extensions import db
from idp.login.eid_store import IDENTITY_KEY
from idp.models import EidVerifiedIdentity
from idp.models._types import utcnow
from idp.services import schools as school_service
from tests.account_requests.support import confirm, confirm_link, director, requests_of
from tests.helpers import csrf_token

CODE = "38001085718"


def proven_identity(app, client, slug: str = "alpha") -> str:
    """What the eID login leaves behind when the school has no account with that code."""
    with app.app_context():
        row = EidVerifiedIdentity(token="t" * 40, school_id=school_service.get(slug).id,
                                  isikukood=CODE, given_name="Toomas", family_name="Tamm",
                                  method="smartid", expires_at=utcnow() + dt.timedelta(hours=1))
        db.session.add(row)
        db.session.commit()
    with client.session_transaction() as session:
        session[IDENTITY_KEY] = "t" * 40
    return "t" * 40


def test_the_form_is_prefilled_and_the_director_sees_it_verified(app, directors, smtp_server):
    client = app.test_client()
    token = proven_identity(app, client)
    page = client.get(f"/account-request/alpha/new?eid={token}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "kinnitatud Smart-ID abil" in text
    assert re.search(r'id="isikukood"[^>]*readonly', text) or re.search(r'readonly[^>]*id="isikukood"', text)
    started = re.search(r'id="started" name="started" type="hidden" value="([^"]*)"', text).group(1)
    before = len(smtp_server.messages)
    # the typed name is ignored: the proven one counts
    response = client.post("/account-request/alpha/new", data={
        "csrf_token": csrf_token(text), "started": started, "eid": token,
        "given_name": "Someone", "family_name": "Else", "isikukood": "",
        "email": "toomas@example.ee", "role": "parent", "children": "Mia Tamm", "message": ""})
    assert response.status_code == 303, response.status_code
    confirm(client, confirm_link(app, smtp_server, "toomas@example.ee", before))
    [row] = [r for r in requests_of(app) if r.email == "toomas@example.ee"]
    assert (row.given_name, row.family_name, row.isikukood) == ("Toomas", "Tamm", CODE)
    assert row.eid_method == "smartid" and row.eid_verified_at is not None
    dora = director(app, "alpha", "dora")
    detail = dora.get(f"/admin/alpha/requests/{row.id}").get_data(as_text=True)
    assert "kinnitatud Smart-ID abil" in detail


def test_a_token_from_another_browser_proves_nothing(app, directors):
    owner = app.test_client()
    token = proven_identity(app, owner)
    stranger = app.test_client()
    text = stranger.get(f"/account-request/alpha/new?eid={token}").get_data(as_text=True)
    assert "Toomas" not in text and "kinnitatud" not in text
