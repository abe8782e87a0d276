"""Reading a roster file: UTF-8 (with or without BOM), ``;`` or ``,`` between fields, a header row.

Rows are numbered as a spreadsheet shows them: the header is row 1. Empty rows are skipped.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

COLUMNS = ("external_id", "username", "given_name", "family_name", "roles", "email",
           "isikukood", "birthdate", "guardian_of", "phone")
REQUIRED = ("username", "given_name", "family_name", "roles")
#: other spellings of the header, Estonian ones included (compared case-insensitively)
ALIASES = {
    "external id": "external_id", "externalid": "external_id", "välis_id": "external_id",
    "kasutajanimi": "username", "eesnimi": "given_name", "first_name": "given_name",
    "perekonnanimi": "family_name", "perenimi": "family_name", "last_name": "family_name",
    "role": "roles", "roll": "roles", "rollid": "roles",
    "e-mail": "email", "e-post": "email", "epost": "email",
    "telefon": "phone", "telefoninumber": "phone", "phone_number": "phone", "mobiil": "phone",
    "sünniaeg": "birthdate", "birth_date": "birthdate",
    "lapsed": "guardian_of",
}
MAX_ROWS = 50_000
MAX_BYTES = 20 * 1024 * 1024


class FileError(Exception):
    """The file cannot be read as a roster at all; nothing in it is used."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class RawRow:
    number: int
    values: dict[str, str]
    #: fields the row has beyond the header, or missing from it (0 when it matches)
    extra: int = 0
    count: int = 0


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise FileError("file_too_large", max=MAX_BYTES // (1024 * 1024))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileError("file_not_utf8", line=data[:exc.start].count(b"\n") + 1) from None


def separator(header_line: str) -> str:
    """``;`` (Estonian Excel) or ``,``: whichever the header line has more of outside quotes."""
    outside, quoted = [], False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(char)
    return ";" if outside.count(";") >= outside.count(",") and ";" in outside else ","


def header(cells: list[str]) -> list[str]:
    names = []
    for cell in cells:
        key = cell.strip().lower()
        names.append(ALIASES.get(key, key.replace(" ", "_")))
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise FileError("file_unknown_columns", columns=", ".join(unknown)[:300],
                        known=", ".join(COLUMNS))
    for name in names:
        if names.count(name) > 1:
            raise FileError("file_duplicate_column", column=name)
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise FileError("file_missing_columns", columns=", ".join(missing))
    return names


def parse(data: bytes | str) -> list[RawRow]:
    """The file's data rows, or ``FileError``."""
    text = decode(data) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    if not text.strip():
        raise FileError("file_empty")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator(first_line))
    rows: list[RawRow] = []
    number = 0
    try:
        names = None
        for cells in reader:
            number += 1
            if not any(c.strip() for c in cells):
                continue
            if names is None:
                names = header(cells)
                continue
            if len(rows) >= MAX_ROWS:
                raise FileError("file_too_many_rows", max=MAX_ROWS)
            padded = cells + [""] * (len(names) - len(cells))
            rows.append(RawRow(number, dict(zip(names, padded, strict=False)),
                               extra=len(cells) - len(names) if len(cells) > len(names) else 0,
                               count=len(cells)))
    except csv.Error:
        raise FileError("file_bad_csv", row=number + 1) from None
    if names is None:
        raise FileError("file_empty")
    return rows
