"""eID login at a school: the configured Web eID and Smart-ID clients, and what happens when one
of them has proven a person (``complete``).

The IdP code path is the production one everywhere: only the configuration says whether
Smart-ID means SK's service or the local stand-in, and which CAs are trusted.
"""

from __future__ import annotations

import io
import logging
import secrets
from collections.abc import Callable, Hashable
from typing import TypeVar
from urllib.parse import urlsplit

import segno
from flask import current_app, url_for
from flask_babel import gettext as _

from .. import isikukood
from ..eid import EidIdentity, OcspChecker, OcspConfig, trust
from ..eid.smartid import (
    AuthSession,
    SmartIdClient,
    SmartIdConfig,
    SmartIdError,
    display_text_and_pin,
)
from ..eid.webeid import (
    WebEidError,
    issue_challenge,
    take_challenge,
    validate_auth_token,
)
from ..extensions import db
from ..i18n import select_locale
from ..models import Account, Person, School, SmartIdPending
from ..models._types import utcnow
from ..models.audit import audit
from ..sessions import start_session
from . import eid_name, eid_store, staff_policy
from .views import continue_url

log = logging.getLogger(__name__)
T = TypeVar("T")


class LevelTooLow(Exception):
    """The eID means proved less than the school asked for (Smart-ID Basic for acr high)."""


def _cached(name: str, key: Hashable, build: Callable[[], T]) -> T:
    """One instance per app and configuration (``demo run`` configures Smart-ID late)."""
    cache = current_app.extensions.setdefault("eid", {})
    if name not in cache or cache[name][0] != key:
        cache[name] = (key, build())
    return cache[name][1]


# --- ID-card (Web eID) ---------------------------------------------------------------------

def site_origin() -> str | None:
    """The origin the ID-card signs, or None when it is not https (ID-card login is then off)."""
    configured = current_app.config["WEBEID_ORIGIN"]
    if configured:
        return configured
    parts = urlsplit(current_app.config["ISSUER"])
    return f"https://{parts.netloc}" if parts.scheme == "https" else None


def idcard_available() -> bool:
    return site_origin() is not None


def _idcard_cas() -> list:
    cfg = current_app.config
    key = (cfg["WEBEID_TEST_CARDS"], tuple(cfg["WEBEID_EXTRA_CA_FILES"]))
    return _cached("idcard_cas", key, lambda: trust.idcard_cas(
        test=cfg["WEBEID_TEST_CARDS"], extra_pem_files=cfg["WEBEID_EXTRA_CA_FILES"]))


def _ocsp() -> OcspChecker | None:
    cfg = current_app.config
    if not cfg["WEBEID_OCSP"]:
        return None
    return _cached("ocsp", cfg["WEBEID_OCSP_TIMEOUT"],
                   lambda: OcspChecker(OcspConfig(timeout=float(cfg["WEBEID_OCSP_TIMEOUT"]))))


def idcard_challenge() -> str:
    """A fresh challenge nonce for this browser (replacing any earlier one)."""
    return issue_challenge(eid_store.DbNonceStore(), eid_store.binding(), now=utcnow())


def idcard_identity(token: object, request_origin: str | None) -> EidIdentity:
    """Who the posted Web eID token proves; ``WebEidError`` otherwise. The nonce is used up
    whatever the outcome. ``request_origin``: the POST's ``Origin`` header, unless ``null``."""
    origin = site_origin()
    if origin is None:
        raise WebEidError("origin_mismatch", detail="ID-card login needs an https origin")
    now = utcnow()
    nonce = take_challenge(eid_store.DbNonceStore(), eid_store.binding(create=False) or "",
                           now=now)
    return validate_auth_token(token, challenge_nonce=nonce, origin=origin,
                               trusted_cas=_idcard_cas(), now=now, ocsp=_ocsp(),
                               request_origin=request_origin)


# --- Smart-ID (RP API v3) ------------------------------------------------------------------

def smartid_available() -> bool:
    cfg = current_app.config
    return bool(cfg["SMARTID_RELYING_PARTY_UUID"] and cfg["SMARTID_RELYING_PARTY_NAME"])


def smartid_client() -> SmartIdClient:
    cfg = current_app.config
    names = ("SMARTID_BASE_URL", "SMARTID_RELYING_PARTY_UUID", "SMARTID_RELYING_PARTY_NAME",
             "SMARTID_SCHEME_NAME", "SMARTID_CERTIFICATE_LEVEL", "SMARTID_POLL_TIMEOUT_MS",
             "SMARTID_TLS_VERIFY", "SMARTID_TEST_CAS")
    key = (*(cfg[n] for n in names), tuple(cfg["SMARTID_EXTRA_CA_FILES"]))

    def build() -> SmartIdClient:
        cas = trust.smartid_cas(test=cfg["SMARTID_TEST_CAS"],
                                extra_pem_files=cfg["SMARTID_EXTRA_CA_FILES"])
        return SmartIdClient(SmartIdConfig(
            base_url=cfg["SMARTID_BASE_URL"], relying_party_uuid=cfg["SMARTID_RELYING_PARTY_UUID"],
            relying_party_name=cfg["SMARTID_RELYING_PARTY_NAME"], trusted_cas=cas,
            scheme_name=cfg["SMARTID_SCHEME_NAME"],
            certificate_level=cfg["SMARTID_CERTIFICATE_LEVEL"],
            poll_timeout_ms=cfg["SMARTID_POLL_TIMEOUT_MS"], tls_verify=cfg["SMARTID_TLS_VERIFY"]))
    return _cached("smartid", key, build)


