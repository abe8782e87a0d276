"""Every message of the account checks (the roster import, the director's forms, the API).

A check reports a code and parameters; the text is chosen where it is shown: translated on the
director's pages, English in the API and the CLI. ``N_`` only marks a string for extraction.
"""

from __future__ import annotations


def N_(text: str) -> str:  # noqa: N802 (the gettext convention)
    return text


MESSAGES = {
    # one field
    "required": N_("This is required."),
    "type_string": N_("Must be a string."),
    "type_list": N_("Must be a list of strings."),
    "too_long": N_("At most %(max)s characters."),
    "control": N_("Contains control characters."),
    "username": N_("2-100 characters: lower-case letters a-z, digits and . _ - @, beginning "
                   "with a letter or a digit."),
    "external_id": N_("1-100 characters: letters A-Z and a-z, digits and . _ : @ -, beginning "
                      "with a letter or a digit."),
    "email": N_("This is not an e-mail address."),
    "phone": N_("This is not a phone number: digits (5-15), spaces, an optional + at the start."),
    "isikukood_digits": N_("An isikukood has exactly 11 digits."),
    "isikukood_century": N_("The first digit of an isikukood is 1-8."),
    "isikukood_date": N_("Digits 2-7 of the isikukood are not a real date."),
    "isikukood_checksum": N_("The check digit of the isikukood does not match."),
    "birthdate": N_("Not a date: write it as YYYY-MM-DD or DD.MM.YYYY."),
    "birthdate_future": N_("The birth date is in the future."),
    "birthdate_mismatch": N_("The birth date does not match the isikukood (%(date)s)."),
    "roles_required": N_("Give at least one role."),
    "role_unknown": N_("Unknown role %(role)s: use student, parent, teacher or staff."),
    "role_admin": N_("The director role is given only on the account's page."),
    # against the school's other accounts
    "username_taken": N_("The username %(value)s belongs to another account."),
    "external_id_taken": N_("The external id %(value)s belongs to another account."),
    "isikukood_taken": N_("This isikukood belongs to another account at this school (%(username)s)."),
    "external_id_differs": N_("The username %(value)s belongs to an account with another "
                              "external id (%(other)s)."),
    "linked_personal": N_("Personal data was not changed: the person has linked accounts at "
                          "other schools and manages it."),
    # within a roster file
    "row_fields": N_("The row has %(count)s fields; the header has %(expected)s."),
    "duplicate_external_id": N_("The external id %(value)s is also on row %(rows)s."),
    "duplicate_username": N_("The username %(value)s is also on row %(rows)s."),
    "duplicate_isikukood": N_("The isikukood is also on row %(rows)s."),
    "guardian_needs_parent": N_("guardian_of needs the parent role."),
    "guardian_unknown": N_("No student with the external id %(value)s at this school."),
    "guardian_not_student": N_("The account with the external id %(value)s is not a student."),
    "guardian_self": N_("An account cannot be its own guardian."),
    "guardian_rejected": N_("The student %(value)s is on rejected row %(row)s."),
    # the whole file
    "file_too_large": N_("The file is larger than %(max)s MB."),
    "file_not_utf8": N_("The file is not UTF-8 text (line %(line)s). In Excel, save it as "
                        "\"CSV UTF-8\"."),
    "file_empty": N_("The file is empty."),
    "file_bad_csv": N_("The file is not valid CSV (near row %(row)s)."),
    "file_missing_columns": N_("Required columns are missing: %(columns)s."),
    "file_unknown_columns": N_("Unknown columns: %(columns)s. The known columns are %(known)s."),
    "file_duplicate_column": N_("The column %(column)s appears twice."),
    "file_too_many_rows": N_("The file has more than %(max)s rows: split it."),
    # guardianships and the director's own account
    "no_such_account": N_("There is no account %(username)s at this school."),
    "not_parent": N_("%(username)s does not have the parent role."),
    "not_student": N_("%(username)s does not have the student role."),
    "same_account": N_("An account cannot be its own guardian."),
    "guardianship_exists": N_("%(parent)s is already a guardian of %(student)s."),
    "own_account": N_("You cannot disable your own account."),
    "own_admin_role": N_("You cannot remove the director role from your own account."),
    "linked_readonly": N_("The person has linked accounts at other schools: only they can change "
                          "their personal data."),
}


def render(code: str, params: dict | None = None, *, translate: bool = True) -> str:
    """The text of ``code`` with ``params``: in the page's language, or English."""
    text = MESSAGES[code]
    params = params or {}
    if translate:
        from flask_babel import gettext
        return gettext(text, **params)
    return text % params if params else text
