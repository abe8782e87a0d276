"""Operating the IdP: health and readiness probes, Prometheus metrics, logs with request ids.

``install(app)`` (from ``create_app``) configures logging and wraps the WSGI app in
:class:`~idp.ops.middleware.OpsMiddleware`.
"""

from __future__ import annotations

from flask import Flask

from . import logs
from .metrics import record_purge
from .middleware import OpsMiddleware, remember_endpoint

__all__ = ["install", "record_purge"]


def install(app: Flask) -> None:
    logs.configure(app)
    app.url_value_preprocessor(remember_endpoint)
    app.wsgi_app = OpsMiddleware(app.wsgi_app, app)  # type: ignore[method-assign]
