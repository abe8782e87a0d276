"""SQLAlchemy models. Only persistence here: no request or session globals."""

from .account import Account, Guardianship, ROLES
from .audit import AuditEvent
from .grant import AuthorizationCode, Token
from .outbox import OutboxMessage
from .person import Person
from .school import School
from .session import LoginThrottle, SessionParticipant, SSOSession

__all__ = [
    "Account", "AuditEvent", "AuthorizationCode", "Guardianship", "LoginThrottle", "OutboxMessage", "Person",
    "ROLES", "School", "SessionParticipant", "SSOSession", "Token",
]
