"""The request id: one per request, in every log line of it and in the ``X-Request-ID`` header.

An incoming ``X-Request-ID`` (set by the proxy in front, or by a school's Stuudium) is kept only
when it is a short token of safe characters; anything else is replaced, so a client cannot put
arbitrary text (or an injected log line) into our logs. The id travels into the delivery worker
on the outbox row (``OutboxMessage.request_id``).
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar

HEADER = "X-Request-ID"
ENVIRON_KEY = "HTTP_X_REQUEST_ID"
SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")

_current: ContextVar[str | None] = ContextVar("idp_request_id", default=None)


def current() -> str | None:
    """The id of the request (or delivery) this code runs for, or None."""
    return _current.get()


def new() -> str:
    return os.urandom(8).hex()


def accept(incoming: str | None) -> str:
    """The incoming id when it is safe (8-64 of ``A-Z a-z 0-9 . _ : -``), else a new one."""
    if incoming and SAFE.fullmatch(incoming):
        return incoming
    return new()


def bind(request_id: str | None):
    """Make ``request_id`` current; returns the token for :func:`unbind`."""
    return _current.set(request_id)


def unbind(token) -> None:
    _current.reset(token)