def _lang() -> str:
    return "est" if select_locale() == "et" else "eng"  # ISO 639-2, as device links want


def _interactions(school: School) -> list[dict[str, str]]:
    """What the phone shows: the school's name (displayTextAndPIN, at most 60 characters)."""
    text = _("Log in: %(school)s", school=school.name)
    return [display_text_and_pin(text if len(text) <= 60 else text[:59] + "…")]


def start_smartid(school: School, iid: str, personal_code: str | None) -> SmartIdPending:
    """Start a Smart-ID login: by the person's code (a notification to their phone, with a
    verification code to compare) or anonymously by device link (QR code, and on https also a
    Web2App link that opens the app on this device). ``SmartIdError`` when it cannot start."""
    client = smartid_client()
    if personal_code is not None:
        auth = client.start_notification(personal_code, interactions=_interactions(school))
        return eid_store.save_pending(auth, school_id=school.id, iid=iid, callback_value=None)
    issuer = current_app.config["ISSUER"]
    value = secrets.token_urlsafe(16) if issuer.startswith("https://") else None
    callback = f"{issuer}{url_for('eid.smartid_return')}?value={value}" if value else None
    auth = client.start_device_link(initial_callback_url=callback,
                                    interactions=_interactions(school))
    return eid_store.save_pending(auth, school_id=school.id, iid=iid, callback_value=value)


def auth_session(row: SmartIdPending) -> AuthSession:
    return AuthSession.from_dict(row.data)


def qr_svg(row: SmartIdPending) -> bytes:
    """The QR code of the device link as it is this second (elapsedSeconds), as SVG."""
    link = smartid_client().device_link(auth_session(row), "QR", lang=_lang())
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="svg", scale=4, border=4, light="#fff",
                                     xmldecl=False, title=_("Smart-ID QR code"))
    return out.getvalue()


def web2app_link(row: SmartIdPending) -> str | None:
    auth = auth_session(row)
    if not auth.initial_callback_url:
        return None
    return smartid_client().device_link(auth, "Web2App", lang=_lang())


def poll_smartid(row: SmartIdPending) -> EidIdentity | None:
    """One status request (a long poll of at most ``SMARTID_POLL_TIMEOUT_MS``): None while the
    person has not answered; ``SmartIdError`` for every other end."""
    auth = auth_session(row)
    db.session.commit()  # hold no transaction while waiting on SK
    return smartid_client().poll(auth, timeout_ms=current_app.config["SMARTID_POLL_TIMEOUT_MS"])


def accept_return(row: SmartIdPending, params: dict[str, str]) -> None:
    """The Web2App return in the tab the app opened: check it belongs to this browser and
    session, and keep the verifier for the result (``SmartIdError("callback_invalid")``)."""
    auth = auth_session(row)
    if not row.callback_value:
        raise SmartIdError("callback_invalid", detail="no Web2App link was offered")
    smartid_client().accept_callback(auth, params, expected_value=row.callback_value)
    eid_store.update_pending(row, auth)


def error_message(error: SmartIdError | WebEidError) -> str:
    return error.message(select_locale())


# --- after the eID means proved who it is ----------------------------------------------------

def account_for(school: School, code: str) -> Account | None:
    """The active account at ``school`` whose person has this isikukood (at most one: the
    account services refuse a second)."""
    accounts = list(db.session.scalars(db.select(Account).join(Person).where(
        Account.school_id == school.id, Account.status == "active", Person.isikukood == code)
        .order_by(Account.id)))
    if len(accounts) > 1:
        log.error("%d accounts at %s carry %s", len(accounts), school.slug, isikukood.mask(code))
    return accounts[0] if accounts else None


def complete(iid: str, item: dict, school: School, identity: EidIdentity) -> str:
    """Log the person in at ``school`` with the proven identity; returns where to go next: on
    to the school (or the profile), or the page that says the school has no account for them."""
    params = item.get("params") or {}
    if not staff_policy.satisfies(identity.level,
                                  staff_policy.requested_level(params.get("acr_values"))):
        raise LevelTooLow(identity.level)
    account = account_for(school, identity.isikukood)
    if account is None:
        eid_store.remember_identity(identity, school.id)
        audit("eid_login_no_account", school_id=school.id, method=identity.method,
              isikukood=isikukood.mask(identity.isikukood))
        db.session.commit()
        return url_for("eid.no_account", iid=iid)
    start_session(account, amr=[identity.method], acr=identity.level)
    eid_name.remember(account.person_id, identity)
    audit("login", school_id=school.id, person_id=account.person_id, method=identity.method)
    db.session.commit()
    return continue_url(iid, item)
