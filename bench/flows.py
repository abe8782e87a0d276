"""A lean OIDC client for load: full login flows (authorization code + PKCE, the login form
posted, the code redeemed, the ID token verified) and refresh-token chains with rotation.

The same code drives both providers: it follows redirects, finds the form with a password field
on whatever page it lands, fills in username and password (keeping the form's hidden fields, e.g.
a CSRF token), and stops at the client's redirect URI. Each flow is a new browser (fresh cookie
jar). Load comes from several processes of several threads, each thread on its own keep-alive
connections (http.client), run for a fixed time.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import multiprocessing
import secrets
import statistics
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet

from .report import Measurement


@dataclass
class Provider:
    """Where and how to talk to one OIDC provider."""

    name: str
    base_url: str                 # where the sockets go (http://127.0.0.1:port)
    issuer: str                   # may differ (https issuer served over loopback http)
    client_id: str
    client_secret: str
    redirect_uri: str
    scope: str = "openid profile email"
    discovery: dict = field(default_factory=dict)

    def local(self, url: str) -> str:
        return self.base_url + url[len(self.issuer):] if url.startswith(self.issuer) else url

    @property
    def basic(self) -> str:
        raw = f"{self.client_id}:{self.client_secret}".encode()
        return "Basic " + base64.b64encode(raw).decode()


class FlowError(Exception):
    pass


class Http:
    """Keep-alive connections per host, a cookie jar (Secure cookies are sent over loopback
    http too: the issuer is https, the benchmark's socket is not)."""

    def __init__(self) -> None:
        self.connections: dict[str, http.client.HTTPConnection] = {}
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, body: str | None = None,
                headers: dict | None = None) -> tuple[int, dict, str]:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        for attempt in (1, 2):
            conn = self.connections.get(parts.netloc)
            if conn is None:
                conn = self.connections[parts.netloc] = http.client.HTTPConnection(parts.netloc, timeout=30)
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, ConnectionError):
                conn.close()
                del self.connections[parts.netloc]
                if attempt == 2:
                    raise
        for raw in response.headers.get_all("Set-Cookie") or []:
            pair, _, attrs = raw.partition(";")
            name, _, value = pair.strip().partition("=")
            lowered = attrs.lower()
            if "max-age=0" in lowered or "1970" in lowered or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def close(self) -> None:
        for conn in self.connections.values():
            conn.close()


