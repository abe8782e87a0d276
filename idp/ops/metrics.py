"""Prometheus metrics (prometheus-client), one set per process or, under a multi-process server,
aggregated over every worker through files in ``PROMETHEUS_MULTIPROC_DIR``.

Multi-process mode is chosen by prometheus-client when it is imported, from the environment:
the server (``idp serve``) must set ``PROMETHEUS_MULTIPROC_DIR`` and empty that directory
(:func:`prepare_multiprocess_dir`) before the workers start, and call
:func:`mark_process_dead` when a worker exits. Counters and histograms of exited workers keep
counting in the sum, as Prometheus expects of counters.

Names (all ``idp_``): ``http_requests_total{endpoint,method,status}``,
``http_request_duration_seconds{endpoint}`` (histogram), ``logins_total{method,outcome}``,
``tokens_issued_total{grant_type}``, ``outbox_deliveries_total{kind,outcome}``,
``purged_rows_total{table}``, and ``outbox_messages{school,status}`` (pending and failed
messages per school, counted in the database at each scrape; ``outbox_query_ok`` is 0 when
that count failed).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from flask import Flask
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)
disable_created_metrics()  # no *_created series: they double the series and nobody graphs them
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REQUESTS = Counter("idp_http_requests_total", "HTTP requests by endpoint, method and status",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("idp_http_request_duration_seconds",
                    "Time from the request reaching the IdP to its response, by endpoint",
                    ["endpoint"],
                    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
LOGINS = Counter("idp_logins_total", "Logins by method (password, idcard, smartid, email) and "
                 "outcome (success, failed, refused, no_account)", ["method", "outcome"])
TOKENS = Counter("idp_tokens_issued_total", "Tokens issued at /token by grant type",
                 ["grant_type"])
DELIVERIES = Counter("idp_outbox_deliveries_total",
                     "Outbox delivery attempts by kind and outcome (delivered, retry, final)",
                     ["kind", "outcome"])
PURGED = Counter("idp_purged_rows_total", "Rows deleted by the purge, by table", ["table"])

#: the audit events that are logins, and the outcome each records
LOGIN_EVENTS = {"login": "success", "login_failed": "failed", "login_refused": "refused",
                "eid_login_no_account": "no_account"}
#: amr values (RFC 8176 and ours) as metric labels
LOGIN_METHODS = {"pwd": "password", "idcard": "idcard", "smartid": "smartid", "email": "email"}
HTTP_METHODS = frozenset({"GET", "POST", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def prepare_multiprocess_dir(path: str | os.PathLike[str]) -> Path:
    """Empty (or create) the directory and make it this process's (and its children's):
    call in the server's master process before any worker starts or imports this module."""
    directory = Path(path)
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(directory)
    return directory


def mark_process_dead(pid: int) -> None:
    """A worker exited (gunicorn's ``child_exit`` hook): drop its live-gauge files."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)


def observe_request(endpoint: str, method: str, status: str, seconds: float) -> None:
    REQUESTS.labels(endpoint, method if method in HTTP_METHODS else "other", status).inc()
    LATENCY.labels(endpoint).observe(seconds)


def count_login_event(event: str, details: dict) -> None:
    """Count an audited login event (``idp.models.audit.audit`` calls this for every event)."""
    outcome = LOGIN_EVENTS.get(event)
    if outcome is not None:
        method = details.get("method", "pwd")
        LOGINS.labels(LOGIN_METHODS.get(method, "other"), outcome).inc()


def count_token(grant_type: str | None) -> None:
    TOKENS.labels(grant_type or "unknown").inc()


def count_delivery(kind: str, outcome: str) -> None:
    DELIVERIES.labels(kind, outcome).inc()


def record_purge(counts: dict[str, int]) -> None:
    """Rows the purge deleted in one run, by table (called by ``idp.purge``)."""
    for table, count in counts.items():
        if count:
            PURGED.labels(table).inc(count)


class OutboxCollector:
    """``idp_outbox_messages{school,status}``: pending and failed messages per school, one
    grouped count over the outbox's status index at each scrape."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self):
        import sqlalchemy as sa

        from ..extensions import db
        from ..models import OutboxMessage, School

        gauge = GaugeMetricFamily("idp_outbox_messages",
                                  "Outgoing messages not delivered yet (pending) or given up "
                                  "(failed), per school ('-': e-mail not tied to a school)",
                                  labels=["school", "status"])
        query = (sa.select(School.slug, OutboxMessage.status, sa.func.count())
                 .select_from(OutboxMessage).outerjoin(School, School.id == OutboxMessage.school_id)
                 .where(OutboxMessage.status.in_(("pending", "failed")))
                 .group_by(School.slug, OutboxMessage.status))
        up = GaugeMetricFamily("idp_outbox_query_ok",
                               "1 when the outbox could be counted at this scrape, 0 when the "
                               "database did not answer")
        try:
            with self.app.app_context():
                for slug, status, count in db.session.execute(query):
                    gauge.add_metric([slug or "-", status], count)
        except sa.exc.SQLAlchemyError as exc:
            log.warning("metrics: the outbox could not be counted (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield gauge


def render(app: Flask) -> bytes:
    """The exposition text: this process's metrics (or every worker's), then the outbox."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    outbox = CollectorRegistry(auto_describe=False)
    outbox.register(OutboxCollector(app))
    return text + generate_latest(outbox)


def enabled(app: Flask) -> bool:
    setting = app.config.get("METRICS_ENABLED")
    return app.config["ENV"] != "production" if setting is None else bool(setting)
