"""SQLAlchemy models. Only persistence here: no request or session globals."""

from .account import ROLES, Account, Guardianship
from .account_request import AccountRequest, AccountRequestMail
from .audit import AuditEvent
from .eid import EidVerifiedIdentity, EmailConfirmation, PasswordException, SmartIdPending, WebEidChallenge
from .grant import AuthorizationCode, Token
from .link import LinkFlow, PersonMerge
from .outbox import OutboxMessage
from .person import Person
from .recovery import RecoveryToken
from .roster import RosterImport
from .school import School
from .session import LoginThrottle, SessionParticipant, SSOSession

__all__ = [
    "Account", "AuditEvent", "AuthorizationCode", "Guardianship", "LinkFlow", "LoginThrottle", "OutboxMessage", "Person",
    "EidVerifiedIdentity", "EmailConfirmation", "PasswordException", "SmartIdPending",
    "WebEidChallenge",
    "PersonMerge", "ROLES", "AccountRequest", "AccountRequestMail", "RecoveryToken", "RosterImport", "School", "SessionParticipant", "SSOSession", "Token",
]
