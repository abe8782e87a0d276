"""Logging: JSON lines (production) or text, each line with the request id.

``configure(app)`` installs one handler on the root logger (once per process; a second app only
updates it). Under ENV=testing nothing is installed: pytest captures the records (and
``tests/log_secrets.py`` checks every one of them for personal codes, passwords and tokens).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import TextIO

from flask import Flask

from . import requestid

# attributes every LogRecord has: anything else on a record came from ``extra=`` and is kept
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime",
                                                                          "request_id"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def install_record_factory() -> None:
    """Every LogRecord, whichever handler writes it, gets ``request_id`` (``-`` outside a
    request) when it is made: the request's thread or context is the one logging."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "_idp_request_id", False):
        return

    def make_record(*args, **kwargs) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        record.request_id = requestid.current() or "-"
        return record

    make_record._idp_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, request_id, extra fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id and request_id != "-":
            out["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def log_format(config) -> str:
    return config.get("LOG_FORMAT") or ("json" if config["ENV"] == "production" else "text")


def make_handler(fmt: str, stream: TextIO | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler._idp_handler = True  # type: ignore[attr-defined]
    return handler


def configure(app: Flask, stream: TextIO | None = None) -> logging.Handler | None:
    """Install (or replace) the process's log handler from ``LOG_FORMAT`` and ``LOG_LEVEL``."""
    install_record_factory()
    if app.config["ENV"] == "testing" and stream is None:
        return None
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_idp_handler", False)]:
        root.removeHandler(old)
    handler = make_handler(log_format(app.config), stream)
    root.addHandler(handler)
    root.setLevel(str(app.config["LOG_LEVEL"]).upper())
    return handler
