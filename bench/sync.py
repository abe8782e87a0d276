"""Profile-sync events (RFC 8935 push of security event tokens) delivered per second by
``idp worker`` to a school's receiver on loopback that answers 202 Accepted."""

from __future__ import annotations

import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import sqlalchemy as sa

from .ours import BIN, PROJECT, Ours
from .report import Measurement


class _Accept(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    received = 0

    def do_POST(self):  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).received += 1
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def queue_events(ours: Ours, events_uri: str, count: int) -> int:
    """Point the benchmark's school at ``events_uri`` and queue one event for each of up to
    ``count`` of its accounts."""
    from idp.extensions import db
    from idp.models import Account, School
    from idp.services import profile_sync

    app = ours.app()
    with app.app_context():
        school = db.session.scalar(db.select(School).where(School.slug == "bench"))
        school.events_uri = events_uri
        ids = db.session.scalars(db.select(Account.id).where(Account.school_id == school.id)
                                 .order_by(Account.id).limit(count)).all()
        queued = profile_sync.queue_accounts(ids)
        db.session.commit()
        db.engine.dispose()
    return queued


def measure(ours: Ours, count: int, timeout: float) -> Measurement:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Accept)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Accept.received = 0
    engine = sa.create_engine(ours.database_url)
    worker = ours.procs.start("ours-worker", [str(BIN / "idp"), "worker"],
                              # deliveries only: the purge of the loaded history is not timed here
                              env={**os.environ, **ours.settings(), "IDP_PURGE_INTERVAL": "0"},
                              cwd=PROJECT)
    try:
        time.sleep(5)  # the worker's start-up is not delivery; it then polls the outbox
        queued = queue_events(ours, f"http://127.0.0.1:{server.server_port}/oidc/events", count)
        t0 = time.perf_counter()
        pending = queued
        try:
            while pending and time.perf_counter() - t0 < timeout:
                time.sleep(0.2)
                with engine.connect() as conn:
                    pending = conn.scalar(sa.text(
                        "SELECT count(*) FROM outbox_message WHERE status = 'pending'"))
            elapsed = time.perf_counter() - t0
        finally:
            ours.procs.stop(worker)
        delivered = queued - pending
        return Measurement(rate=delivered / elapsed, ok=delivered, errors=pending, seconds=elapsed,
                           note=f"{delivered} of {queued} events delivered in {elapsed:.1f} s "
                                f"(receiver counted {_Accept.received}) by one idp worker process")
    finally:
        engine.dispose()
        server.shutdown()
        server.server_close()
