"""Delivering the outbox: at once after a change (in parallel, bounded wait) and by the worker."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait

from flask import Flask, current_app

from ..ops import requestid
from ..ops.metrics import count_delivery
from ..purge import purge
from . import outbox
from .senders import send

log = logging.getLogger(__name__)
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="delivery")
_in_flight: set[Future] = set()
_in_flight_lock = threading.Lock()


def _attempt(app: Flask, message_id: int, kind: str, target: str, payload: dict,
             school_id: int | None, request_id: str | None) -> str:
    token = requestid.bind(request_id)  # log lines of this send carry the queuing request's id
    try:
        with app.app_context():
            outcome, error = send(kind, target, payload, school_id)
            outbox.record(message_id, outcome, error)
        count_delivery(kind, outcome)
        # an e-mail's target is a person's address: it stays out of the log
        where = "a mailbox" if kind == "email" else target
        log.info("delivery %s (%s) to %s: %s%s", message_id, kind, where, outcome,
                 f" ({error})" if error else "",
                 extra={"outbox_id": message_id, "kind": kind, "school_id": school_id,
                        "outcome": outcome})
        return outcome
    finally:
        requestid.unbind(token)


def deliver(ids: list[int] | None = None, *, limit: int = 20, wait_seconds: float | None = None) -> int:
    """Claim due messages (or ``ids``), send them in parallel; wait at most ``wait_seconds``.

    Messages still in flight when the wait ends finish in the background; failures stay in
    the outbox for the worker's next round. Returns how many were claimed.
    """
    app = current_app._get_current_object()
    messages = outbox.claim(limit=limit, ids=ids)
    jobs = [(m.id, m.kind, m.target, dict(m.payload), m.school_id, m.request_id) for m in messages]
    futures = [_pool.submit(_attempt, app, *job) for job in jobs]
    with _in_flight_lock:
        _in_flight.update(futures)
    for future in futures:
        future.add_done_callback(_forget)
    if futures:
        wait(futures, timeout=wait_seconds)
    return len(jobs)


def _forget(future: Future) -> None:
    with _in_flight_lock:
        _in_flight.discard(future)


def drain(timeout: float | None = None) -> bool:
    """Wait for the sends still in flight (a clean shutdown); True when none is left."""
    with _in_flight_lock:
        pending = set(_in_flight)
    _done, not_done = wait(pending, timeout=timeout)
    return not not_done


def run_worker(app: Flask, *, interval: float = 2.0, stop: threading.Event | None = None) -> None:
    """The ``idp worker`` loop: deliver what is due, sleep, repeat until ``stop`` is set; every
    ``PURGE_INTERVAL`` seconds also purge what has ended (``idp.purge``)."""
    stop = stop or threading.Event()
    next_purge = time.monotonic()
    while not stop.is_set():
        if app.config["PURGE_INTERVAL"] and time.monotonic() >= next_purge:
            next_purge = time.monotonic() + app.config["PURGE_INTERVAL"]
            run_purge(app)
        with app.app_context():
            try:
                claimed = deliver(limit=50, wait_seconds=app.config["DELIVERY_HTTP_TIMEOUT"] * 2)
            except Exception:  # the loop must survive a database hiccup; it is logged
                log.exception("delivery round failed")
                claimed = 0
        if not claimed:
            stop.wait(interval)


def run_purge(app: Flask):
    """One purge round within ``PURGE_TIME_BUDGET``; returns its report (None if it failed)."""
    with app.app_context():
        try:
            report = purge()
        except Exception:  # like a delivery round: logged, and tried again next time
            log.exception("purge round failed")
            return None
        if report.total:
            log.info("purged %s rows: %s", report.total,
                     {table: n for table, n in report.counts.items() if n})
        return report


class BackgroundWorker:
    """The worker loop in a thread of this process (the development server, tests)."""

    def __init__(self, app: Flask, interval: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=run_worker, args=(app,),
                                        kwargs={"interval": interval, "stop": self._stop},
                                        name="outbox-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the loop, then wait for its round and the sends in flight to finish."""
        self._stop.set()
        self._thread.join(timeout)
        drain(timeout)


def start_background_worker(app: Flask, interval: float = 2.0) -> BackgroundWorker:
    return BackgroundWorker(app, interval)
