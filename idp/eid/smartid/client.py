"""Smart-ID RP API v3 client for authentication (sk-eid.github.io/smart-id-documentation,
RP API 3.2): device-link (QR / Web2App) and notification flows, long-poll session status, and
full response verification. HTTP through ``requests`` with timeouts; time from an injected clock.

Production: ``base_url="https://rp-api.smart-id.com/v3/"``, ``scheme_name="smart-id"`` (SK
requires HTTPS pinning there: pass ``tls_verify`` = a CA/cert bundle path). SK DEMO:
``https://sid.demo.sk.ee/smart-id-rp/v3/``, ``scheme_name="smart-id-demo"``, UUID
``00000000-0000-4000-8000-000000000000``, name ``DEMO``. Local: the stand-in in ``standin.py``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
from cryptography import x509

from idp import isikukood

from ..certs import load_der_b64
from ..errors import EidError
from ..identity import EidIdentity, identity_from_certificate
from ..ocsp import RevocationChecker
from . import protocol as p
from .certificate import LOA, check_auth_certificate
from .errors import END_RESULTS, SmartIdError
from .session import AuthSession

log = logging.getLogger(__name__)
_CALLBACK_URL = re.compile(r"^https://[^|#]+$")
_TOKEN = re.compile(r"^[A-Za-z0-9]+$")


@dataclass(frozen=True)
class SmartIdConfig:
    """Settings of one relying party. ``interactions``: offered in this order (``displayTextAndPIN``
    60 characters works on every app version). ``ocsp``: optional revocation check of the
    certificate (Smart-ID results come from SK's live service, so it is off by default)."""

    base_url: str
    relying_party_uuid: str
    relying_party_name: str
    trusted_cas: Sequence[x509.Certificate]
    scheme_name: str = "smart-id"
    certificate_level: str = "QUALIFIED"
    hash_algorithm: str = "SHA-512"
    interactions: tuple[Mapping[str, str], ...] = (p.display_text_and_pin("Sisselogimine"),)
    brokered_rp_name: str = ""
    lang: str = "est"
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    poll_timeout_ms: int = 30_000
    tls_verify: bool | str = True
    ocsp: RevocationChecker | None = field(default=None, compare=False)


class SmartIdClient:
    """Start, display and finish Smart-ID logins. Thread-safe apart from the shared
    ``requests.Session`` (safe for these simple calls)."""

    def __init__(self, config: SmartIdConfig, *, clock: Callable[[], dt.datetime] | None = None,
                 http: requests.Session | None = None) -> None:
        if not 1000 <= config.poll_timeout_ms <= 120_000:
            raise ValueError("poll_timeout_ms must be 1000..120000 (RP API timeoutMs)")
        self.config = config
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._http = http or requests.Session()

    # -- starting -------------------------------------------------------------------------
    def start_device_link(self, *, initial_callback_url: str | None = None,
                          personal_code: str | None = None,
                          interactions: Sequence[Mapping[str, str]] | None = None) -> AuthSession:
        """``POST authentication/device-link/anonymous`` (or ``.../etsi/PNOEE-<code>``): one
        session that can be shown both as a QR code and, with ``initial_callback_url`` (https,
        no ``|`` or ``#``, ≤ 1800 characters), as a Web2App link. ``interactions`` overrides the
        configured ones (e.g. a text naming the school)."""
        if initial_callback_url is not None and not (
                _CALLBACK_URL.match(initial_callback_url) and len(initial_callback_url) <= 1800):
            raise ValueError("initialCallbackUrl must be https, without | or #, ≤ 1800 chars")
        code = self._personal_code(personal_code) if personal_code is not None else None
        path = f"authentication/device-link/etsi/PNOEE-{code}" if code else \
            "authentication/device-link/anonymous"
        body = self._body(interactions)
        if initial_callback_url:
            body["initialCallbackUrl"] = initial_callback_url
        reply = self._post(path, body)
        token, secret, base = (reply.get(k) for k in ("sessionToken", "sessionSecret",
                                                        "deviceLinkBase"))
        if not (isinstance(token, str) and _TOKEN.match(token) and isinstance(secret, str)
                and p.BASE64.match(secret) and isinstance(base, str) and base.startswith("http")):
            raise SmartIdError("malformed", detail="device-link session response")
        return self._session("device_link", reply, body, session_token=token,
                             session_secret=secret, device_link_base=base,
                             initial_callback_url=initial_callback_url or "", personal_code=code)

    def start_notification(self, personal_code: str, *,
                           interactions: Sequence[Mapping[str, str]] | None = None) -> AuthSession:
        """``POST authentication/notification/etsi/PNOEE-<code>`` with ``vcType numeric4``; the
        returned session's ``verification_code`` must be shown to the person. SK recommends this
        flow only on a device that completed a device-link login before."""
        code = self._personal_code(personal_code)
        body = {**self._body(interactions), "vcType": "numeric4"}
        reply = self._post(f"authentication/notification/etsi/PNOEE-{code}", body)
        return self._session("notification", reply, body, personal_code=code,
                             verification_code=p.verification_code(
                                 body["signatureProtocolParameters"]["rpChallenge"]))

    def _personal_code(self, code: str) -> str:
        try:  # "Session status": validate the isikukood checksum before calling
            return isikukood.validate(code)
        except isikukood.InvalidIsikukood as exc:
            raise SmartIdError("invalid_personal_code", detail=str(exc)) from exc

    def _body(self, interactions: Sequence[Mapping[str, str]] | None) -> dict[str, Any]:
        c = self.config
        return {"relyingPartyUUID": c.relying_party_uuid, "relyingPartyName": c.relying_party_name,
                "certificateLevel": c.certificate_level, "signatureProtocol": p.SIGNATURE_PROTOCOL,
                "signatureProtocolParameters": {
                    "rpChallenge": p.new_rp_challenge(), "signatureAlgorithm": "rsassa-pss",
                    "signatureAlgorithmParameters": {"hashAlgorithm": c.hash_algorithm}},
                "interactions": p.encode_interactions(interactions or c.interactions)}

    def _session(self, kind: str, reply: dict[str, Any], body: dict[str, Any],
                 **extra: Any) -> AuthSession:
        session_id = reply.get("sessionID")
        if not isinstance(session_id, str) or not re.fullmatch(r"[A-Za-z0-9-]{1,64}", session_id):
            raise SmartIdError("malformed", detail="sessionID")
        return AuthSession(kind=kind, session_id=session_id, created_at=self._clock(),
                           rp_challenge=body["signatureProtocolParameters"]["rpChallenge"],
                           interactions=body["interactions"], **extra)

    # -- showing ----------------------------------------------------------------------------
    def device_link(self, session: AuthSession, link_type: str = "QR", *,
                    lang: str | None = None) -> str:
        """The device link with ``authCode`` ("Device link flows"). For ``QR`` it carries the
        seconds elapsed since the session started, so regenerate it every second and render it
        as a QR code; ``Web2App`` needs the session to have an ``initial_callback_url``."""
        if session.kind != "device_link" or session.session_secret is None:
            raise ValueError("not a device-link session")
        callback = session.initial_callback_url if link_type != "QR" else ""
        if link_type != "QR" and not callback:
            raise ValueError("a Web2App/App2App link needs an initial_callback_url")
        elapsed = math.floor((self._clock() - session.created_at).total_seconds()) \
            if link_type == "QR" else None
        link = p.unprotected_device_link(
            str(session.device_link_base), link_type=link_type, lang=lang or self.config.lang,
            session_token=str(session.session_token), elapsed_seconds=elapsed)
        code = p.auth_code(session_secret=session.session_secret,
                           scheme_name=self.config.scheme_name,
                           rp_challenge=session.rp_challenge,
                           rp_name=self.config.relying_party_name,
                           brokered_rp_name=self.config.brokered_rp_name,
                           interactions=session.interactions, initial_callback_url=callback,
                           unprotected_link=link)
        return f"{link}&authCode={code}"

    def accept_callback(self, session: AuthSession, params: Mapping[str, str], *,
                        expected_value: str) -> None:
        """Check the Web2App return ("Callback URLs"): ``value`` is the random value bound to
        this browser, ``sessionSecretDigest`` matches the session secret; keep
        ``userChallengeVerifier`` for ``poll``. ``callback_invalid`` otherwise."""
        value, digest = params.get("value", ""), params.get("sessionSecretDigest", "")
        verifier = params.get("userChallengeVerifier", "")
        if (session.session_secret is None or not p.same(value, expected_value)
                or not p.same(digest, p.session_secret_digest(session.session_secret))
                or not re.fullmatch(r"[A-Za-z0-9_-]{43}", verifier)):
            raise SmartIdError("callback_invalid", detail="callback parameters do not match")
        session.user_challenge_verifier = verifier

    # -- finishing --------------------------------------------------------------------------
    def poll(self, session: AuthSession, *, timeout_ms: int | None = None) -> EidIdentity | None:
        """One long poll of ``GET session/{id}?timeoutMs=``: None while the session runs (or, for
        a Web2App result, until ``accept_callback`` has seen the return); the verified identity
        when it is complete and OK; ``SmartIdError`` for every other end."""
        wait = timeout_ms or self.config.poll_timeout_ms
        status = self._get(f"session/{session.session_id}", {"timeoutMs": wait},
                           read_timeout=wait / 1000 + self.config.read_timeout)
        if status.get("state") == "RUNNING":
            return None
        result = status.get("result")
        if status.get("state") != "COMPLETE" or not isinstance(result, dict):
            raise SmartIdError("malformed", detail=f"state {status.get('state')!r}")
        end = result.get("endResult")
        if end != "OK":
            raise SmartIdError(END_RESULTS.get(str(end), "server_error"), detail=f"endResult {end}")
        try:
            return self._verify(session, status, result)
        except SmartIdError:
            raise
        except EidError as exc:
            raise SmartIdError.from_error(exc) from exc

    def _verify(self, session: AuthSession, status: dict[str, Any],
                result: dict[str, Any]) -> EidIdentity | None:
        signature, cert = status.get("signature"), status.get("cert")
        if status.get("signatureProtocol") != p.SIGNATURE_PROTOCOL or not isinstance(
                signature, dict) or not isinstance(cert, dict):
            raise SmartIdError("malformed", detail="OK result without ACSP_V2 signature/cert")
        server_random, user_challenge, flow_type = p.check_signature_fields(signature)
        offered = {"Notification"} if session.kind == "notification" else \
            {"QR", "Web2App"} if session.initial_callback_url else {"QR"}
        if flow_type not in offered:  # OpenAPI FlowType: must be one of the options offered
            raise SmartIdError("unexpected_flow", detail=f"flowType {flow_type}")
        if flow_type == "Web2App":
            if session.user_challenge_verifier is None:
                return None  # wait for the return in the app-opened tab
            if not p.same(p.user_challenge_of(session.user_challenge_verifier), user_challenge):
                raise SmartIdError("callback_invalid", detail="userChallengeVerifier mismatch")
        used = status.get("interactionTypeUsed")
        if used not in p.interaction_types(session.interactions):
            raise SmartIdError("malformed", detail=f"interactionTypeUsed {used!r}")
        certificate = load_der_b64(cert.get("value"))
        now = self._clock()
        issuer, level = check_auth_certificate(
            certificate, reported_level=cert.get("certificateLevel"), now=now,
            requested_level=self.config.certificate_level, trusted_cas=self.config.trusted_cas)
        payload = p.acsp_v2_payload(
            scheme_name=self.config.scheme_name, server_random=server_random,
            rp_challenge=session.rp_challenge, user_challenge=user_challenge,
            rp_name=self.config.relying_party_name, brokered_rp_name=self.config.brokered_rp_name,
            interactions=session.interactions, interaction_type_used=str(used),
            initial_callback_url=session.initial_callback_url if flow_type == "Web2App" else "",
            flow_type=flow_type)
        p.verify_acsp_v2_signature(certificate.public_key(), signature, payload,
                                   hash_name=self.config.hash_algorithm)
        identity = identity_from_certificate(certificate, method="smartid", level=LOA[level],
                                             document_number=result.get("documentNumber"))
        if session.personal_code and identity.isikukood != session.personal_code:
            raise SmartIdError("unsupported_identity", detail="result names another person")
        if self.config.ocsp is not None:
            self.config.ocsp.check(certificate, issuer, now=now)
        return identity

    # -- HTTP -------------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return f"{self.config.base_url.rstrip('/')}/{path}"

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", path, json=body, starting=True)

    def _get(self, path: str, params: dict[str, Any], *, read_timeout: float) -> dict[str, Any]:
        return self._call("GET", path, params=params, read_timeout=read_timeout, starting=False)

    def _call(self, method: str, path: str, *, starting: bool, read_timeout: float | None = None,
              **kwargs: Any) -> dict[str, Any]:
        timeout = (self.config.connect_timeout, read_timeout or self.config.read_timeout)
        try:
            reply = self._http.request(method, self._url(path), timeout=timeout,
                                       verify=self.config.tls_verify, **kwargs)
        except requests.RequestException as exc:
            raise SmartIdError("service_unavailable", detail=f"{method} {path}: {exc!r}") from exc
        if reply.status_code != 200:
            raise SmartIdError(_http_reason(reply.status_code, starting),
                               detail=f"{method} {path}: HTTP {reply.status_code} {reply.text[:200]}")
        try:
            data = reply.json()
        except ValueError as exc:
            raise SmartIdError("malformed", detail=f"{method} {path}: not JSON") from exc
        if not isinstance(data, dict):
            raise SmartIdError("malformed", detail=f"{method} {path}: not a JSON object")
        return data


def _http_reason(status: int, starting: bool) -> str:
    """RP API v3 HTTP codes. 404/471/472 when starting mean no usable account: one reason,
    ``account_unusable``, whose text does not say which. 404 when polling: session expired."""
    if status == 404:
        return "account_unusable" if starting else "session_not_found"
    if status in (471, 472):
        return "account_unusable"
    if status in (400, 401, 403, 480):  # our request, our RP account, our client version
        return "configuration"
    return "service_unavailable"        # 580 maintenance, 5xx, anything else
