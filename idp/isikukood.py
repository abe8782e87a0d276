"""Estonian personal identification code (isikukood): validation and derived data.

11 digits ``GYYMMDDSSSC``: G is century and sex (1-8), YYMMDD the birth date, SSS a serial
number, C a checksum (two rounds of weights, EVS 585:2007). Logged only masked.
"""

from __future__ import annotations

import datetime as dt

WEIGHTS_1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 1)
WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 1, 2, 3)
CENTURIES = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000, 7: 2100, 8: 2100}


class InvalidIsikukood(ValueError):
    """The code is not a valid isikukood; the message says why."""


def checksum(first_ten: str) -> int:
    digits = [int(c) for c in first_ten]
    check = sum(d * w for d, w in zip(digits, WEIGHTS_1, strict=True)) % 11
    if check == 10:
        check = sum(d * w for d, w in zip(digits, WEIGHTS_2, strict=True)) % 11
        if check == 10:
            check = 0
    return check


def birthdate(code: str) -> dt.date:
    century = CENTURIES[int(code[0])]
    return dt.date(century + int(code[1:3]), int(code[3:5]), int(code[5:7]))


def sex(code: str) -> str:
    return "female" if int(code[0]) % 2 == 0 else "male"


def validate(code: str) -> str:
    """Return the normalised code or raise ``InvalidIsikukood``."""
    code = (code or "").strip()
    # str.isdigit() alone also accepts e.g. full-width and superscript digits
    if len(code) != 11 or not code.isascii() or not code.isdigit():
        raise InvalidIsikukood("an isikukood has exactly 11 digits")
    if int(code[0]) not in CENTURIES:
        raise InvalidIsikukood("the first digit must be 1-8")
    try:
        birthdate(code)
    except ValueError as exc:
        raise InvalidIsikukood("digits 2-7 are not a real date") from exc
    if checksum(code[:10]) != int(code[10]):
        raise InvalidIsikukood("the check digit does not match")
    return code


def mask(code: str | None) -> str:
    return f"{code[:1]}*********{code[-1:]}" if code else "-"
