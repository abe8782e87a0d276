"""RFC 7636 PKCE, S256 only, required for every client.

Authlib's ``CodeChallenge`` accepts ``plain`` and defaults a missing method to ``plain``;
it enforces a verifier only for public clients. Our schools are confidential clients and
still MUST use PKCE (RFC 9700 2.1.1), so this subclass tightens all three rules.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge


class S256CodeChallenge(CodeChallenge):
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def __init__(self) -> None:
        super().__init__(required=True)

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        # RFC 9700 2.1.1: PKCE is required for every client, confidential ones included
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE with S256 is required.")
        # RFC 7636 4.3: a missing method means plain, which we do not accept
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be 'S256'.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant, result):
        # RFC 7636 4.5: the verifier is required whenever a challenge was stored (always); without
        # it the code cannot be verified, so the grant is refused like a wrong one (RFC 7636 4.6)
        if not grant.request.form.get("code_verifier"):
            raise InvalidGrantError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)

    def get_authorization_code_challenge(self, authorization_code):
        return authorization_code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code):
        return authorization_code.code_challenge_method
