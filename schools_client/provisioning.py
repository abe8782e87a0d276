"""A typed client for the identity provider's provisioning API (``{issuer}/api/v1``).

A school's Stuudium keeps its roster in the IdP with it::

    api = ProvisioningClient("https://idp.example.ee", "noomuusikakool", secret)
    api.upsert("S1001", AccountInput("kati.kask", "Kati", "Kask", ["student"]))
    api.upsert("P2001", AccountInput("mari.kask", "Mari", "Kask", ["parent"], email="m@x.ee"))
    api.add_student("P2001", "S1001")
    for account in api.accounts():
        ...
    api.disable("S1001")

Access tokens come from the OAuth 2.0 client-credentials grant (RFC 6749 §4.4) at the token
endpoint named by the provider's discovery document, with the school's client id and secret
(HTTP Basic, RFC 6749 §2.3.1). A token is reused until shortly before it expires; an answer
``401`` with ``error="invalid_token"`` (RFC 6750 §3.1, e.g. a revoked token) gets one new token
and one retry. Errors are RFC 9457 problem details, raised as :class:`ProvisioningError`.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from ._http import MAX_BODY
from .config import check_url
from .discovery import DiscoveryCache
from .errors import SchoolsClientError, TokenEndpointError

__all__ = ["Account", "AccountInput", "AccountRef", "Page", "ProvisioningClient",
           "ProvisioningError", "Upserted"]

#: a token is renewed this many seconds before the IdP says it expires
TOKEN_LEEWAY = 30.0
PERSONAL_FIELDS = ("email", "phone", "isikukood", "birthdate")


class ProvisioningError(SchoolsClientError):
    """The API refused a request (or answered something unusable).

    :ivar status: HTTP status, or None when no usable response arrived.
    :ivar problem: the RFC 9457 problem details (``type``, ``title``, ``detail``, ``errors``).
    """

    def __init__(self, message: str, status: int | None = None,
                 problem: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.problem: dict[str, Any] = dict(problem or {})

    @property
    def errors(self) -> list[dict[str, Any]]:
        """Per-field errors: ``{"pointer": "#/username", "code": ..., "detail": ...}``."""
        errors = self.problem.get("errors")
        return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


@dataclass(frozen=True)
class AccountRef:
    """Another account named in an account (a student or a guardian)."""

    external_id: str | None
    username: str


@dataclass(frozen=True)
class Account:
    """An account at the school, as the IdP holds it."""

    external_id: str | None
    sub: str
    username: str
    given_name: str
    family_name: str
    email: str | None
    phone: str | None
    isikukood: str | None
    birthdate: dt.date | None
    roles: tuple[str, ...]
    status: str
    #: the person has accounts at other schools too: their personal data is theirs to change
    linked: bool
    students: tuple[AccountRef, ...]
    guardians: tuple[AccountRef, ...]
    created_at: str

    @classmethod
    def from_json(cls, data: Any) -> Account:
        """Build from the API's JSON; :raises ProvisioningError: on an unexpected shape."""
        try:
            refs = {name: tuple(AccountRef(_opt_str(r["external_id"]), _str(r["username"]))
                                for r in data[name]) for name in ("students", "guardians")}
            birthdate = data["birthdate"]
            return cls(
                external_id=_opt_str(data["external_id"]), sub=_str(data["sub"]),
                username=_str(data["username"]), given_name=_str(data["given_name"]),
                family_name=_str(data["family_name"]), email=_opt_str(data["email"]),
                phone=_opt_str(data.get("phone")), isikukood=_opt_str(data["isikukood"]),
                birthdate=dt.date.fromisoformat(birthdate) if birthdate is not None else None,
                roles=tuple(_str(r) for r in data["roles"]), status=_str(data["status"]),
                linked=bool(data["linked"]), students=refs["students"],
                guardians=refs["guardians"], created_at=_str(data["created_at"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ProvisioningError(f"unexpected account in the response: {exc}") from exc

    @property
    def active(self) -> bool:
        return self.status == "active"


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _opt_str(value: Any) -> str | None:
    return None if value is None else _str(value)


@dataclass(frozen=True)
class AccountInput:
    """What :meth:`ProvisioningClient.upsert` sends. ``None`` leaves a stored value as it is;
    list a field in ``erase`` to remove it (``email``, ``phone``, ``isikukood``, ``birthdate``)."""

    username: str
    given_name: str
    family_name: str
    roles: Sequence[str]
    email: str | None = None
    isikukood: str | None = None
    birthdate: dt.date | None = None
    phone: str | None = None
    #: "active" or "disabled"; None leaves the status as it is (new accounts are active)
    status: str | None = None
    erase: frozenset[str] = field(default_factory=frozenset)

    def to_json(self) -> dict[str, Any]:
        unknown = set(self.erase) - set(PERSONAL_FIELDS)
        if unknown:
            raise ValueError(f"only {', '.join(PERSONAL_FIELDS)} can be erased, not {sorted(unknown)}")
        body: dict[str, Any] = {"username": self.username, "given_name": self.given_name,
                                "family_name": self.family_name, "roles": list(self.roles)}
        optional = {"email": self.email, "phone": self.phone, "isikukood": self.isikukood,
                    "status": self.status,
                    "birthdate": self.birthdate.isoformat() if self.birthdate else None}
        body.update({k: v for k, v in optional.items() if v is not None})
        body.update({name: None for name in self.erase})
        return body


@dataclass(frozen=True)
class Upserted:
    account: Account
    #: True when the PUT created the account (201), False when it existed (200)
    created: bool


@dataclass(frozen=True)
class Page:
    items: list[Account]
    #: the URL of the next page, or None on the last
    next: str | None


class ProvisioningClient:
    """The provisioning API of one school (the client id's school, and no other).

    :param issuer: the IdP's issuer URL (discovery finds the token endpoint).
    :param client_id: the school's OIDC client id.
    :param client_secret: the school's client secret.
    :param scope: the scopes to ask for (``accounts:read``, ``accounts:write``).
    :param http: the ``requests.Session`` for every call.
    :param allow_insecure_http: allow ``http://`` for a loopback issuer (development, tests).
    :raises ConfigurationError: the issuer URL is unacceptable.
    """

    def __init__(self, issuer: str, client_id: str, client_secret: str, *,
                 scope: str = "accounts:read accounts:write", http: requests.Session | None = None,
                 timeout: float = 10.0, allow_insecure_http: bool = False,
                 clock: Callable[[], float] = time.time) -> None:
        self.issuer = check_url("issuer", issuer, allow_insecure_http=allow_insecure_http,
                                allow_query=False).rstrip("/")
        self.base = f"{self.issuer}/api/v1"
        self.client_id, self._secret, self.scope = client_id, client_secret, scope
        self.http = http or requests.Session()
        self.timeout, self.clock = timeout, clock
        self.discovery = DiscoveryCache(self.issuer, http=self.http, timeout=timeout,
                                        allow_insecure_http=allow_insecure_http, clock=clock)
        self._lock = threading.Lock()
        self._token: tuple[str, float] | None = None

    # --- the token -------------------------------------------------------------------------

    def access_token(self, *, renew: bool = False) -> str:
        """A cached client-credentials access token (RFC 6749 §4.4), fetched when needed.

        :raises TokenEndpointError: the token endpoint refused or failed.
        """
        with self._lock:
            now = self.clock()
            if self._token is not None and not renew and now < self._token[1]:
                return self._token[0]
            endpoint = self.discovery.get().token_endpoint
            try:
                response = self.http.post(endpoint, data={"grant_type": "client_credentials",
                                                          "scope": self.scope},
                                          auth=(self.client_id, self._secret),
                                          timeout=self.timeout, allow_redirects=False)
            except requests.RequestException as exc:
                raise TokenEndpointError("network_error", exc.__class__.__name__) from exc
            data = _json(response)
            if response.status_code != 200 or not isinstance(data, dict):
                error = data.get("error", "server_error") if isinstance(data, dict) else "invalid_response"
                raise TokenEndpointError(str(error), str(data.get("error_description", ""))
                                         if isinstance(data, dict) else "", response.status_code)
            token, expires_in = data.get("access_token"), data.get("expires_in", 60)
            if not isinstance(token, str) or not isinstance(expires_in, int):
                raise TokenEndpointError("invalid_response", "no access_token", response.status_code)
            self._token = (token, now + max(0.0, expires_in - TOKEN_LEEWAY))
            return token

    # --- accounts --------------------------------------------------------------------------

    def upsert(self, external_id: str, account: AccountInput) -> Upserted:
        """Create or update the account (``PUT``; idempotent).

        :raises ProvisioningError: 422 invalid data (see ``errors``), 409 a value belongs to
            another account of the school.
        """
        response = self._call("PUT", self._path(external_id), json_body=account.to_json())
        return Upserted(Account.from_json(_json(response)), created=response.status_code == 201)

    def get(self, external_id: str) -> Account | None:
        """The account, or None when the school has no account with this external id."""
        try:
            return Account.from_json(_json(self._call("GET", self._path(external_id))))
        except ProvisioningError as error:
            if error.status == 404:
                return None
            raise

    def page(self, url: str | None = None, *, limit: int = 100) -> Page:
        """One page of the school's accounts: the first, or the one ``url`` (a ``next``) names."""
        if url is not None and not url.startswith(f"{self.base}/accounts?"):
            # never send the token anywhere but the API itself
            raise ProvisioningError(f"refusing a next link outside the API: {url!r}")
        response = self._call("GET", url or f"{self.base}/accounts?limit={limit}", absolute=True)
        data = _json(response)
        try:
            items = [Account.from_json(item) for item in data["items"]]
            next_url = _opt_str(data["next"])
        except (KeyError, TypeError) as exc:
            raise ProvisioningError(f"unexpected page in the response: {exc}") from exc
        return Page(items, next_url)

    def accounts(self, *, limit: int = 100) -> Iterator[Account]:
        """Every account of the school, page after page."""
        url: str | None = None
        while True:
            page = self.page(url, limit=limit)
            yield from page.items
            if page.next is None:
                return
            url = page.next

    def disable(self, external_id: str) -> None:
        """Disable the account; its tokens end at once (``DELETE``; idempotent)."""
        self._call("DELETE", self._path(external_id))

    def enable(self, external_id: str) -> Account:
        return Account.from_json(_json(self._call("POST", self._path(external_id) + "/enable")))

    def add_student(self, parent_external_id: str, student_external_id: str) -> bool:
        """Make the parent's account a guardian of the student's; True when it was new.

        :raises ProvisioningError: 404 an unknown account, 409 the roles do not fit.
        """
        path = f"{self._path(parent_external_id)}/students/{quote(student_external_id, safe='')}"
        return self._call("PUT", path).status_code == 201

    def remove_student(self, parent_external_id: str, student_external_id: str) -> None:
        path = f"{self._path(parent_external_id)}/students/{quote(student_external_id, safe='')}"
        self._call("DELETE", path)

    # --- transport -------------------------------------------------------------------------

    def _path(self, external_id: str) -> str:
        return f"/accounts/{quote(external_id, safe='')}"

    def _call(self, method: str, path: str, *, json_body: dict[str, Any] | None = None,
              absolute: bool = False) -> requests.Response:
        url = path if absolute else self.base + path
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.access_token(renew=attempt == 2)}",
                       "Accept": "application/json, application/problem+json"}
            try:
                response = self.http.request(method, url, json=json_body, headers=headers,
                                             timeout=self.timeout, allow_redirects=False)
            except requests.RequestException as exc:
                raise ProvisioningError(f"{method} {url} failed: {exc.__class__.__name__}") from exc
            challenge = response.headers.get("WWW-Authenticate", "")
            if response.status_code == 401 and 'error="invalid_token"' in challenge and attempt == 1:
                continue  # RFC 6750 3.1: the client may request a new access token and retry
            if response.status_code >= 400:
                problem = _json(response, strict=False)
                detail = problem.get("detail") if isinstance(problem, dict) else None
                raise ProvisioningError(f"{method} {url}: HTTP {response.status_code}"
                                        + (f": {detail}" if detail else ""), response.status_code,
                                        problem if isinstance(problem, dict) else None)
            return response
        raise AssertionError("unreachable")  # pragma: no cover


def _json(response: requests.Response, *, strict: bool = True) -> Any:
    if len(response.content) > MAX_BODY:
        raise ProvisioningError("response body too large", response.status_code)
    if not response.content and not strict:
        return None
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError) as exc:
        if not strict:
            return None
        raise ProvisioningError("the response is not JSON", response.status_code) from exc
