"""Checks of one account's fields, shared by the roster import, the director's forms and the API.

Each check takes what was typed or sent and returns the normalised value, or raises
``FieldError(code, **params)`` (texts in ``messages.py``). Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields

from .. import isikukood as ik

USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,99}")
EXTERNAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: a phone number as people write it: an optional +, digits, spaces, hyphens, brackets
PHONE = re.compile(r"\+?[0-9 ()-]+")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ESTONIAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
#: control characters (NUL is refused by PostgreSQL) and lone surrogates (not UTF-8)
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
NAME_MAX = 200
EMAIL_MAX = 320
#: roles a roster file or the API may give; ``admin`` (the director) only on the account's page
ROSTER_ROLES = ("student", "parent", "teacher", "staff")
#: the Estonian names a director may write in a roster file
ROLE_ALIASES = {"õpilane": "student", "lapsevanem": "parent", "vanem": "parent",
                "õpetaja": "teacher", "töötaja": "staff"}
PERSONAL = ("given_name", "family_name", "email", "phone", "isikukood", "birthdate")


class FieldError(Exception):
    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class AccountData:
    """Checked values of one account; None means "not given" (never "erase")."""

    username: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    roles: list[str] | None = None
    email: str | None = None
    phone: str | None = None
    isikukood: str | None = None
    birthdate: dt.date | None = None
    external_id: str | None = None

    def personal(self) -> dict:
        return {name: getattr(self, name) for name in PERSONAL if getattr(self, name) is not None}

    def given(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


def text(value, *, max_len: int = NAME_MAX, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise FieldError("required")
        return None
    if not isinstance(value, str):
        raise FieldError("type_string")
    value = value.strip()
    if not value:
        if required:
            raise FieldError("required")
        return None
    if len(value) > max_len:
        raise FieldError("too_long", max=max_len)
    if CONTROL.search(value):
        raise FieldError("control")
    return value


def multiline_text(value, *, max_len: int, required: bool = False) -> str | None:
    """A text of several lines (a textarea): line breaks (CRLF, CR, LF; browsers send CRLF)
    and tabs are kept as ``\n`` and a space; every other control character is refused as in
    ``text``. Each line's trailing spaces go."""
    if isinstance(value, str):
        lines = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").split("\n")
        joined = "\n".join(line.rstrip() for line in lines).strip("\n")
        checked = text(joined.replace("\n", " "), max_len=max_len, required=required)
        return None if checked is None else joined.strip()
    return text(value, max_len=max_len, required=required)


def name(value, *, required: bool = True) -> str | None:
    return text(value, required=required)


def username(value, *, required: bool = True) -> str | None:
    value = text(value, max_len=100, required=required)
    if value is None:
        return None
    value = value.lower()
    if not USERNAME.fullmatch(value):
        raise FieldError("username")
    return value


def external_id(value, *, required: bool = False) -> str | None:
    value = text(value, max_len=100, required=required)
    if value is not None and not EXTERNAL_ID.fullmatch(value):
        raise FieldError("external_id")
    return value


def email(value) -> str | None:
    value = text(value, max_len=EMAIL_MAX)
    if value is not None and not EMAIL.fullmatch(value):
        raise FieldError("email")
    return value


def phone(value) -> str | None:
    """E.164 allows at most 15 digits; fewer than 5 is no phone number. Spaces are kept as
    written (one at a time): "+372 5555 1234" reads better than "+37255551234"."""
    value = text(value, max_len=40)
    if value is None:
        return None
    digits = sum(c.isdigit() for c in value)
    if not PHONE.fullmatch(value) or not 5 <= digits <= 15:
        raise FieldError("phone")
    return " ".join(value.split())


def isikukood(value) -> str | None:
    value = text(value, max_len=20)
    if value is None:
        return None
    try:
        return ik.validate(value)
    except ik.InvalidIsikukood:
        pass
    if len(value) != 11 or not value.isascii() or not value.isdigit():
        raise FieldError("isikukood_digits")
    if int(value[0]) not in ik.CENTURIES:
        raise FieldError("isikukood_century")
    try:
        ik.birthdate(value)
    except ValueError:
        raise FieldError("isikukood_date") from None
    raise FieldError("isikukood_checksum")


def birthdate(value, *, estonian: bool = True) -> dt.date | None:
    """YYYY-MM-DD, or (in a roster file) DD.MM.YYYY as Estonian spreadsheets write it."""
    value = text(value, max_len=20)
    if value is None:
        return None
    try:
        if ISO_DATE.fullmatch(value):
            date = dt.date.fromisoformat(value)
        elif estonian and (match := ESTONIAN_DATE.fullmatch(value)):
            day, month, year = (int(g) for g in match.groups())
            date = dt.date(year, month, day)
        else:
            raise FieldError("birthdate")
    except ValueError:
        raise FieldError("birthdate") from None
    if date > dt.date.today():
        raise FieldError("birthdate_future")
    return date


def roles(value, *, allowed=ROSTER_ROLES, aliases: bool = False) -> list[str]:
    """A list of role names (API, forms) or one cell listing them (``parent|teacher``)."""
    if isinstance(value, str):
        items = [r for r in re.split(r"[|,;\s]+", value.strip().lower()) if r]
    elif isinstance(value, list) and all(isinstance(r, str) for r in value):
        items = [r.strip().lower() for r in value]
    else:
        raise FieldError("type_list")
    result = set()
    for role in items:
        role = ROLE_ALIASES.get(role, role) if aliases else role
        if role == "admin" and role not in allowed:
            raise FieldError("role_admin")
        if role not in allowed:
            raise FieldError("role_unknown", role=role[:40])
        result.add(role)
    if not result:
        raise FieldError("roles_required")
    return sorted(result)


def birthdate_from(code: str | None, date: dt.date | None) -> dt.date | None:
    """The birth date to store: derived from the isikukood, which a given date must match."""
    if code is None:
        return date
    derived = ik.birthdate(code)
    if date is not None and date != derived:
        raise FieldError("birthdate_mismatch", date=derived.strftime("%d.%m.%Y"))
    return derived


def check(values: dict, checks: dict) -> tuple[dict, dict[str, FieldError]]:
    """Run ``checks[name](values.get(name))`` for every name; the results and the errors."""
    result, errors = {}, {}
    for field, run in checks.items():
        try:
            result[field] = run(values.get(field))
        except FieldError as error:
            errors[field] = error
    if "birthdate" not in errors and "isikukood" not in errors and "isikukood" in checks:
        try:
            result["birthdate"] = birthdate_from(result.get("isikukood"), result.get("birthdate"))
        except FieldError as error:
            errors["birthdate"] = error
    return result, errors
