"""Forms of "unustasid salasõna?" (CSRF-protected through Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class RequestLinkForm(FlaskForm):
    name = StringField(_l("Your name"),
                       validators=[DataRequired(_l("Enter your name, username or e-mail address.")),
                                   Length(max=320, message=_l("That is too long for a name."))],
                       render_kw={"autocomplete": "name", "spellcheck": "false"})


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"),
                             validators=[DataRequired(_l("Enter a new password."))],
                             render_kw={"autocomplete": "new-password"})
    repeat = PasswordField(_l("The new password again"),
                           validators=[DataRequired(_l("Enter the new password a second time."))],
                           render_kw={"autocomplete": "new-password"})
