"""The WSGI layer in front of Flask: the operator's endpoints, and per request the request id,
the request metrics and one log line.

``/healthz``, ``/readyz`` and ``/metrics`` are answered here without entering Flask (no session,
locale, rate limiter or header hooks): probes every few seconds must cost next to nothing and
must work when the UI machinery cannot (a database that is down).
"""

from __future__ import annotations

import hmac
import json
import logging
from time import perf_counter

from flask import Flask, request

from . import health, metrics, requestid

log = logging.getLogger("idp.requests")
ENDPOINT_KEY = "idp.endpoint"
ROUTE_KEY = "idp.route"
LOOPBACK = ("127.0.0.1", "::1")
STATUS_TEXT = {200: "200 OK", 401: "401 Unauthorized", 403: "403 Forbidden",
               503: "503 Service Unavailable"}


def remember_endpoint(endpoint, _values) -> None:
    """Flask ``url_value_preprocessor``: the matched endpoint and its rule (never the path, which
    may hold a link's token) for the metrics and the log line."""
    request.environ[ENDPOINT_KEY] = endpoint
    if request.url_rule is not None:
        request.environ[ROUTE_KEY] = request.url_rule.rule


class OpsMiddleware:
    def __init__(self, wsgi_app, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app
        self.routes = {"/healthz": self.healthz, "/readyz": self.readyz, "/metrics": self.metrics}
        self.log_requests = bool(app.config["LOG_REQUESTS"])

    def __call__(self, environ, start_response):
        route = self.routes.get(environ.get("PATH_INFO", ""))
        if route is not None:
            return route(environ, start_response)
        started = perf_counter()
        rid = requestid.accept(environ.get(requestid.ENVIRON_KEY))
        token = requestid.bind(rid)
        statuses: list[str] = []

        def start_with_id(status, headers, exc_info=None):
            statuses.append(status)
            headers.append((requestid.HEADER, rid))
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, start_with_id)
        finally:
            self.finish(environ, statuses[-1][:3] if statuses else "500", perf_counter() - started)
            requestid.unbind(token)

    def finish(self, environ, status: str, seconds: float) -> None:
        endpoint = environ.get(ENDPOINT_KEY) or "unmatched"
        method = environ.get("REQUEST_METHOD", "")
        metrics.observe_request(endpoint, method, status, seconds)
        if self.log_requests and log.isEnabledFor(logging.INFO):
            route = environ.get(ROUTE_KEY, "-")
            log.info("%s %s %s %.1f ms", method, route, status, seconds * 1000,
                     extra={"method": method, "route": route, "endpoint": endpoint,
                            "status": int(status), "duration_ms": round(seconds * 1000, 2)})

    # -- the operator's endpoints ------------------------------------------------------------

    def healthz(self, environ, start_response):
        return self.timed("healthz", environ, start_response,
                          lambda: json_response(*health.healthz(self.app)))

    def readyz(self, environ, start_response):
        return self.timed("readyz", environ, start_response,
                          lambda: json_response(*health.readyz(self.app)))

    def metrics(self, environ, start_response):
        if not metrics.enabled(self.app):
            return self.wsgi_app(environ, start_response)  # Flask's 404, as for any unknown path
        return self.timed("metrics", environ, start_response, lambda: self.metrics_response(environ))

    def metrics_response(self, environ):
        refusal = self.metrics_refusal(environ)
        if refusal:
            return refusal
        body = metrics.render(self.app)
        return 200, [("Content-Type", metrics.CONTENT_TYPE), ("Cache-Control", "no-store")], body

    def metrics_refusal(self, environ):
        """With METRICS_TOKEN: that bearer token, from anywhere. Without (development only: a
        production start requires the token): loopback peers only."""
        token = self.app.config.get("METRICS_TOKEN")
        if token:
            sent = environ.get("HTTP_AUTHORIZATION", "").encode("latin-1", "replace")
            if hmac.compare_digest(sent, f"Bearer {token}".encode("latin-1", "replace")):
                return None
            return json_response(401, {"error": "invalid_token"},
                                 [("WWW-Authenticate", 'Bearer realm="metrics"')])
        if environ.get("REMOTE_ADDR") in LOOPBACK:
            return None
        return json_response(403, {"error": "metrics are served to loopback only without "
                                            "IDP_METRICS_TOKEN"})

    def timed(self, endpoint: str, environ, start_response, respond):
        started = perf_counter()
        status, headers, body = respond()
        start_response(STATUS_TEXT[status], headers + [("Content-Length", str(len(body)))])
        metrics.observe_request(endpoint, environ.get("REQUEST_METHOD", ""), str(status),
                                perf_counter() - started)
        return [body] if environ.get("REQUEST_METHOD") != "HEAD" else []


def json_response(status: int, data: dict, extra_headers: list | None = None):
    body = json.dumps(data).encode()
    headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store"),
               ("X-Content-Type-Options", "nosniff"), *(extra_headers or [])]
    return status, headers, body
