"""STAND-IN, NOT SK's SERVICE: the session logic of the local Smart-ID RP API v3 stand-in
(``standin.py`` puts HTTP around it). It checks requests as SK's API documents, verifies device
links' ``authCode`` as the app/server would, and on confirmation signs a real ``ACSP_V2``
signature with the test person's RSA key under its own TEST CA.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .. import testpki
from . import protocol as p
from .standin_requests import INTERACTIONS, Problem, check_request


@dataclass(frozen=True)
class Persona:
    """A test person with a Smart-ID account. ``behaviour`` makes sessions for this code end by
    themselves (like SK's DEMO test accounts): ``manual`` (wait for the phone page), ``refuse``
    (USER_REFUSED), ``wrong_vc`` (WRONG_VC) or ``timeout`` (TIMEOUT)."""

    personal_code: str
    given_name: str
    family_name: str
    behaviour: str = "manual"
    level: str = "QUALIFIED"


DEFAULT_PERSONAS = (
    Persona("40404040009", "ANNE", "TESTNUMBER"),
    Persona("61101019999", "MINOR", "TESTNUMBER"),
    Persona("50001029996", "JAAN", "TESTNUMBER"),
    Persona("38001085718", "JAAK-KRISTJAN", "JÕEORG"),
    Persona("60001019906", "MARY ÄNN", "O’CONNEŽ-ŠUSLIK TESTNUMBER"),
    Persona("30403039917", "REFUSED", "TESTNUMBER", behaviour="refuse"),
    Persona("30403039972", "WRONGVC", "TESTNUMBER", behaviour="wrong_vc"),
    Persona("30403039983", "TIMEOUT", "TESTNUMBER", behaviour="timeout"),
)
AUTO_END = {"refuse": "USER_REFUSED", "wrong_vc": "WRONG_VC", "timeout": "TIMEOUT"}


@dataclass
class Session:
    id: str
    kind: str
    body: dict[str, Any]
    created_at: dt.datetime
    persona: Persona | None = None        # known when started by personal code
    session_token: str = ""
    session_secret: str = ""
    device_link_base: str = ""
    status: dict[str, Any] = field(default_factory=lambda: {"state": "RUNNING"})
    callback_url: str | None = None

    @property
    def running(self) -> bool:
        return bool(self.status["state"] == "RUNNING")

    @property
    def verification_code(self) -> str:
        return p.verification_code(self.body["signatureProtocolParameters"]["rpChallenge"])

    @property
    def interaction_types(self) -> list[str]:
        return p.interaction_types(self.body["interactions"])


class StandinService:
    """All stand-in sessions, in memory, guarded by one condition variable (long polls wait on
    it)."""

    def __init__(self, *, ca: testpki.TestCa, personas: Sequence[Persona] = DEFAULT_PERSONAS,
                 relying_parties: Mapping[str, str] | None = None,
                 clock: Callable[[], dt.datetime] | None = None, scheme_name: str = "smart-id-demo",
                 session_timeout: dt.timedelta = dt.timedelta(minutes=2),
                 qr_tolerance: dt.timedelta = dt.timedelta(seconds=10),
                 long_poll_cap_ms: int | None = None,
                 key_cache: MutableMapping[str, rsa.RSAPrivateKey] | None = None) -> None:
        self.ca, self.scheme_name = ca, scheme_name
        self.personas = {persona.personal_code: persona for persona in personas}
        self.relying_parties = relying_parties
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.session_timeout, self.qr_tolerance = session_timeout, qr_tolerance
        self.long_poll_cap_ms = long_poll_cap_ms
        self.sessions: dict[str, Session] = {}
        self.changed = threading.Condition()
        self._keys: dict[str, tuple[rsa.RSAPrivateKey, bytes]] = {}
        self._key_cache = {} if key_cache is None else key_cache  # RSA keygen is slow: tests share

    # -- the RP API ---------------------------------------------------------------------------
    def start(self, kind: str, body: object, semantics_id: str | None,
              device_link_base: str) -> dict[str, Any]:
        """POST authentication/{device-link|notification}/...: check, create, answer."""
        checked = check_request(kind, body, self.relying_parties)
        persona = self._persona(semantics_id) if semantics_id is not None else None
        session = Session(id=str(uuid.uuid4()), kind=kind, body=checked, created_at=self.clock(),
                          persona=persona)
        answer: dict[str, Any] = {"sessionID": session.id}
        if kind == "device_link":
            session.session_token = secrets.token_urlsafe(18).replace("-", "a").replace("_", "b")
            session.session_secret = base64.b64encode(secrets.token_bytes(32)).decode()
            session.device_link_base = device_link_base
            answer |= {"sessionToken": session.session_token, "deviceLinkBase": device_link_base,
                       "sessionSecret": session.session_secret}
        with self.changed:
            self.sessions[session.id] = session
            if persona is not None and persona.behaviour in AUTO_END:
                self._end(session, AUTO_END[persona.behaviour])
        return answer

    def status(self, session_id: str, timeout_ms: int) -> dict[str, Any]:
        """GET session/{id}: a long poll that answers as soon as the session completes."""
        if not 1000 <= timeout_ms <= 120_000:
            raise Problem(400, "timeoutMs must be 1000..120000")
        wait = min(timeout_ms, self.long_poll_cap_ms if self.long_poll_cap_ms is not None
                   else timeout_ms) / 1000
        deadline = time.monotonic() + wait
        with self.changed:
            session = self.sessions.get(session_id)
            if session is None:
                raise Problem(404, "session does not exist or has expired")
            while self._still_running(session) and (left := deadline - time.monotonic()) > 0:
                self.changed.wait(left)
            return dict(session.status)

    def _still_running(self, session: Session) -> bool:
        if session.running and self.clock() - session.created_at >= self.session_timeout:
            self._end(session, "TIMEOUT")
        return session.running

    # -- the phone ---------------------------------------------------------------------------
    def pending(self) -> list[Session]:
        with self.changed:
            return [s for s in self.sessions.values() if self._still_running(s)]

    def open_device_link(self, link: str) -> tuple[Session, str]:
        """What the app does with a scanned QR / opened Web2App link: find the session by its
        token, rebuild the unprotected link, check ``authCode`` and, for QR, freshness."""
        unprotected, found, code = link.rpartition("&authCode=")
        params = dict(parse_qsl(unprotected.partition("?")[2]))
        with self.changed:
            session = next((s for s in self.sessions.values() if s.session_token
                            and s.session_token == params.get("sessionToken")), None)
        link_type = params.get("deviceLinkType", "")
        if not found or session is None or link_type not in ("QR", "Web2App"):
            raise Problem(400, "not a device link of a session here")
        elapsed = params.get("elapsedSeconds")
        try:
            expected = p.unprotected_device_link(
                session.device_link_base, link_type=link_type, session_token=session.session_token,
                lang=params.get("lang", ""), elapsed_seconds=int(elapsed) if elapsed else None)
        except ValueError:
            raise Problem(400, "device link parameters are wrong") from None
        callback = session.body.get("initialCallbackUrl", "") if link_type != "QR" else ""
        good = p.auth_code(session_secret=session.session_secret, scheme_name=self.scheme_name,
                           rp_challenge=session.body["signatureProtocolParameters"]["rpChallenge"],
                           rp_name=session.body["relyingPartyName"], brokered_rp_name="",
                           interactions=session.body["interactions"],
                           initial_callback_url=callback, unprotected_link=unprotected)
        if unprotected != expected or (link_type == "Web2App" and not callback) \
                or not p.same(code, good):
            raise Problem(400, "authCode does not verify: the link was not made by this RP")
        if elapsed is not None:
            age = (self.clock() - session.created_at).total_seconds()
            if abs(int(elapsed) - age) > self.qr_tolerance.total_seconds():
                raise Problem(400, "the QR code is stale")
        return session, link_type

    def confirm(self, session_id: str, personal_code: str, flow_type: str,
                chosen_vc: str | None = None) -> str | None:
        """The person confirms with PIN1: complete OK with a real ACSP_V2 signature. Returns the
        callback URL the app would open (Web2App), else None."""
        with self.changed:
            session = self._running(session_id)
            persona = self.personas.get(personal_code)
            if persona is None or (session.persona and session.persona != persona):
                raise Problem(400, "this person cannot answer this session")
            if flow_type not in (("Notification",) if session.kind == "notification"
                                 else ("QR", "Web2App")):
                raise Problem(400, f"flow {flow_type} does not fit a {session.kind} session")
            used = next(t for t in session.interaction_types if t in INTERACTIONS[session.kind])
            if used.endswith("VerificationCodeChoice") and chosen_vc != session.verification_code:
                self._end(session, "WRONG_VC")
                return None
            self._sign(session, persona, flow_type, used)
            return session.callback_url

    def refuse(self, session_id: str) -> None:
        with self.changed:
            self._end(self._running(session_id), "USER_REFUSED")

    # -- internals ---------------------------------------------------------------------------
    def _running(self, session_id: str) -> Session:
        session = self.sessions.get(session_id)
        if session is None or not self._still_running(session):
            raise Problem(404, "no such running session")
        return session

    def _end(self, session: Session, end_result: str) -> None:
        session.status = {"state": "COMPLETE", "result": {"endResult": end_result}}
        self.changed.notify_all()

    def _key(self, persona: Persona) -> tuple[rsa.RSAPrivateKey, bytes]:
        if persona.personal_code not in self._keys:
            key = self._key_cache.get(persona.personal_code)
            if key is None:
                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                self._key_cache[persona.personal_code] = key
            cert = testpki.smartid_auth_certificate(
                self.ca, key.public_key(), personal_code=persona.personal_code,
                given_name=persona.given_name, family_name=persona.family_name,
                level=persona.level)
            self._keys[persona.personal_code] = (key, cert.public_bytes(
                serialization.Encoding.DER))
        return self._keys[persona.personal_code]

    def _sign(self, session: Session, persona: Persona, flow_type: str, used: str) -> None:
        key, cert_der = self._key(persona)
        hash_name = session.body["signatureProtocolParameters"]["signatureAlgorithmParameters"][
            "hashAlgorithm"]
        verifier = p.b64url_nopad(secrets.token_bytes(32))
        server_random = base64.b64encode(secrets.token_bytes(24)).decode()
        user_challenge = p.user_challenge_of(verifier)
        callback = session.body.get("initialCallbackUrl", "") if flow_type == "Web2App" else ""
        signature: dict[str, Any] = {
            "serverRandom": server_random, "userChallenge": user_challenge, "flowType": flow_type,
            "signatureAlgorithm": "rsassa-pss",
            "signatureAlgorithmParameters": {
                "hashAlgorithm": hash_name, "saltLength": p.HASHES[hash_name].digest_size,
                "maskGenAlgorithm": {"algorithm": "id-mgf1",
                                     "parameters": {"hashAlgorithm": hash_name}},
                "trailerField": "0xbc"}}
        payload = p.acsp_v2_payload(
            scheme_name=self.scheme_name, server_random=server_random,
            rp_challenge=session.body["signatureProtocolParameters"]["rpChallenge"],
            user_challenge=user_challenge, rp_name=session.body["relyingPartyName"],
            brokered_rp_name="", interactions=session.body["interactions"],
            interaction_type_used=used, initial_callback_url=callback, flow_type=flow_type)
        signature["value"] = base64.b64encode(key.sign(payload, *p.pss(hash_name))).decode()
        session.status = {
            "state": "COMPLETE", "signatureProtocol": "ACSP_V2", "interactionTypeUsed": used,
            "result": {"endResult": "OK",
                       "documentNumber": f"PNOEE-{persona.personal_code}-MOCK-Q"},
            "signature": signature,
            "cert": {"value": base64.b64encode(cert_der).decode(),
                     "certificateLevel": persona.level}}
        if callback:
            digest = p.session_secret_digest(session.session_secret)
            joiner = "&" if "?" in callback else "?"
            session.callback_url = (f"{callback}{joiner}sessionSecretDigest={digest}"
                                    f"&userChallengeVerifier={verifier}")
        self.changed.notify_all()

    def _persona(self, semantics_id: str) -> Persona:
        match = re.fullmatch(r"PNO([A-Z]{2})-(\d{11})", semantics_id)
        if match is None:
            raise Problem(400, "not an ETSI natural person semantics identifier")
        persona = self.personas.get(match.group(2)) if match.group(1) == "EE" else None
        if persona is None:
            raise Problem(404, "no Smart-ID account")  # what SK answers for an unknown person
        return persona
