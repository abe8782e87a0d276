"""Forms of account requests: the public request, and the director's decisions.

Values are checked by ``idp/roster/fields.py`` (the same rules as the director's own forms,
the roster import and the API); the messages come from ``idp/roster/messages.py``.
"""

from __future__ import annotations

from typing import ClassVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..roster import fields as f
from ..roster.messages import render

TEXT_MAX = 2000


def requested_role_choices():
    return [("parent", _l("Parent")), ("student", _l("Student")), ("teacher", _l("Teacher")),
            ("other", _l("Other"))]


class CheckedForm(FlaskForm):
    CHECKS: ClassVar[dict] = {}

    def checked(self) -> dict | None:
        """The checked values, or None with each wrong field's message set."""
        values, errors = f.check({name: self[name].data for name in self.CHECKS}, self.CHECKS)
        for name, error in errors.items():
            target = self[name] if name in self._fields else self["isikukood"]
            target.errors = [render(error.code, error.params)]
        extra = self.extra_checks(values) if not errors else {}
        for name, message in extra.items():
            self[name].errors = [message]
        return None if errors or extra else values

    def extra_checks(self, values: dict) -> dict:
        return {}


class RequestForm(CheckedForm):
    given_name = StringField(_l("Given name"), render_kw={"autocomplete": "given-name"})
    family_name = StringField(_l("Family name"), render_kw={"autocomplete": "family-name"})
    email = StringField(_l("E-mail"), render_kw={"type": "email", "autocomplete": "email",
                                                 "spellcheck": "false"})
    isikukood = StringField(_l("Personal identification code (optional)"),
                            render_kw={"inputmode": "numeric", "autocomplete": "off"})
    role = RadioField(_l("You are"), choices=[], validate_choice=False)
    children = TextAreaField(_l("Your children's names"), render_kw={"rows": 3})
    message = TextAreaField(_l("Message to the school (optional)"), render_kw={"rows": 4})
    #: the trap for robots: hidden from people (see bot.py)
    website = StringField(_l("Leave this field empty"),
                          render_kw={"tabindex": "-1", "autocomplete": "off"})
    started = HiddenField()

    CHECKS: ClassVar[dict] = {
        "given_name": f.name,
        "family_name": f.name,
        "email": lambda v: f.email(v) or _required(),
        "isikukood": f.isikukood,
        "role": lambda v: v if v in ("parent", "student", "teacher", "other") else _required(),
        "children": lambda v: f.multiline_text(v, max_len=TEXT_MAX),
        "message": lambda v: f.multiline_text(v, max_len=TEXT_MAX),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = requested_role_choices()

    def extra_checks(self, values: dict) -> dict:
        from flask_babel import gettext as _
        if values["role"] == "parent" and not values["children"]:
            return {"children": _("Write the names of your children at the school.")}
        return {}


def _required():
    raise f.FieldError("required")


class RolesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ApproveForm(CheckedForm):
    username = StringField(_l("Username"), render_kw={"autocomplete": "off", "spellcheck": "false"})
    roles = RolesField(_l("Roles"), choices=[], validate_choice=False)

    CHECKS: ClassVar[dict] = {
        "username": f.username,
        "roles": lambda v: f.roles(v or [], allowed=f.ROSTER_ROLES),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from ..i18n import role_name
        self.roles.choices = [(role, role_name(role)) for role in f.ROSTER_ROLES]


class AttachForm(FlaskForm):
    account_id = IntegerField()


class RejectForm(CheckedForm):
    reason = TextAreaField(_l("Reason (sent to the person)"), render_kw={"rows": 3})

    CHECKS: ClassVar[dict] = {"reason": lambda v: f.multiline_text(v, max_len=TEXT_MAX,
                                                                 required=True)}
