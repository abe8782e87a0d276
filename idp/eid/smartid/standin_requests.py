"""STAND-IN, NOT SK's SERVICE: what the stand-in accepts, i.e. the request rules of the Smart-ID
RP API v3 OpenAPI (authentication requests), answered as RFC 9457 problems."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any

from . import protocol as p

INTERACTIONS = {"device_link": {"displayTextAndPIN", "confirmationMessage"},
                "notification": {"displayTextAndPIN", "confirmationMessage",
                                 "confirmationMessageAndVerificationCodeChoice"}}


class Problem(Exception):
    """An RFC 9457 problem the API answers with."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def check_request(kind: str, body: object,
                  relying_parties: Mapping[str, str] | None) -> dict[str, Any]:
    """The request rules of the OpenAPI (RP API 3.x) a client must follow; ``Problem`` 400 (or
    401 for an unknown relying party) otherwise."""
    if not isinstance(body, dict):
        raise Problem(400, "body must be a JSON object")
    if relying_parties is not None and relying_parties.get(
            str(body.get("relyingPartyUUID"))) != body.get("relyingPartyName"):
        raise Problem(401, "unknown relyingPartyUUID / relyingPartyName")
    params = body.get("signatureProtocolParameters")
    algorithm = params.get("signatureAlgorithmParameters") if isinstance(params, dict) else None
    if not isinstance(params, dict) or not isinstance(algorithm, dict):
        raise Problem(400, "signatureProtocolParameters")
    challenge = params.get("rpChallenge", "")
    try:
        challenge_ok = 32 <= len(base64.b64decode(challenge, validate=True)) <= 64
        types = [i["type"] for i in json.loads(base64.b64decode(body.get("interactions", ""),
                                                                validate=True))]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise Problem(400, "rpChallenge or interactions do not decode") from None
    problems = [
        (body.get("signatureProtocol") != "ACSP_V2", "signatureProtocol must be ACSP_V2"),
        (not challenge_ok, "rpChallenge must be Base64 of 32-64 bytes"),
        (params.get("signatureAlgorithm") != "rsassa-pss", "signatureAlgorithm"),
        (algorithm.get("hashAlgorithm") not in p.HASHES, "hashAlgorithm"),
        ("nonce" in body, "nonce is not allowed for authentication"),
        (not types or not set(types) <= INTERACTIONS[kind], "interactions"),
        (body.get("certificateLevel", "QUALIFIED") not in ("QUALIFIED", "ADVANCED"),
         "certificateLevel"),
        (kind == "notification" and body.get("vcType") != "numeric4", "vcType"),
        ("initialCallbackUrl" in body and not re.fullmatch(
            r"https://[^|#]{1,1792}", str(body["initialCallbackUrl"])), "initialCallbackUrl"),
    ]
    for bad, what in problems:
        if bad:
            raise Problem(400, what)
    return body
