"""Reading roster files (idp/roster/csvfile.py): encodings, separators, header, row numbers."""

from __future__ import annotations

import pytest

from idp.roster.csvfile import FileError, parse

HEADER = "external_id;username;given_name;family_name;roles"


def rows(text, encoding="utf-8"):
    return parse(text.encode(encoding) if isinstance(text, str) else text)


@pytest.mark.parametrize("data", [
    f"{HEADER}\nS1;kati;Kätlin;Õun;student\n".encode(),
    f"\ufeff{HEADER}\r\nS1;kati;Kätlin;Õun;student\r\n".encode(),
    f"{HEADER.replace(';', ',')}\nS1,kati,Kätlin,Õun,student\n".encode(),
    f"\ufeff{HEADER.replace(';', ',')}\nS1,kati,Kätlin,Õun,student".encode(),
], ids=["semicolon", "semicolon-bom-crlf", "comma", "comma-bom-no-final-newline"])
def test_separators_and_bom(data):
    [row] = parse(data)
    assert row.number == 2
    assert row.values == {"external_id": "S1", "username": "kati", "given_name": "Kätlin",
                          "family_name": "Õun", "roles": "student"}


def test_quoted_fields_may_hold_separators_quotes_and_newlines():
    text = ('username,given_name,family_name,roles\n'
            '"kati","Kati ""Kass""","Õun; Pirn","student,parent"\n'
            '"mari","Mari\nAnn",Õun,parent\n'
            'juhan,Juhan,Kask,teacher\n')
    first, second, third = rows(text)
    assert first.values["given_name"] == 'Kati "Kass"' and first.values["family_name"] == "Õun; Pirn"
    assert first.values["roles"] == "student,parent"
    assert second.values["given_name"] == "Mari\nAnn"
    # row numbers count records as a spreadsheet shows them
    assert [r.number for r in (first, second, third)] == [2, 3, 4]


def test_estonian_header_names_and_any_order():
    [row] = rows("Perekonnanimi;Eesnimi;Kasutajanimi;Rollid;E-post;Isikukood;Sünniaeg;Lapsed\n"
                 "Õun;Kati;kati;õpilane;k@example.ee;;;\n")
    assert row.values["family_name"] == "Õun" and row.values["username"] == "kati"
    assert set(row.values) == {"family_name", "given_name", "username", "roles", "email",
                               "isikukood", "birthdate", "guardian_of"}


def test_empty_rows_are_skipped_but_counted():
    [row] = rows(f"{HEADER}\n\n;;;;\nS1;kati;Kati;Õun;student\n")
    assert row.number == 4


def test_a_row_with_more_fields_than_the_header_is_marked():
    [row] = rows(f"{HEADER}\nS1;kati;Kati;Õun;student;extra\n")
    assert row.extra == 1 and row.count == 6


def test_a_short_row_is_padded():
    [row] = rows(f"{HEADER};email\nS1;kati;Kati;Õun;student\n")
    assert row.values["email"] == ""


@pytest.mark.parametrize("data, code", [
    (b"", "file_empty"),
    (b"\n\n  \n", "file_empty"),
    ("username;given_name;family_name;roles\n".encode("utf-16"), "file_not_utf8"),
    ("username;given_name;family_name;roles\nkati;Kätlin;Õun;student\n".encode("cp1257"), "file_not_utf8"),
    (b"username;given_name;family_name\nkati;Kati;Oun\n", "file_missing_columns"),
    (b"username;given_name;family_name;roles;emial\n", "file_unknown_columns"),
    (b"username;given_name;family_name;roles;username\n", "file_duplicate_column"),
    (b"username;given_name;family_name;roles\nkati;" + b"K" * 200_000 + b";Oun;student\n",
     "file_bad_csv"),
], ids=["empty", "blank-lines", "utf-16", "windows-1257", "missing-roles", "typo", "twice",
        "huge-field"])
def test_unusable_files(data, code):
    with pytest.raises(FileError) as caught:
        parse(data)
    assert caught.value.code == code


def test_not_utf8_says_which_line():
    data = "username;given_name;family_name;roles\nkati;Kati;Õun;student\nmari;Mäe;Õun;parent\n"
    with pytest.raises(FileError) as caught:
        parse(data.encode("cp1257"))
    assert caught.value.params == {"line": 2}


def test_too_many_rows(monkeypatch):
    monkeypatch.setattr("idp.roster.csvfile.MAX_ROWS", 3)
    with pytest.raises(FileError) as caught:
        rows(HEADER + "\n" + "".join(f"S{i};u{i};A;B;student\n" for i in range(4)))
    assert caught.value.code == "file_too_many_rows"
