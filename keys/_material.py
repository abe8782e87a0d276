"""Generating key material and (de)serialising it as encrypted PKCS#8 PEM."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    PrivateFormat,
    load_pem_private_key,
)
from joserfc.jwk import ECKey, KeyParameters, RSAKey

from .errors import CorruptKeyStore, KeyDecryptionError, UnsupportedAlgorithm
from .jwks import SigningJWK, jwk_matches_alg, jwk_thumbprint

__all__ = ["RSA_KEY_SIZES", "decrypt_pem", "encrypt_pem", "generate_key"]

#: RSA modulus sizes accepted for RS256 keys.
RSA_KEY_SIZES: tuple[int, ...] = (2048, 3072)


def generate_key(alg: str, rsa_key_size: int = 2048) -> SigningJWK:
    """Generate a fresh private key for ``alg`` (RS256: RSA, ES256: P-256)."""
    if alg == "RS256":
        if rsa_key_size not in RSA_KEY_SIZES:
            raise UnsupportedAlgorithm(f"RSA key size must be one of {RSA_KEY_SIZES}, not {rsa_key_size}")
        return RSAKey.generate_key(rsa_key_size, private=True)
    if alg == "ES256":
        return ECKey.generate_key("P-256", private=True)
    raise UnsupportedAlgorithm(f"unsupported key algorithm {alg!r}; use RS256 or ES256")


def encrypt_pem(key: SigningJWK, passphrase: bytes) -> bytes:
    """PKCS#8 PEM of the private key, encrypted with ``passphrase``."""
    private = key.private_key
    if private is None:
        raise ValueError("a public key cannot be stored as a signing key")
    return private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(passphrase))


def decrypt_pem(pem: bytes, passphrase: bytes, *, kid: str, alg: str, source: str) -> SigningJWK:
    """Decrypt a PEM written by :func:`encrypt_pem` into a joserfc key carrying kid/alg/use.

    ``source`` names the file in error messages. The key must match ``kid``
    (its RFC 7638 thumbprint) and ``alg``, so a swapped file is detected.
    """
    try:
        native = load_pem_private_key(pem, password=passphrase)
    except ValueError:
        raise KeyDecryptionError(
            f"cannot decrypt the private key {source}: the key passphrase is wrong (or the file is damaged); "
            "start the IdP with the passphrase the keys were generated with"
        ) from None
    except TypeError:
        raise CorruptKeyStore(
            f"the private key {source} is not encrypted; it must be an encrypted PKCS#8 PEM, "
            "remove it and generate a new key"
        ) from None
    params: KeyParameters = {"kid": kid, "alg": alg, "use": "sig"}
    key: SigningJWK
    if isinstance(native, RSAPrivateKey):
        key = RSAKey.import_key(native, parameters=params)
    elif isinstance(native, EllipticCurvePrivateKey):
        key = ECKey.import_key(native, parameters=params)
    else:
        raise CorruptKeyStore(f"the private key {source} is neither an RSA nor an EC key")
    if not jwk_matches_alg(key.as_dict(), alg) or jwk_thumbprint(key) != kid:
        raise CorruptKeyStore(f"the private key {source} does not match its record (kid {kid}, {alg}); restore it from backup")
    return key
