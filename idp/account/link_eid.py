"""ID-card and Smart-ID inside "Seo oma konto teise kooliga": the same eID login as on a school's
login page (``login/eid_views.py``), but its proof goes to the linking flow instead of starting a
session. A person who has no password (or whose school wants staff on eID) can link too.

Two steps take an eID proof: ``other`` (log in to the account at the chosen school: the account
there whose person has this personal code) and ``reauth`` (confirm that it is still you, when
the session's login is older than ten minutes: the personal code must be this person's).
"""

from __future__ import annotations

from ..extensions import db
from ..isikukood import mask
from ..models import Account, Person, SSOSession
from ..models._types import utcnow
from ..models.audit import audit
from . import linking


class ProofRefused(Exception):
    """The eID identity does not fit this step; ``code`` names the message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def recorded(flow_id: str, step: str, sso: SSOSession | None) -> bool:
    """Has this flow's step got its proof (or moved on, or ended)? For a page that asks again
    after another tab finished the eID login."""
    try:
        flow = linking.load(flow_id, sso)
    except linking.FlowError:
        return True  # used or gone: its page says so
    if step == "reauth":
        return not linking.needs_reauth(flow, sso)
    return flow.state != "login"


def refuse(school_id: int, identity, code: str) -> None:
    audit("link_login_failed", school_id=school_id, method=identity.method,
          isikukood=mask(identity.isikukood))
    db.session.commit()
    raise ProofRefused(code)


def record(flow_id: str, step: str, sso: SSOSession | None, school_id: int, identity) -> None:
    """Put the eID proof ``identity`` into the flow (commits). Raises ``linking.FlowError`` or
    ``linking.OutOfStep`` when the flow is not at that step, ``ProofRefused`` when the identity
    is not the one the step needs."""
    flow = linking.load(flow_id, sso, "reauth" if step == "reauth" else "login")
    if step == "reauth":
        account = linking.login_account(sso)
        if account.school_id != school_id:
            raise linking.OutOfStep()
        if not sso.person.isikukood or sso.person.isikukood != identity.isikukood:
            refuse(school_id, identity, "not_you")
        flow.current_auth_at = utcnow()
    else:
        if flow.school_id != school_id:
            raise linking.OutOfStep()
        other = db.session.scalar(db.select(Account).join(Person).where(
            Account.school_id == school_id, Person.isikukood == identity.isikukood))
        if other is None:
            refuse(school_id, identity, "no_account")
        flow.other_account, flow.other_auth_at, flow.state = other, utcnow(), "confirm"
        refusal = linking.refusal_for(sso, other)
        if refusal is not None:
            linking.refuse(flow, sso, refusal)
    audit("link_eid_proof", school_id=school_id, person_id=sso.person_id, method=identity.method,
          step=step)
    db.session.commit()
