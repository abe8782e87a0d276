"""Filling in the request form, confirming, and the director's pages."""

from __future__ import annotations

from idp.extensions import db
from idp.models import AccountRequest
from tests.helpers import csrf_token
from tests.idp._ui import login_at_school
from tests.recovery.support import CONFIRM_LINK, deliver_mail, html, path, received

DATA = {"given_name": "Õnne", "family_name": "Sõõrumaa", "email": "onne@example.ee",
        "isikukood": "", "role": "parent", "children": "Mia Sõõrumaa", "message": "Tere!"}


def send_request(client, slug: str = "alpha", **changes):
    """Open the form, fill it in, send; returns the POST response."""
    page = client.get(f"/account-request/{slug}/new")
    assert page.status_code == 200, page.status_code
    text = html(page)
    import re
    started = re.search(r'id="started" name="started" type="hidden" value="([^"]*)"', text).group(1)
    data = {**DATA, **changes, "csrf_token": csrf_token(text), "started": started}
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"/account-request/{slug}/new", data=data)


def confirm_link(app, smtp_server, to: str, since: int) -> str:
    deliver_mail(app)
    mails = received(smtp_server, to, since)
    assert mails, "no confirmation e-mail"
    [link] = CONFIRM_LINK.findall(mails[-1]["message"].get_body(("plain",)).get_content())
    return link


def confirm(client, link: str):
    page = client.get(path(link))
    assert page.status_code == 200, (page.status_code, html(page)[:300])
    return client.post(path(link), data={"csrf_token": csrf_token(html(page))})


def requests_of(app, slug_id: int | None = None) -> list[AccountRequest]:
    with app.app_context():
        query = db.select(AccountRequest).order_by(AccountRequest.id)
        rows = list(db.session.scalars(query))
        for row in rows:
            row.school  # noqa: B018 (loaded while the session is open)
        return rows


def director(app, slug: str, username: str):
    client = app.test_client()
    assert login_at_school(client, slug, username).status_code == 303
    return client


def post_form(client, page_url: str, action: str, **data):
    """POST one of the forms of a director's page with the page's CSRF token."""
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    return client.post(action, data={"csrf_token": csrf_token(html(page)), **data})
