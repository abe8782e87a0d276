"""Logging out everywhere: end SSO sessions, then tell every school that took part.

Back-channel logout tokens go through the outbox (written in the same transaction as the
session's end, so none is lost when a school is down); front-channel URIs are returned for the
logout page to render as iframes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..delivery.outbox import enqueue
from ..extensions import db
from ..models import SessionParticipant, SSOSession
from ..oauth.backchannel import frontchannel_uri
from ..sessions import end_session


@dataclass
class LogoutFanOut:
    message_ids: list[int] = field(default_factory=list)
    frontchannel_uris: list[str] = field(default_factory=list)


def queue_logout(school, *, sub: str, sid: str | None):
    """Queue a Back-Channel Logout for ``sub`` (and ``sid``) at ``school``, if it takes them.

    Only ``sub`` and ``sid`` are stored: the token is signed when it is sent, with a fresh
    ``exp`` at every attempt (caller commits).
    """
    if not school.backchannel_logout_uri:
        return None
    message = enqueue("backchannel_logout", school.backchannel_logout_uri,
                      {"sub": sub, "sid": sid}, school_id=school.id)
    db.session.flush()
    return message


def notify_participants(sso: SSOSession, fan_out: LogoutFanOut,
                        school_ids: set[int] | None = None) -> None:
    """Queue a logout token for each school that received tokens in ``sso`` (caller commits)."""
    participants = db.session.scalars(
        db.select(SessionParticipant).where(SessionParticipant.session_id == sso.id))
    for participant in participants:
        school = participant.school
        if school_ids is not None and school.id not in school_ids:
            continue
        message = queue_logout(school, sub=participant.account.sub, sid=sso.sid)
        if message is not None:
            fan_out.message_ids.append(message.id)
        if school.frontchannel_logout_uri:
            fan_out.frontchannel_uris.append(frontchannel_uri(school, sso.sid))


def logout_sessions(sessions: list[SSOSession], *, reason: str, commit: bool = True) -> LogoutFanOut:
    """End ``sessions`` and queue the schools' notifications (commits unless told not to)."""
    fan_out = LogoutFanOut()
    for sso in sessions:
        if sso.ended_at is None:
            end_session(sso, reason=reason)
            notify_participants(sso, fan_out)
    if commit:
        db.session.commit()
    return fan_out


def live_sessions_of(person_id: int) -> list[SSOSession]:
    return list(db.session.scalars(db.select(SSOSession).where(
        SSOSession.person_id == person_id, SSOSession.ended_at.is_(None))))
