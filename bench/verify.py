"""schools_client's ID-token verification against raw RS256 verification (cryptography), both
on one core in this process, interleaved in short slices so that machine noise hits both."""

from __future__ import annotations

import base64
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .report import Measurement


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def raw_verifier(token: str, jwks: dict):
    """A function doing exactly one RS256 signature check of ``token`` with cryptography."""
    key = jwks["keys"][0]
    public = rsa.RSAPublicNumbers(int.from_bytes(_b64(key["e"]), "big"),
                                  int.from_bytes(_b64(key["n"]), "big")).public_key()
    head, payload, signature = token.split(".")
    signing_input, sig = f"{head}.{payload}".encode(), _b64(signature)

    def verify() -> None:
        public.verify(sig, signing_input, padding.PKCS1v15(), hashes.SHA256())
    return verify


def client_verifier(token: str, jwks: dict, issuer: str, audience: str):
    """The whole check a school's Stuudium does (schools_client.tokens.verify_id_token)."""
    import json

    from schools_client.jwks import StaticKeys, load_key_set
    from schools_client.tokens import verify_id_token

    keys = StaticKeys(load_key_set(jwks))
    nonce = json.loads(_b64(token.split(".")[1]))["nonce"]

    def verify() -> None:
        verify_id_token(token, issuer=issuer, audience=audience, algorithms=["RS256"], keys=keys,
                        nonce=nonce, leeway=30, now=time.time())
    return verify


def _rate(fn, seconds: float) -> tuple[int, float]:
    count, deadline = 0, time.perf_counter() + seconds
    t0 = time.perf_counter()
    while time.perf_counter() < deadline:
        fn()
        count += 1
    return count, time.perf_counter() - t0


def measure(token: str, jwks: dict, issuer: str, audience: str, seconds: float) -> tuple[Measurement, float]:
    """(schools_client rate as a Measurement, raw RS256 rate) over ``seconds`` each."""
    ours, raw = client_verifier(token, jwks, issuer, audience), raw_verifier(token, jwks)
    ours()
    raw()
    totals = {"ours": [0, 0.0], "raw": [0, 0.0]}
    for _ in range(10):
        for name, fn in (("ours", ours), ("raw", raw)):
            n, t = _rate(fn, seconds / 10)
            totals[name][0] += n
            totals[name][1] += t
    ours_rate = totals["ours"][0] / totals["ours"][1]
    raw_rate = totals["raw"][0] / totals["raw"][1]
    return Measurement(rate=ours_rate, p50_ms=1000 / ours_rate, ok=totals["ours"][0],
                       seconds=totals["ours"][1]), raw_rate
