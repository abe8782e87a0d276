"""The name on the person's ID-card or Smart-ID: after an eID login the person may take it over
(a new family name after a marriage, a spelling the school got wrong).

The certificate's names are the proof, so the person may change only the capitalisation: what
they save must fold (``linking.fold``: NFC, case, spaces) to the certificate's names. This is
also the way for a person with linked accounts, whose data no single school's director changes.
The schools hear of it through profile sync. The names are remembered in this browser's UI
cookie at the eID login, for that person only, for as long as the login is fresh.
"""

from __future__ import annotations

import time

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

from ..account.linking import fold
from ..extensions import db
from ..models import Account
from ..models.audit import audit
from ..roster import fields
from ..sessions import current_session

bp = Blueprint("eid_name", __name__, url_prefix="/account")
KEY = "eid_names"
#: how long after the eID login its names may be taken over
FRESH_SECONDS = 30 * 60


class NameForm(FlaskForm):
    given_name = StringField(_l("Given name"), render_kw={"autocomplete": "given-name"})
    family_name = StringField(_l("Family name"), render_kw={"autocomplete": "family-name"})


def remember(person_id: int, identity) -> None:
    """At an eID login: the certificate's names, for this person, in this browser."""
    session[KEY] = {"person": person_id, "given": identity.given_name,
                    "family": identity.family_name, "at": time.time()}


def written(name: str) -> str:
    """Certificates write names in capitals: "JAAK-KRISTJAN" is offered as "Jaak-Kristjan"."""
    return " ".join("-".join(p.capitalize() for p in part.split("-")) for part in name.split())


def offered(person) -> dict | None:
    """The certificate's names when they differ from the person's (fresh, same person)."""
    names = session.get(KEY)
    if not names or names.get("person") != person.id or names["at"] < time.time() - FRESH_SECONDS:
        return None
    if fold(names["given"]) == fold(person.given_name) and \
            fold(names["family"]) == fold(person.family_name):
        return None
    return {"given_name": written(names["given"]), "family_name": written(names["family"]),
            "raw": names}


@bp.app_context_processor
def helpers():
    return {"eid_name_offer": offered}


@bp.route("/name", methods=["GET", "POST"])
def name():
    sso = current_session()
    if sso is None:
        return redirect(url_for("account.choose_school"), 303)
    person = sso.person
    offer = offered(person)
    if offer is None:
        abort(404)
    form = NameForm(data={"given_name": offer["given_name"], "family_name": offer["family_name"]})
    if form.validate_on_submit():
        try:
            given, family = fields.name(form.given_name.data), fields.name(form.family_name.data)
        except fields.FieldError:
            given = family = None
        raw = offer["raw"]
        if given is None or fold(given) != fold(raw["given"]) or fold(family) != fold(raw["family"]):
            flash(_("Only the capital and small letters may differ from the name on your ID-card "
                    "or Smart-ID."), "error")
        else:
            person.given_name, person.family_name = given, family
            person.version += 1
            audit("name_from_eid", school_id=db.session.get(Account, sso.login_account_id).school_id,
                  person_id=person.id)
            db.session.commit()
            session.pop(KEY, None)
            flash(_("Your name is now %(name)s at all your schools.", name=person.name), "info")
            return redirect(url_for("account.profile"), 303)
    return render_template("eid/name.html", form=form, person=person, offer=offer)
