"""Public JWK export helpers: RFC 7638 thumbprints and private-member stripping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from joserfc.jwk import ECKey, KeySet, RSAKey
from joserfc.jwk import thumbprint as _rfc7638_thumbprint

__all__ = [
    "PRIVATE_MEMBERS",
    "SigningJWK",
    "jwk_matches_alg",
    "jwk_thumbprint",
    "key_set",
    "public_jwk",
]

#: A joserfc key type the store can sign with.
SigningJWK = RSAKey | ECKey

#: JWK members that carry private key material (RFC 7518 §6.2.2, §6.3.2, §6.4).
PRIVATE_MEMBERS: frozenset[str] = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})

# RFC 7638 §3.2: the required members of each key type, the only ones hashed.
_THUMBPRINT_MEMBERS: dict[str, tuple[str, ...]] = {
    "RSA": ("e", "kty", "n"),
    "EC": ("crv", "kty", "x", "y"),
}


def jwk_thumbprint(jwk: Mapping[str, Any] | SigningJWK) -> str:
    """RFC 7638 JWK thumbprint (base64url of SHA-256) of an RSA or EC key.

    Only the required public members are hashed, so the result is the same for
    the private and the public form of a key and ignores ``kid``/``alg``/``use``.
    """
    data: Mapping[str, Any] = jwk.as_dict(private=False) if isinstance(jwk, (RSAKey, ECKey)) else jwk
    kty = data.get("kty")
    if not isinstance(kty, str) or kty not in _THUMBPRINT_MEMBERS:
        raise ValueError(f"cannot compute a thumbprint for key type {kty!r}")
    try:
        members = {name: data[name] for name in _THUMBPRINT_MEMBERS[kty]}
    except KeyError as missing:
        raise ValueError(f"{kty} JWK lacks the required member {missing}") from None
    return _rfc7638_thumbprint(members)


def jwk_matches_alg(jwk: Mapping[str, Any], alg: str) -> bool:
    """Whether a JWK's key type (and curve) fits the JWS algorithm ``alg``."""
    if alg == "RS256":
        return jwk.get("kty") == "RSA"
    if alg == "ES256":
        return jwk.get("kty") == "EC" and jwk.get("crv") == "P-256"
    return False


def public_jwk(key: SigningJWK | Mapping[str, Any], *, kid: str, alg: str) -> dict[str, str]:
    """The public JWK of ``key`` with ``kid``, ``alg`` and ``use="sig"`` set.

    Private members are dropped, whether ``key`` is a joserfc key or a dict.
    """
    data: Mapping[str, Any] = key.as_dict(private=False) if isinstance(key, (RSAKey, ECKey)) else key
    public = {name: str(value) for name, value in data.items() if name not in PRIVATE_MEMBERS}
    public.update(kid=kid, alg=alg, use="sig")
    return public


def key_set(public_jwks: Iterable[Mapping[str, str]]) -> KeySet:
    """A joserfc :class:`KeySet` of public keys (for verifying signatures)."""
    keys: list[RSAKey | ECKey] = []
    for jwk in public_jwks:
        cls = RSAKey if jwk.get("kty") == "RSA" else ECKey
        keys.append(cls.import_key(dict(jwk)))
    return KeySet(list(keys))
