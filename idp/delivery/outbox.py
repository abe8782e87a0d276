"""Writing to the outbox, and claiming due messages for delivery.

Claiming is safe with several workers: rows are selected ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL and leased by moving ``next_attempt_at`` forward before the lock is released, so a
second worker skips them; a crashed worker's lease simply runs out.
"""

from __future__ import annotations

import datetime as dt
import random

from flask import current_app

from ..extensions import db
from ..models import OutboxMessage
from ..models._types import utcnow
from ..ops import requestid

LEASE = dt.timedelta(seconds=60)


def enqueue(kind: str, target: str, payload: dict, *, school_id: int | None = None) -> OutboxMessage:
    """Add a message to the current transaction: it exists exactly when the change commits."""
    message = OutboxMessage(kind=kind, target=target, payload=payload, school_id=school_id,
                            next_attempt_at=utcnow(), request_id=requestid.current())
    db.session.add(message)
    return message


def claim(limit: int = 20, ids: list[int] | None = None) -> list[OutboxMessage]:
    """Lease up to ``limit`` due messages (or exactly ``ids`` if still pending); commits."""
    now = utcnow()
    query = db.select(OutboxMessage).where(OutboxMessage.status == "pending")
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    else:
        query = query.where(OutboxMessage.next_attempt_at <= now)
    query = query.order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)
    messages = list(db.session.scalars(query))
    for message in messages:
        message.next_attempt_at = now + LEASE
    db.session.commit()
    return messages


def backoff(attempts: int) -> dt.timedelta:
    cfg = current_app.config
    base = cfg["DELIVERY_RETRY_BASE"] * 2 ** min(attempts - 1, 16)
    return dt.timedelta(seconds=min(base, cfg["DELIVERY_RETRY_MAX"]) * random.uniform(0.8, 1.2))


def record(message_id: int, outcome: str, error: str | None = None) -> OutboxMessage | None:
    """Store the result of one attempt: ``delivered``, ``final`` (4xx) or ``retry``; commits."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status != "pending":
        return message
    now = utcnow()
    message.attempts += 1
    message.last_error = error
    if outcome == "delivered":
        message.status, message.delivered_at = "delivered", now
        if message.kind == "email":
            message.payload = delivered_mail_record(message.payload)
    elif outcome == "final":
        message.status = "failed"
    else:
        give_up = message.created_at + dt.timedelta(seconds=current_app.config["DELIVERY_GIVE_UP_AFTER"])
        if now >= give_up:
            message.status = "failed"
        else:
            message.next_attempt_at = now + backoff(message.attempts)
    db.session.commit()
    return message


def delivered_mail_record(payload: dict) -> dict:
    """What stays of a delivered e-mail: its subject and language, not the body, whose links
    (set-password, confirmation) must not outlive the message in the database."""
    return {"subject": payload.get("subject"), "lang": payload.get("lang"), "body_removed": True}


def retry(message: OutboxMessage) -> None:
    """An operator asks for another try of a failed (or pending) message now (caller commits)."""
    message.status = "pending"
    message.next_attempt_at = utcnow()
