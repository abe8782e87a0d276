"""Applying a confirmed import in the background, so that its page can show the progress.

The page polls the ``roster_import`` row, which each chunk's transaction updates (see
``apply.py``). A run that stops (the process restarted) shows as interrupted; importing the
file again finishes it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from flask import Flask
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import RosterImport
from ..models._types import utcnow
from .apply import apply
from .plan import Plan

log = logging.getLogger(__name__)
#: a run whose progress has not moved for this long is taken to have stopped
STALLED_AFTER = dt.timedelta(minutes=10)
_threads: dict[str, threading.Thread] = {}


def start(app: Flask, item: RosterImport, plan: Plan) -> None:
    thread = threading.Thread(target=run, args=(app, item.id, item.actor, plan),
                              name=f"roster-import-{item.id}", daemon=True)
    _threads[item.token] = thread
    thread.start()


def wait(token: str, timeout: float = 60) -> None:
    """Wait for the run of import ``token`` (tests, and a clean shutdown)."""
    thread = _threads.pop(token, None)
    if thread is not None:
        thread.join(timeout)


def wait_all(timeout: float = 60) -> None:
    """Wait for every run started in this process (a clean shutdown, tests)."""
    for token in list(_threads):
        wait(token, timeout)


def run(app: Flask, import_id: int, actor: str, plan: Plan) -> None:
    with app.app_context():
        def progress(done: int, total: int) -> None:
            db.session.execute(update(RosterImport).where(RosterImport.id == import_id)
                               .values(progress_done=done, progress_total=total,
                                       progress_at=utcnow()))
        try:
            result, status = apply(plan, actor=actor, via="import", progress=progress), "done"
        # the thread's last word: whatever failed is recorded for the page and logged
        except Exception as exc:  # noqa: BLE001
            log.exception("roster import %s failed", import_id)
            db.session.rollback()
            result = {"error": exc.__class__.__name__}
            status = "failed"
        try:
            db.session.execute(update(RosterImport).where(RosterImport.id == import_id).values(
                status=status, result=result, content=None, finished_at=utcnow()))
            db.session.commit()
        except SQLAlchemyError:
            log.exception("roster import %s: could not record the result", import_id)
        finally:
            db.session.remove()


def stalled(item: RosterImport) -> bool:
    last = item.progress_at or item.started_at
    return item.status == "running" and last is not None and utcnow() - last > STALLED_AFTER
