"""Delivering the outbox: at once after a change (in parallel, bounded wait) and by the worker."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor, wait

from flask import Flask, current_app

from . import outbox
from .senders import send

log = logging.getLogger(__name__)
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="delivery")


def _attempt(app: Flask, message_id: int, kind: str, target: str, payload: dict,
             school_id: int | None) -> str:
    with app.app_context():
        outcome, error = send(kind, target, payload, school_id)
        outbox.record(message_id, outcome, error)
        if outcome != "delivered":
            log.info("delivery %s to %s: %s (%s)", message_id, target, outcome, error)
        return outcome


def deliver(ids: list[int] | None = None, *, limit: int = 20, wait_seconds: float | None = None) -> int:
    """Claim due messages (or ``ids``), send them in parallel; wait at most ``wait_seconds``.

    Messages still in flight when the wait ends finish in the background; failures stay in
    the outbox for the worker's next round. Returns how many were claimed.
    """
    app = current_app._get_current_object()
    messages = outbox.claim(limit=limit, ids=ids)
    jobs = [(m.id, m.kind, m.target, dict(m.payload), m.school_id) for m in messages]
    futures = [_pool.submit(_attempt, app, *job) for job in jobs]
    if futures:
        wait(futures, timeout=wait_seconds)
    return len(jobs)


def run_worker(app: Flask, *, interval: float = 2.0, stop: threading.Event | None = None) -> None:
    """The ``idp worker`` loop: deliver what is due, sleep, repeat until ``stop`` is set."""
    stop = stop or threading.Event()
    while not stop.is_set():
        with app.app_context():
            try:
                claimed = deliver(limit=50, wait_seconds=app.config["DELIVERY_HTTP_TIMEOUT"] * 2)
            except Exception:  # the loop must survive a database hiccup; it is logged
                log.exception("delivery round failed")
                claimed = 0
        if not claimed:
            stop.wait(interval)


def start_background_worker(app: Flask, interval: float = 2.0) -> threading.Event:
    """A worker thread inside this process (the development server)."""
    stop = threading.Event()
    threading.Thread(target=run_worker, args=(app,), kwargs={"interval": interval, "stop": stop},
                     name="outbox-worker", daemon=True).start()
    return stop
