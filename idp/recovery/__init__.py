"""Getting in without a password: "unustasid salasõna?" on every school's login page.

The person types their name (or username or e-mail); every matching active account of that
school with an e-mail address is sent a one-time link (``tokens.py``) through the outbox. The
link logs them in and lets them choose a password (``views.py``), then continues to the school.
The same links, with a longer lifetime, carry an approved account request's first password
(``idp.account_requests``).
"""

from flask import Blueprint

bp = Blueprint("recovery", __name__, static_folder="static", static_url_path="/recovery-static",
               template_folder=None)

from . import views  # noqa: E402, F401  (routes, after the blueprint)
