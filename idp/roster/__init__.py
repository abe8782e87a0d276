"""Roster import: a CSV file of a school's students, parents, teachers and staff.

Shared by the director's page (upload → report → confirm) and ``idp accounts import``. Every
row is checked first and a report says what would be created, updated or rejected and why;
nothing is written until confirmed (``--apply``). Importing the same file again changes nothing.

The file
========
UTF-8, with or without a BOM (Excel: "CSV UTF-8"); fields separated by ``;`` (what Estonian
Excel writes) or ``,`` (found from the header row); quotes as usual in CSV. The first row is a
header naming the columns, in any order (case-insensitive; Estonian names in brackets work too):

``external_id``   the school's own id of the person (Stuudium's id). Optional but recommended:
                  it is how an account is found again; without it, the username is.
``username``      required; 2-100 of a-z, 0-9, ``. _ - @`` (stored lower-case) (kasutajanimi)
``given_name``    required (eesnimi)
``family_name``   required (perekonnanimi, perenimi)
``roles``         required; one or more of student, parent, teacher, staff (õpilane,
                  lapsevanem, õpetaja, töötaja) separated by ``|``, spaces or commas (rollid).
                  The director role is given only on the account's page, and an import never
                  takes it away.
``email``         optional (e-post)
``isikukood``     optional; checked (checksum, date); the birth date is derived from it
``birthdate``     optional; YYYY-MM-DD or DD.MM.YYYY; must match the isikukood if both are given
``guardian_of``   optional, on parents' rows: the external ids of their children (students in
                  the file or already at the school), separated by ``|`` or spaces (lapsed)

An empty cell never erases what is stored: it means "no value given". Guardianships are only
added. A person who has linked accounts at other schools manages their own personal data: their
names, e-mail and isikukood are not changed by an import (the report says so).

Example (Estonian Excel)::

    external_id;username;given_name;family_name;roles;email;isikukood;guardian_of
    S1001;kati.maasikas;Kati;Maasikas;student;;50307150229;
    P2001;mari.maasikas;Mari;Maasikas;parent;mari@example.ee;;S1001
"""

from __future__ import annotations

from .csvfile import COLUMNS, FileError, parse
from .plan import Plan, plan


def check(school_id: int, data: bytes | str) -> Plan:
    """Read and check a roster file; raises ``FileError`` when the file is unusable."""
    return plan(school_id, parse(data))


__all__ = ["COLUMNS", "FileError", "Plan", "check"]
