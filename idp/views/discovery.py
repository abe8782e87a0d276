"""OpenID Provider metadata (Discovery 1.0 §3, RFC 8414) and the JWKS.

Both are public, the same for everyone, and asked for far more often than they change: the
metadata changes with the configuration (never while running), the JWKS with the keys on disk
(``idp keys`` on any node). :class:`ProtocolDocuments`, a WSGI layer in front of Flask, serves
GET and HEAD of both without the UI machinery (no session, locale, rate limiter or header hooks):
each body is rendered once per key generation (one ``stat`` of the keystore per request), with an
``ETag`` (``304 Not Modified`` on a matching ``If-None-Match``), ``Cache-Control`` and the
security headers every response carries. Other methods reach Flask (405).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, current_app, jsonify

from ..models.school import SCOPES
from ..oauth.claims import CLAIMS_SUPPORTED
from ..ops.middleware import ENDPOINT_KEY, ROUTE_KEY
from ..security import SECURITY_HEADERS

bp = Blueprint("discovery", __name__)


def provider_metadata(issuer: str) -> dict:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks.json",
        "end_session_endpoint": f"{issuer}/logout",
        "revocation_endpoint": f"{issuer}/revoke",
        "scopes_supported": [*SCOPES, "accounts:read", "accounts:write"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": list(CLAIMS_SUPPORTED),
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        # schools are first-party clients: there is no consent screen or account chooser
        "prompt_values_supported": ["none", "login"],
        "ui_locales_supported": list(current_app.config["LANGUAGES"]),
        "acr_values_supported": ["low", "high"],
        # RFC 9207 3
        "authorization_response_iss_parameter_supported": True,
        # Back-Channel Logout 1.0 2.1 and Front-Channel Logout 1.0 3
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": True,
        "frontchannel_logout_session_supported": True,
    }


DISCOVERY_PATH = "/.well-known/openid-configuration"
DISCOVERY_CACHE_CONTROL = "public, max-age=3600"
JWKS_PATH = "/jwks.json"


@dataclass(frozen=True)
class Document:
    body: bytes
    etag: str
    headers: tuple[tuple[str, str], ...]


def render(app: Flask, data: dict, cache_control: str) -> Document:
    with app.app_context():
        body = jsonify(data).get_data()  # the same bytes Flask's jsonify would send
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = (("Content-Type", "application/json"), ("Cache-Control", cache_control),
               ("Access-Control-Allow-Origin", "*"), ("ETag", etag), *SECURITY_HEADERS)
    return Document(body, etag, headers)


class ProtocolDocuments:
    """WSGI middleware: discovery and JWKS, rendered once per key generation."""

    def __init__(self, wsgi_app, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app
        self.store = app.extensions["keystore"]
        self._lock = threading.Lock()
        self._jwks: tuple[object, Document] | None = None
        self._discovery: Document | None = None
        self.routes: dict[str, tuple[str, Callable[[], Document]]] = {
            DISCOVERY_PATH: ("discovery.openid_configuration", self.discovery),
            JWKS_PATH: ("discovery.jwks", self.jwks)}

    def discovery(self) -> Document:
        if self._discovery is None:
            with self.app.app_context():
                data = provider_metadata(self.app.config["ISSUER"])
            self._discovery = render(self.app, data, DISCOVERY_CACHE_CONTROL)
        return self._discovery

    def jwks(self) -> Document:
        generation = self.store.generation()
        cached = self._jwks
        if cached is not None and cached[0] == generation and generation is not None:
            return cached[1]
        with self._lock:
            generation = self.store.generation()  # read again: the render below reads the keys
            document = render(self.app, self.store.jwks(), self.store.cache_control())
            self._jwks = (generation, document)
        return document

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        route = self.routes.get(path)
        method = environ.get("REQUEST_METHOD")
        if route is None or method not in ("GET", "HEAD"):
            return self.wsgi_app(environ, start_response)
        endpoint, build = route
        environ[ENDPOINT_KEY], environ[ROUTE_KEY] = endpoint, path  # for the metrics and log line
        document = build()
        if _matches(environ.get("HTTP_IF_NONE_MATCH", ""), document.etag):
            # RFC 9110 15.4.5: a 304 carries the ETag and Cache-Control the 200 would have
            start_response("304 Not Modified", [h for h in document.headers if h[0] != "Content-Type"])
            return []
        start_response("200 OK", [*document.headers, ("Content-Length", str(len(document.body)))])
        return [document.body] if method == "GET" else []


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 13.1.2: If-None-Match compares weakly; ``*`` matches any current document."""
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",") if t.strip()}
    return "*" in tags or etag in tags


def documents() -> ProtocolDocuments:
    return current_app.extensions["protocol_documents"]


def install(app: Flask) -> None:
    layer = ProtocolDocuments(app.wsgi_app, app)
    app.extensions["protocol_documents"] = layer
    app.wsgi_app = layer  # type: ignore[method-assign]


def _flask_response(document: Document) -> Response:
    """The same document from Flask (a request that reached it past the WSGI layer)."""
    response = Response(document.body)
    for name, value in document.headers:
        response.headers[name] = value
    return response


@bp.route(DISCOVERY_PATH)
def openid_configuration():
    return _flask_response(documents().discovery())


@bp.route(JWKS_PATH)
def jwks():
    return _flask_response(documents().jwks())
