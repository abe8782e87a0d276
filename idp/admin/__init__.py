"""The director's pages (``/admin/<school>/...``): accounts, guardianships, roster import, audit log.

A director is an account with the ``admin`` role; the pages of a school open for a live SSO
session whose person has an active director's account there, and show that school only:
every account, guardianship and import is looked up within it (``access.py``).
"""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", static_folder="static",
               static_url_path="/static")

from . import access, account_views, audit_views, import_views  # noqa: E402,F401  (routes)
