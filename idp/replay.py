"""A dropped database connection costs no request.

``pool_pre_ping`` (``configure_database``) replaces connections that died while they sat in
the pool. A connection that drops *during* a request (a database restart or failover,
``pg_terminate_backend``) fails that request's statement with a disconnect error
(SQLAlchemy's ``connection_invalidated``). When nothing was committed yet, nothing of the
request took effect in the database, so ``ReplayingFlask`` runs the whole request once more,
from its start, with its body buffered. A disconnect after a COMMIT was attempted is never
replayed: the commit may have gone through.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from io import BytesIO

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

#: larger bodies (roster files) are not buffered: such a request is not replayed
MAX_REPLAY_BODY = 1024 * 1024

#: per request attempt: whether a COMMIT was attempted; None outside a replayable attempt
_attempt: ContextVar[dict | None] = ContextVar("idp_request_attempt", default=None)


class _Replay(BaseException):
    """Raised past Flask's error handlers (it is not an ``Exception``) to ``wsgi_app``."""


def _note_commit(connection) -> None:
    state = _attempt.get()
    if state is not None:
        state["committed"] = True


if not event.contains(Engine, "commit", _note_commit):
    event.listen(Engine, "commit", _note_commit)  # fires before COMMIT is sent


def _disconnect(error: BaseException | None) -> bool:
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _read_body(environ) -> bytes | None:
    """The request body, or None when it cannot be kept for a replay."""
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length > MAX_REPLAY_BODY:
        return None
    return environ["wsgi.input"].read(length) if length > 0 else b""


def close_session_on_a_dropped_connection(app: Flask, db) -> None:
    """Ending a request rolls its session back; when the server dropped the connection after
    the response was ready, that rollback fails with nothing left to undo. The response still
    goes out and the broken connection is discarded (it runs before Flask-SQLAlchemy's own
    teardown, which then finds no session)."""

    @app.teardown_appcontext
    def remove_session(exc):
        try:
            db.session.remove()
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            log.info("database connection lost after the response was ready: discarded")
            db.session.registry.clear()


class ReplayingFlask(Flask):
    """Flask that replays a request once when its database connection dropped before any
    COMMIT was attempted."""

    def handle_user_exception(self, e):
        state = _attempt.get()
        if state is not None and not state["committed"] and _disconnect(e):
            raise _Replay from e
        return super().handle_user_exception(e)

    def wsgi_app(self, environ, start_response):
        body = _read_body(environ)
        if body is None:
            return super().wsgi_app(environ, start_response)
        token = _attempt.set({"committed": False})
        # the same environ (not a copy): what the app notes in it (the route, for the request log
        # line and the metrics of the layer around this one) must reach that layer
        environ["wsgi.input"] = BytesIO(body)
        try:
            return super().wsgi_app(environ, start_response)
        except _Replay as replay:
            log.warning("database connection lost before commit (%s): replaying %s %s once",
                        type(replay.__cause__).__name__, environ.get("REQUEST_METHOD"),
                        environ.get("PATH_INFO"))
        finally:
            _attempt.reset(token)
        # the second attempt is not replayable: another disconnect answers as any error does
        environ["wsgi.input"] = BytesIO(body)
        return super().wsgi_app(environ, start_response)
