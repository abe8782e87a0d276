"""Grants: persistence hooks for Authlib's authorization-code and refresh-token grants."""

from __future__ import annotations

import datetime as dt
import secrets

from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidScopeError
from authlib.oauth2.rfc6749.util import scope_to_list
from flask import current_app, g
from sqlalchemy import update
from sqlalchemy.orm import aliased, joinedload

from ..extensions import db
from ..models import Account, AuthorizationCode, Person, SSOSession, Token
from ..models._types import utcnow
from ..models.audit import audit
from ..models.grant import token_digest
from ..sessions import record_participant


def _seconds(key: str) -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config[key])


def revoke_tokens(*conditions) -> int:
    """Revoke every live token matching ``conditions`` (in the caller's transaction)."""
    result = db.session.execute(
        update(Token).where(Token.revoked_at.is_(None), *conditions).values(revoked_at=utcnow())
    )
    return result.rowcount or 0


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, request):
        sso: SSOSession = g.sso_session
        now = utcnow()
        item = AuthorizationCode(
            code_digest=token_digest(code),
            school_id=request.client.id,
            account_id=request.user.id,
            session_id=sso.id,
            sid=sso.sid,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            nonce=request.payload.data.get("nonce"),
            code_challenge=request.payload.data["code_challenge"],
            code_challenge_method=request.payload.data["code_challenge_method"],
            auth_time=sso.auth_time,
            amr=sso.amr,
            acr=sso.acr,
            expires_at=now + _seconds("AUTHORIZATION_CODE_LIFETIME"),
        )
        db.session.add(item)
        db.session.commit()

    def validate_token_request(self):
        try:
            super().validate_token_request()
        except OAuth2Error:
            # a claimed code stays used even when the request fails later (a wrong verifier or
            # redirect_uri): it is burnt, not handed back for another try
            if self.request.authorization_code is not None:
                db.session.commit()
            raise

    def query_authorization_code(self, code, client):
        """Claim the code: one UPDATE … RETURNING marks it used and reads it, so of two
        concurrent exchanges exactly one gets it (the other's UPDATE matches no row). The claim
        is committed with the tokens it issues (``save_token``), or alone on failure."""
        digest = token_digest(code)
        item = db.session.execute(
            update(AuthorizationCode)
            # RFC 6749 4.1.3: the code must have been issued to this (authenticated) client
            .where(AuthorizationCode.code_digest == digest, AuthorizationCode.school_id == client.id,
                   AuthorizationCode.used_at.is_(None))
            .values(used_at=utcnow())
            .returning(AuthorizationCode)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if item is None:
            reused_code(digest, client)
            return None
        self.request.authorization_code = item  # claimed: see validate_token_request
        if item.expires_at <= utcnow():
            return None
        return item

    def delete_authorization_code(self, authorization_code):
        # Already marked used in query_authorization_code; kept for reuse detection.
        pass

    def authenticate_user(self, authorization_code):
        # the account with what the ID token tells (person, linked accounts), and the session
        row = db.session.execute(
            db.select(Account, SSOSession)
            .outerjoin(SSOSession, SSOSession.id == authorization_code.session_id)
            .where(Account.id == authorization_code.account_id)
            .options(joinedload(Account.person).joinedload(Person.accounts))
        ).unique().first()
        if row is None:
            return None
        account, session = row
        if not account.active or session is None or session.ended_at:
            return None
        return account


def reused_code(digest: str, client) -> None:
    """RFC 6749 4.1.2 / 10.5: a reused code is refused and what it issued is revoked (the whole
    refresh family, rotated descendants included; the code's own tokens are of those families:
    no OR, which no index serves)."""
    used = db.session.execute(db.select(AuthorizationCode.id).where(
        AuthorizationCode.code_digest == digest, AuthorizationCode.school_id == client.id,
        AuthorizationCode.used_at.is_not(None))).scalar_one_or_none()
    if used is None:
        return
    families = db.select(Token.family_id).where(Token.code_id == used)
    count = revoke_tokens(Token.family_id.in_(families))
    audit("code_reused", school_id=client.id, revoked_tokens=count)
    db.session.commit()


def _granted_scope():
    """The scope the person granted: that of the family's first token (issued for the code).
    A refresh with a narrower scope limits only the access token it issues (RFC 6749 6).
    (A scalar subquery, read with the refresh token.)"""
    first = aliased(Token)
    return (db.select(first.scope)
            .where(first.family_id == Token.family_id, first.code_id.is_not(None))
            .limit(1).correlate(Token).scalar_subquery())


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotate on every use
    granted_scope = ""

    def authenticate_refresh_token(self, refresh_token):
        # one statement: the token, its account (with what an ID token tells), its session and
        # the scope originally granted
        row = db.session.execute(
            db.select(Token, SSOSession, _granted_scope())
            .outerjoin(SSOSession, SSOSession.id == Token.session_id)
            .where(Token.refresh_token_digest == token_digest(refresh_token))
            .options(joinedload(Token.account).joinedload(Account.person).joinedload(Person.accounts))
        ).unique().first()
        if row is None or row[0].school_id != self.request.client.id:
            return None
        item, session, granted = row
        self.granted_scope = granted if granted is not None else item.scope
        if item.rotated_at is not None:
            # RFC 9700 4.14.2: a rotated refresh token came back: revoke the whole family
            count = revoke_tokens(Token.family_id == item.family_id)
            audit("refresh_token_reused", school_id=item.school_id, revoked_tokens=count)
            db.session.commit()
            return None
        if item.revoked_at or (item.refresh_expires_at and item.refresh_expires_at <= utcnow()):
            return None
        # RFC 6749 5.2: a refresh token of a disabled account is an invalid grant
        if item.account is None or not item.account.active:
            return None
        if item.session_id:
            # the session ends at its absolute limit even if the browser never comes back
            if session is None or session.ended_at or session.expires_at <= utcnow():
                return None
        return item

    def _validate_token_scope(self, token):
        # RFC 6749 6: compared with the scope originally granted, not with a narrowed token's
        requested = set(scope_to_list(self.request.payload.scope or ""))
        if requested and not requested <= set(scope_to_list(self.granted_scope)):
            raise InvalidScopeError()

    def issue_token(self, user, refresh_token):
        # RFC 6749 6: an omitted scope "is treated as equal to the scope originally granted"
        scope = self.request.payload.scope or self.granted_scope
        return self.generate_token(user=user, scope=scope, include_refresh_token=True)

    def authenticate_user(self, refresh_token):
        account = refresh_token.account
        return account if account is not None and account.active else None

    def revoke_old_credential(self, refresh_token):
        # Done atomically with issuing the new token, in save_token.
        pass


def save_token(token: dict, request) -> None:
    """Store digests of a newly issued token (``OAUTH2`` ``save_token`` callback)."""
    now = utcnow()
    code: AuthorizationCode | None = getattr(request, "authorization_code", None)
    parent: Token | None = getattr(request, "refresh_token", None)
    item = Token(
        access_token_digest=token_digest(token["access_token"]),
        refresh_token_digest=token_digest(token["refresh_token"]) if token.get("refresh_token") else None,
        school_id=request.client.id,
        account_id=request.user.id if request.user is not None else None,
        scope=token.get("scope", ""),
        issued_at=now,
        access_expires_at=now + dt.timedelta(seconds=token["expires_in"]),
    )
    if token.get("refresh_token"):
        item.refresh_expires_at = now + _seconds("REFRESH_TOKEN_LIFETIME")
    if code is not None:
        item.code_id, item.session_id = code.id, code.session_id
        item.amr, item.acr, item.auth_time = code.amr, code.acr, code.auth_time
        item.family_id = secrets.token_hex(16)
        record_participant(code.session_id, request.client.id, code.account_id)
    elif parent is not None:
        # Rotate: claim the old refresh token atomically; a concurrent use of it loses.
        claimed = db.session.execute(
            update(Token).where(Token.id == parent.id, Token.rotated_at.is_(None))
            .values(rotated_at=now, revoked_at=now)
        ).rowcount
        if not claimed:
            db.session.rollback()
            raise InvalidGrantError("The refresh token has already been used.")
        item.session_id, item.family_id = parent.session_id, parent.family_id
        item.amr, item.acr, item.auth_time = parent.amr, parent.acr, parent.auth_time
    else:
        item.family_id = secrets.token_hex(16)
    db.session.add(item)
    db.session.commit()
