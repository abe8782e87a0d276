"""Account requests: "Ava kasutajakonto" > "esita andmed ja taotle kontot".

``public``: the request form of each school (``/account-request/<slug>``), the e-mailed link
that confirms the address, and the pages around them. ``review``: the director's pages under
``/admin/<slug>/requests`` (approve as a new account, add the address and code to an existing
account, or reject with a reason). ``service.py`` does the work; every decision is audited.
"""

from flask import Blueprint

public = Blueprint("account_requests", __name__)
review = Blueprint("request_review", __name__, url_prefix="/admin")

from . import review_views, views  # noqa: E402, F401  (routes, after the blueprints)
