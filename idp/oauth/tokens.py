"""Bearer access tokens (RFC 6750) and revocation (RFC 7009)."""

from __future__ import annotations

from authlib.oauth2.rfc6749.errors import UnsupportedTokenTypeError
from authlib.oauth2.rfc6750 import BearerTokenValidator as _BearerTokenValidator
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc7009 import RevocationEndpoint as _RevocationEndpoint
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Account, Person, SSOSession, Token
from ..models.grant import token_digest
from .grants import revoke_tokens


class BearerTokenValidator(_BearerTokenValidator):
    def authenticate_token(self, token_string):
        # one statement: the token, its session, and its account with what userinfo tells
        row = db.session.execute(
            db.select(Token, SSOSession)
            .outerjoin(SSOSession, SSOSession.id == Token.session_id)
            .where(Token.access_token_digest == token_digest(token_string))
            .options(joinedload(Token.account).joinedload(Account.person).joinedload(Person.accounts))
        ).unique().first()
        if row is None:
            return None
        token, session = row
        if token.session_id is not None and (session is None or session.ended_at is not None):
            return None
        return token

    def validate_token(self, token, scopes, request):
        super().validate_token(token, scopes, request)
        if token.account is not None and not token.account.active:
            raise InvalidTokenError(realm=self.realm, extra_attributes=self.extra_attributes)


class RevocationEndpoint(_RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def check_params(self, request, client):
        try:
            super().check_params(request, client)
        except UnsupportedTokenTypeError as error:
            # RFC 7009 2.2.1: an RFC 6749 5.2 error, so 400 (Authlib says 401, without the
            # WWW-Authenticate that a 401 requires)
            error.status_code = 400
            raise

    def query_token(self, token_string, token_type_hint):
        digest = token_digest(token_string)
        # RFC 7009 2.1: the hint is only a hint; look in both places
        return db.session.scalar(
            db.select(Token).where(
                (Token.access_token_digest == digest) | (Token.refresh_token_digest == digest)
            )
        )

    def revoke_token(self, token, request):
        if token.refresh_token_digest == token_digest(request.form["token"]):
            # RFC 7009 2.1: revoking a refresh token also ends the grant's access tokens
            revoke_tokens(Token.family_id == token.family_id)
        else:
            revoke_tokens(Token.id == token.id)
        db.session.commit()
