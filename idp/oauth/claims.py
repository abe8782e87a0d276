"""Scope → claims: what a school learns about the person behind one of its accounts."""

from __future__ import annotations

from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oidc.core import UserInfo

from ..models import Account
from .client_cache import school_by_id

#: OIDC Core 5.4 standard scopes plus ours (``roles``, ``schools``)
SCOPE_CLAIMS = {
    "profile": ("name", "given_name", "family_name", "birthdate", "locale"),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "roles": ("roles",),
    "schools": ("schools",),
}
CLAIMS_SUPPORTED = ("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid",
                    "at_hash", *[c for claims in SCOPE_CLAIMS.values() for c in claims])


def linked_schools(account: Account) -> list[dict]:
    """Every school where the account's person has an active account (this one first)."""
    others = [a for a in account.person.accounts if a.id != account.id and a.active]
    schools = [school_by_id(a.school_id) for a in [account, *others]]
    return [s.to_public_dict() for s in schools if s is not None]


def account_claims(account: Account) -> dict:
    person = account.person
    return {
        "sub": account.sub,
        "name": person.name,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "birthdate": person.birthdate.isoformat() if person.birthdate else None,
        "email": person.email,
        "email_verified": bool(person.email and person.email_verified),
        # typed by the person or the school, never confirmed by a code sent to it
        "phone_number": person.phone,
        "phone_number_verified": False if person.phone else None,
        "roles": sorted(account.roles or []),
        "schools": linked_schools(account),
    }


def user_info(account: Account, scope: str) -> UserInfo:
    """The claims released for ``scope`` (OIDC Core 5.3.2); absent values are left out."""
    all_claims = account_claims(account)
    released = {"sub": all_claims["sub"]}
    for s in scope_to_list(scope or ""):
        for claim in SCOPE_CLAIMS.get(s, ()):
            if all_claims.get(claim) is not None:
                released[claim] = all_claims[claim]
    return UserInfo(released)
