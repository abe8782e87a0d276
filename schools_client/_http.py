"""Small helpers for talking JSON to the IdP with ``requests`` (internal)."""

from __future__ import annotations

import json
from typing import Any

import requests

__all__ = ["HTTPFailure", "JSONResponse", "fetch_json", "parse_json_object"]

#: Refuse bodies larger than this many bytes (metadata, JWKS, tokens, userinfo).
MAX_BODY = 1_000_000


class HTTPFailure(Exception):
    """Internal: a request failed; ``status`` is set when a response arrived."""

    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class JSONResponse:
    """A decoded JSON object plus the response headers and status."""

    def __init__(self, data: dict[str, Any], headers: requests.structures.CaseInsensitiveDict[str], status: int):
        self.data = data
        self.headers = headers
        self.status = status


def parse_json_object(content: bytes) -> dict[str, Any]:
    """Decode ``content`` as a JSON object or raise :class:`HTTPFailure`."""
    if len(content) > MAX_BODY:
        raise HTTPFailure("response body too large")
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPFailure("response is not JSON") from exc
    if not isinstance(data, dict):
        raise HTTPFailure("response is not a JSON object")
    return data


def fetch_json(
    http: requests.Session,
    method: str,
    url: str,
    *,
    timeout: float,
    expect_status: int = 200,
    **kwargs: Any,
) -> JSONResponse:
    """Send a request (redirects not followed) and decode a JSON-object answer.

    Raises :class:`HTTPFailure` on network errors, an unexpected status (the
    decoded error body, if any, is attached) or a non-object body.
    """
    try:
        resp = http.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.RequestException as exc:
        raise HTTPFailure(f"request to {url} failed: {exc.__class__.__name__}") from exc
    if resp.status_code != expect_status:
        body: Any = None
        try:
            body = parse_json_object(resp.content)
        except HTTPFailure:
            pass
        raise HTTPFailure(f"{url} answered HTTP {resp.status_code}", resp.status_code, body)
    return JSONResponse(parse_json_object(resp.content), resp.headers, resp.status_code)
