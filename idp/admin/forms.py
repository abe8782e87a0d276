"""The director's forms. Flask-WTF gives the CSRF token; values are checked by
``idp/roster/fields.py`` (the same rules as the roster import and the API)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectMultipleField, StringField
from wtforms.widgets import CheckboxInput, ListWidget

from ..models import ROLES
from ..roster import fields as f
from ..roster.messages import render


class RolesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def role_choices():
    from ..i18n import role_name
    return [(role, role_name(role)) for role in ROLES]


# made before the other fields, so that it comes first in the form (and its error summary)
USERNAME = StringField(_l("Username"), render_kw={"autocomplete": "off", "autocapitalize": "none",
                                                  "spellcheck": "false"})


class PersonalForm(FlaskForm):
    given_name = StringField(_l("Given name"), render_kw={"autocomplete": "off"})
    family_name = StringField(_l("Family name"), render_kw={"autocomplete": "off"})
    email = StringField(_l("E-mail"), render_kw={"type": "email", "autocomplete": "off"})
    phone = StringField(_l("Phone"), render_kw={"type": "tel", "autocomplete": "off"})
    isikukood = StringField(_l("Personal identification code"),
                            render_kw={"inputmode": "numeric", "autocomplete": "off"})
    birthdate = StringField(_l("Date of birth"), render_kw={"type": "date", "autocomplete": "off"})
    external_id = StringField(_l("External id"), render_kw={"autocomplete": "off"})
    roles = RolesField(_l("Roles"), choices=[], validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.choices = role_choices()

    CHECKS = {
        "given_name": f.name,
        "family_name": f.name,
        "email": f.email,
        "phone": f.phone,
        "isikukood": f.isikukood,
        "birthdate": f.birthdate,
        "external_id": f.external_id,
        "roles": lambda v: f.roles(v or [], allowed=ROLES),
    }

    def checked(self, names=None) -> dict | None:
        """The checked values (of ``names``, or all), or None with the fields' errors set."""
        checks = {k: v for k, v in self.CHECKS.items() if names is None or k in names}
        values, errors = f.check({name: self[name].data for name in checks}, checks)
        self.show(errors)
        return None if errors else values

    def show(self, errors: dict) -> None:
        for name, error in errors.items():
            self[name].errors = [render(error.code, error.params)]


class NewAccountForm(PersonalForm):
    username = USERNAME
    CHECKS = {"username": f.username, **PersonalForm.CHECKS}


class GuardianshipForm(FlaskForm):
    username = StringField(_l("Username"), render_kw={"autocomplete": "off",
                                                      "autocapitalize": "none",
                                                      "spellcheck": "false"})


class ImportForm(FlaskForm):
    roster = FileField(_l("Roster file (CSV)"), render_kw={"accept": ".csv,text/csv"})


class ConfirmForm(FlaskForm):
    """A button and the CSRF token."""
