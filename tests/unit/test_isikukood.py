"""Estonian personal identification code (isikukood), EVS 585:2007: no app needed."""

from __future__ import annotations

import datetime as dt

import pytest

from idp.isikukood import InvalidIsikukood, birthdate, checksum, mask, sex, validate

# code, birth date, sex
VALID = [
    ("38001085718", dt.date(1980, 1, 8), "male"),
    ("48003120218", dt.date(1980, 3, 12), "female"),
    ("60001019906", dt.date(2000, 1, 1), "female"),
    ("50001010006", dt.date(2000, 1, 1), "male"),
    ("38001080079", dt.date(1980, 1, 8), "male"),    # first round gives 10: second round
    ("38001081350", dt.date(1980, 1, 8), "male"),    # both rounds give 10: check digit 0
    ("19912310008", dt.date(1899, 12, 31), "male"),  # 1 and 2: the 19th century
    ("70402290005", dt.date(2104, 2, 29), "male"),   # 7 and 8: the 22nd century (leap day)
]


def reference_check_digit(first_ten: str) -> int:
    """The standard's algorithm, written out independently of the code under test."""
    digits = [int(c) for c in first_ten]
    for weights in ([1, 2, 3, 4, 5, 6, 7, 8, 9, 1], [3, 4, 5, 6, 7, 8, 9, 1, 2, 3]):
        remainder = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if remainder < 10:
            return remainder
    return 0


def with_check_digit(first_ten: str) -> str:
    return first_ten + str(reference_check_digit(first_ten))


@pytest.mark.parametrize("code", [v[0] for v in VALID])
def test_EVS_585_valid_codes_pass_and_match_the_reference_algorithm(code):
    assert reference_check_digit(code[:10]) == int(code[10])
    assert checksum(code[:10]) == int(code[10])
    assert validate(code) == code


def test_EVS_585_surrounding_whitespace_is_removed():
    assert validate("  38001085718\n") == "38001085718"


@pytest.mark.parametrize("code", [v[0] for v in VALID[:4]])
def test_EVS_585_wrong_check_digit_is_refused(code):
    wrong = code[:10] + str((int(code[10]) + 1) % 10)
    with pytest.raises(InvalidIsikukood, match="check digit"):
        validate(wrong)


@pytest.mark.parametrize("code", ["", "3800108571", "380010857181", "3 8001085718"[:11]],
                         ids=["empty", "ten-digits", "twelve-digits", "inner-space"])
def test_EVS_585_exactly_eleven_digits(code):
    with pytest.raises(InvalidIsikukood, match="11 digits"):
        validate(code)


@pytest.mark.parametrize("code", [
    "3800108571a", "38001-85718", "+3800108571",
    "３８００１０８５７１８",   # full-width digits: str.isdigit() says yes
    "٣٨٠٠١٠٨٥٧١٨",           # Arabic-Indic digits
    "3800108571²",           # a superscript two: isdigit() but not int()
], ids=["letter", "dash", "plus", "fullwidth", "arabic-indic", "superscript"])
def test_EVS_585_only_ascii_digits(code):
    with pytest.raises(InvalidIsikukood, match="11 digits"):
        validate(code)


def test_EVS_585_none_is_refused_cleanly():
    with pytest.raises(InvalidIsikukood):
        validate(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("first", ["0", "9"])
def test_EVS_585_first_digit_is_1_to_8(first):
    code = with_check_digit(first + "800108571")
    with pytest.raises(InvalidIsikukood, match="first digit"):
        validate(code)


@pytest.mark.parametrize("first_ten", [
    "3990230000",  # 30 February 1999
    "3990229000",  # 29 February 1999: not a leap year
    "3801308571",  # month 13
    "3800100571",  # day 0
    "3800132571",  # 32 January
    "5000000000",  # month 0
], ids=["feb-30", "feb-29-non-leap", "month-13", "day-0", "jan-32", "month-0"])
def test_EVS_585_birth_date_must_exist(first_ten):
    with pytest.raises(InvalidIsikukood, match="date"):
        validate(with_check_digit(first_ten))


def test_EVS_585_leap_day_in_a_leap_year_is_valid():
    code = with_check_digit("6040229123")  # 29 February 2004
    assert validate(code) == code
    assert birthdate(code) == dt.date(2004, 2, 29)


@pytest.mark.parametrize("code,born,sex_", VALID)
def test_EVS_585_birth_date_and_sex_are_derived(code, born, sex_):
    assert birthdate(code) == born
    assert sex(code) == sex_


@pytest.mark.parametrize("first,century,sex_", [
    ("1", 1800, "male"), ("2", 1800, "female"), ("3", 1900, "male"), ("4", 1900, "female"),
    ("5", 2000, "male"), ("6", 2000, "female"), ("7", 2100, "male"), ("8", 2100, "female"),
])
def test_EVS_585_first_digit_gives_century_and_sex(first, century, sex_):
    code = with_check_digit(first + "050607123")
    assert birthdate(code) == dt.date(century + 5, 6, 7)
    assert sex(code) == sex_


def test_masking_shows_only_first_and_last_digit():
    masked = mask("38001085718")
    assert masked == "3*********8"
    assert len(masked) == 11 and "0010857" not in masked


@pytest.mark.parametrize("empty", [None, ""])
def test_masking_of_a_missing_code(empty):
    assert mask(empty) == "-"
