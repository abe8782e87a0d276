"""Basic protection of the public form from robots, without a third-party CAPTCHA.

Two signs: a trap field that people do not see (``website``: robots fill every field), and
the time between showing the form and sending it (a signed timestamp in the form; robots send
at once). A filled trap gets the ordinary "check your e-mail" answer and nothing else; a form
sent too fast is shown again with a polite request to check and send it once more.
"""

from __future__ import annotations

import time

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "account-request-form"
#: a form older than this is shown again (its CSRF token lives as long as the UI cookie)
MAX_AGE = 24 * 3600


def serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def stamp(school_id: int) -> str:
    """The value of the hidden ``started`` field when the form is shown."""
    return serializer().dumps(school_id)


def filled_too_fast(value: str | None, school_id: int) -> bool:
    """True when the form came back sooner than ``ACCOUNT_REQUEST_MIN_FILL_SECONDS`` after it
    was shown, or without a genuine timestamp of this school's form."""
    if not value:
        return True
    try:
        shown_for, signed_at = serializer().loads(value, max_age=MAX_AGE, return_timestamp=True)
    except BadSignature:  # also SignatureExpired
        return True
    if shown_for != school_id:
        return True
    return time.time() - signed_at.timestamp() < current_app.config["ACCOUNT_REQUEST_MIN_FILL_SECONDS"]
