"""The one place where errors become responses.

``IdpError`` is the root of our own errors. Protocol errors are Authlib's ``OAuth2Error``
subclasses (named after their wire code). An error carries the wire code, a description that is
safe to show, and a detail for the logs only. Errors that may not redirect (a bad
``client_id`` or ``redirect_uri``) are rendered as a page.
"""

from __future__ import annotations

import logging

from authlib.oauth2.base import OAuth2Error
from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db

log = logging.getLogger(__name__)


class IdpError(Exception):
    """Root of the IdP's own errors."""

    status = 400
    title = "Request failed"

    def __init__(self, description: str, *, detail: str | None = None, status: int | None = None):
        super().__init__(description)
        self.description = description
        self.detail = detail
        if status is not None:
            self.status = status


class InvalidClientRequest(IdpError):
    """An authorization or logout request whose client or redirect URI cannot be trusted:
    never redirect (RFC 6749 4.1.2.1), show the person a page instead."""


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith(("/token", "/userinfo", "/revoke", "/api/")) or best == "application/json"


def error_page(title: str, message: str, status: int):
    return render_template("error.html", title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(IdpError)
    def handle_idp_error(error: IdpError):
        if error.detail:
            log.info("request refused: %s (%s)", error.description, error.detail)
        if wants_json():
            return jsonify(error="invalid_request", error_description=error.description), error.status
        return error_page(_("Something is wrong with this link"), error.description, error.status)

    @app.errorhandler(OAuth2Error)
    def handle_oauth_error(error: OAuth2Error):
        status, body, headers = error()
        if wants_json():
            return jsonify(dict(body)), status, headers
        return error_page(_("Something is wrong with this link"),
                          error.description or error.error, status)

    @app.errorhandler(CSRFError)
    def handle_csrf(error):
        return error_page(_("The form has expired"),
                          _("Please go back, reload the page and try again."), 400)

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        if wants_json():
            return jsonify(error=error.name.lower().replace(" ", "_"),
                           error_description=error.description), error.code
        return error_page(error.name, error.description or "", error.code or 500)

    if app.testing:
        return  # let tests see the traceback of anything unexpected

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        log.exception("unexpected error")
        db.session.rollback()
        if wants_json():
            return jsonify(error="server_error", error_description="Internal error"), 500
        return error_page(_("Something went wrong"), _("Please try again in a moment."), 500)