class LoginForm(HTMLParser):
    """The first form with a password field: its action and its hidden fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "fields": {}, "password": False,
                               "method": (attrs.get("method") or "get").lower()})
            self._in_form = True
        elif tag == "input" and self._in_form:
            kind = (attrs.get("type") or "text").lower()
            if kind == "password":
                self.forms[-1]["password"] = True
            elif kind == "hidden" and attrs.get("name"):
                self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False

    @classmethod
    def find(cls, html: str) -> dict | None:
        parser = cls()
        parser.feed(html)
        return next((f for f in parser.forms if f["password"] and f["method"] == "post"), None)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def verify_id_token(provider: Provider, keys: KeySet, token: str, nonce: str | None) -> dict:
    claims = jwt.decode(token, keys, algorithms=["RS256"]).claims
    aud = claims.get("aud")
    if claims.get("iss") != provider.issuer or provider.client_id not in (aud if isinstance(aud, list) else [aud]):
        raise FlowError(f"ID token iss/aud wrong: {claims.get('iss')} {aud}")
    if nonce is not None and claims.get("nonce") != nonce:
        raise FlowError("ID token nonce wrong")
    if claims.get("exp", 0) < time.time():
        raise FlowError("ID token expired")
    return claims


def login_flow(http_: Http, provider: Provider, keys: KeySet, username: str, password: str) -> dict:
    """One full login: returns the token response (ID token verified)."""
    http_.cookies.clear()
    verifier, challenge = pkce_pair()
    nonce = secrets.token_urlsafe(12)
    params = {"response_type": "code", "client_id": provider.client_id,
              "redirect_uri": provider.redirect_uri, "scope": provider.scope,
              "state": secrets.token_urlsafe(8), "nonce": nonce, "code_challenge": challenge,
              "code_challenge_method": "S256"}
    url = provider.local(provider.discovery["authorization_endpoint"]) + "?" + urlencode(params)
    status, headers, body = http_.request("GET", url)
    posted = False
    for _ in range(12):
        if status in (301, 302, 303, 307, 308):
            location = urljoin(url, headers["location"])
            if location.startswith(provider.redirect_uri):
                query = parse_qs(urlsplit(location).query)
                if "code" not in query:
                    raise FlowError(f"no code: {location[:200]}")
                if query.get("state", [None])[0] != params["state"]:
                    raise FlowError("state changed")
                return redeem(http_, provider, keys, query["code"][0], verifier, nonce)
            url = provider.local(location)
            status, headers, body = http_.request("GET", url)
        elif status == 200 and not posted:
            form = LoginForm.find(body)
            if form is None:
                raise FlowError(f"no login form at {url[:120]}")
            data = {**form["fields"], "username": username, "password": password}
            url = provider.local(urljoin(url, form["action"] or url))
            status, headers, body = http_.request("POST", url, urlencode(data))
            posted = True
        else:
            raise FlowError(f"HTTP {status} at {url[:120]}: {body[:200]}")
    raise FlowError("too many redirects")


def redeem(http_: Http, provider: Provider, keys: KeySet, code: str, verifier: str, nonce: str) -> dict:
    status, _, body = http_.request(
        "POST", provider.local(provider.discovery["token_endpoint"]),
        urlencode({"grant_type": "authorization_code", "code": code,
                   "redirect_uri": provider.redirect_uri, "code_verifier": verifier}),
        {"Authorization": provider.basic})
    if status != 200:
        raise FlowError(f"token endpoint {status}: {body[:200]}")
    tokens = json.loads(body)
    verify_id_token(provider, keys, tokens["id_token"], nonce)
    return tokens


def refresh(http_: Http, provider: Provider, keys: KeySet, refresh_token: str) -> dict:
    status, _, body = http_.request(
        "POST", provider.local(provider.discovery["token_endpoint"]),
        urlencode({"grant_type": "refresh_token", "refresh_token": refresh_token}),
        {"Authorization": provider.basic})
    if status != 200:
        raise FlowError(f"refresh {status}: {body[:200]}")
    tokens = json.loads(body)
    if tokens.get("id_token"):
        verify_id_token(provider, keys, tokens["id_token"], None)
    return tokens


def fetch_json(provider: Provider, url: str) -> dict:
    http_ = Http()
    try:
        status, _, body = http_.request("GET", provider.local(url))
    finally:
        http_.close()
    if status != 200:
        raise FlowError(f"{url}: HTTP {status}")
    return json.loads(body)


def prepare(provider: Provider) -> KeySet:
    provider.discovery = fetch_json(provider, provider.issuer + "/.well-known/openid-configuration")
    return KeySet.import_key_set(fetch_json(provider, provider.discovery["jwks_uri"]))


# --- load: processes x threads, a fixed time ---------------------------------------------------

def _thread_loop(provider, keys, users, password, deadline, out, first_error):
    http_ = Http()
    i = secrets.randbelow(len(users))
    try:
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                login_flow(http_, provider, keys, users[i % len(users)], password)
                out.append(time.perf_counter() - t0)
            except Exception as exc:  # counted and reported, never hidden
                out.append(-1.0)
                first_error.setdefault("error", f"{type(exc).__name__}: {exc}"[:300])
                http_.close()
                http_ = Http()
            i += 1
    finally:
        http_.close()


def _process(provider: Provider, users: list[str], password: str, seconds: float, threads: int,
             queue) -> None:
    keys = prepare(provider)
    deadline = time.monotonic() + seconds
    samples: list[float] = []
    first_error: dict = {}
    workers = [threading.Thread(target=_thread_loop, args=(provider, keys, users, password, deadline,
                                                          samples, first_error)) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    queue.put((samples, first_error.get("error", "")))


def summarize(samples: list[float], seconds: float, note: str = "") -> Measurement:
    ok = sorted(s for s in samples if s >= 0)
    errors = sum(1 for s in samples if s < 0)
    p50 = statistics.median(ok) * 1000 if ok else None
    p99 = ok[min(len(ok) - 1, int(len(ok) * 0.99))] * 1000 if ok else None
    return Measurement(rate=len(ok) / seconds if seconds else None, p50_ms=p50, p99_ms=p99,
                       ok=len(ok), errors=errors, seconds=seconds, note=note)


def run_logins(provider: Provider, users: list[str], password: str, *, seconds: float,
               processes: int = 2, threads: int = 8) -> Measurement:
    """Full login flows for ``seconds``: ``processes`` x ``threads`` concurrent browsers."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_process, args=(provider, users, password, seconds, threads, queue))
             for _ in range(processes)]
    for p in procs:
        p.start()
    samples: list[float] = []
    errors: list[str] = []
    for _ in procs:
        got, error = queue.get(timeout=seconds + 120)
        samples += got
        if error:
            errors.append(error)
    for p in procs:
        p.join(10)
    # each process loads for ``seconds`` from its own start (spawn start-up is not counted)
    return summarize(samples, seconds, note=f"first error: {errors[0]}" if errors else "")


def tokens_for(provider: Provider, users: list[str], password: str, count: int) -> list[dict]:
    """``count`` token responses from sequential logins (setup for refresh and userinfo loads)."""
    keys = prepare(provider)
    http_ = Http()
    try:
        return [login_flow(http_, provider, keys, users[i % len(users)], password) for i in range(count)]
    finally:
        http_.close()
