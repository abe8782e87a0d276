"""The provisioning API for schools' Stuudiums (``/api/v1``): REST/JSON, OAuth 2.0 client
credentials (``grant.py``), RFC 9457 problem details, an OpenAPI 3.1 description."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import problems, views  # noqa: E402,F401  (routes and error handlers)
