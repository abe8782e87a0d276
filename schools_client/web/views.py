"""The ``/oidc`` blueprint: login, callback, logout, back- and front-channel logout, profile-sync events."""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Any

from flask import Blueprint, Response, jsonify, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ..errors import (
    AuthorizationResponseError,
    DiscoveryError,
    SchoolsClientError,
    TokenVerificationError,
)
from ..models import LoginState
from ..tokens import ACCOUNT_UPDATED_EVENT
from .extension import get_extension
from .helpers import safe_local_path
from .pages import error_page, kind_for_error, simple_page

__all__ = ["make_blueprint"]

log = logging.getLogger(__name__)

_MAX_PENDING = 5
_PROMPTS = frozenset({"login", "select_account", "consent"})

#: RFC 8935 §2: the media type of a pushed SET (RFC 8417 §7.2).
_SECEVENT_MEDIA_TYPE = "application/secevent+jwt"
#: Largest accepted SET, in bytes (a profile with a few dozen schools is far smaller).
_MAX_SECEVENT_BYTES = 256 * 1024
#: How long a received SET ``jti`` is remembered, so retransmissions are acknowledged without work.
_SECEVENT_JTI_TTL = 7 * 86400
#: ``Retry-After`` (seconds) of a 503 answer to the IdP.
_SECEVENT_RETRY_AFTER = "60"
#: RFC 8935 §2.4 error codes by :class:`TokenVerificationError` reason (anything else: ``invalid_request``).
_SECEVENT_ERRORS = {
    "iss_mismatch": "invalid_issuer",
    "aud_mismatch": "invalid_audience",
    "azp_mismatch": "invalid_audience",
    "unknown_kid": "invalid_key",
    "bad_signature": "invalid_key",
}


def _error(kind: str, status: int, code: str | None = None) -> Response:
    return error_page(kind, status, login_url=url_for("schools_oidc.login"), code=code)


def _no_store(resp: BaseResponse) -> BaseResponse:
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Pragma"] = "no-cache"
    return resp


def login() -> BaseResponse:
    """Start a login; also OIDC Core 1.0 §4 third-party initiated login.

    ``iss`` (if given) must be our issuer; ``target_link_uri`` is honoured only
    when it is on this app's own origin (never an open redirect); ``next``
    may be a local path; ``login_hint`` is forwarded.
    """
    ext = get_extension()
    iss = request.args.get("iss")
    if iss is not None and iss != ext.settings.issuer:
        log.warning("third-party initiated login with foreign iss %r refused", iss)
        return _error("bad_issuer", 400, "iss_mismatch")
    target_link_uri = request.args.get("target_link_uri")
    if target_link_uri:
        return_to = ext.local_target(target_link_uri)
        if return_to is None:
            log.warning("ignoring foreign target_link_uri %r", target_link_uri)
    else:
        return_to = safe_local_path(request.args.get("next"))
    login_hint = (request.args.get("login_hint") or "")[:256] or None
    prompt = request.args.get("prompt")
    try:
        url, login_state = ext.client.begin_login(
            login_hint=login_hint, prompt=prompt if prompt in _PROMPTS else None, ui_locales=ext.ui_locales()
        )
    except SchoolsClientError:
        log.exception("cannot start login")
        return _error("unavailable", 503)
    record = ext.ensure_session()
    now = ext.clock()
    pending: dict[str, Any] = {
        k: v for k, v in record.data.get("pending_logins", {}).items()
        if now - float(v["login_state"]["created_at"]) <= ext.settings.login_state_ttl
    }
    pending[login_state.state] = {"login_state": login_state.to_dict(), "return_to": return_to}
    record.data["pending_logins"] = dict(list(pending.items())[-_MAX_PENDING:])
    ext.store.update(record)
    return _no_store(redirect(url, 302))


def callback() -> BaseResponse:
    """Finish the login (OIDC Core 1.0 §3.1.2.5-§3.1.3.7) and start a fresh session."""
    ext = get_extension()
    record = ext.session()
    state = request.args.get("state", "")
    pending = record.data.get("pending_logins", {}) if record is not None else {}
    entry = pending.pop(state, None) if state else None
    if record is None or entry is None:
        return _error("state", 400, "state_mismatch")
    ext.store.update(record)  # a login state is single-use
    try:
        result = ext.client.finish_login(request.args.to_dict(), LoginState.from_dict(entry["login_state"]))
    except AuthorizationResponseError as exc:
        log.info("authorization response refused: %s", exc)
        return _error(kind_for_error(exc.error), 400, exc.error)
    except TokenVerificationError as exc:
        log.warning("ID token rejected: %s", exc)
        return _error("token", 400, exc.reason)
    except DiscoveryError:
        log.exception("provider unavailable during callback")
        return _error("unavailable", 503)
    except SchoolsClientError as exc:
        log.warning("login failed: %s", exc)
        return _error("token", 400, exc.__class__.__name__)
    claims = result.claims
    data: dict[str, Any] = {
        "claims": result.profile, "id_token_claims": claims, "id_token": result.id_token,
        "access_token": result.access_token, "refresh_token": result.refresh_token,
        "expires_at": result.expires_at, "csrf": secrets.token_urlsafe(32), "login_at": ext.clock(),
    }
    if ext.hooks.on_login is not None:
        ext.hooks.on_login(result, data)
    ext.store.delete(record.session_id)
    sid = claims.get("sid") if isinstance(claims.get("sid"), str) else None
    ext.start_session(data, ttl=ext.session_lifetime, sub=str(claims["sub"]), sid=sid)
    return _no_store(redirect(entry.get("return_to") or ext.default_target, 302))


def logout() -> BaseResponse:
    """End the local session and send the browser to the IdP (RP-Initiated Logout 1.0 §2).

    The form must carry the session's ``csrf_token``.
    """
    ext = get_extension()
    record = ext.session()
    if record is None or not record.authenticated:
        return _no_store(redirect(ext.default_target, 303))
    token = request.form.get("csrf_token", "")
    if not hmac.compare_digest(token.encode(), str(record.data.get("csrf", "")).encode()):
        return _error("csrf", 400, "csrf")
    ext.end_session()
    if ext.hooks.on_logout is not None:
        ext.hooks.on_logout(record)
    state = secrets.token_urlsafe(24)
    ext.start_session({"logout_state": state}, ttl=ext.settings.login_state_ttl)
    post_logout = ext.settings.post_logout_redirect_uri
    try:
        url = ext.client.end_session_url(
            id_token_hint=record.data.get("id_token"), post_logout_redirect_uri=post_logout,
            state=state, ui_locales=ext.ui_locales(),
        )
    except SchoolsClientError:
        log.exception("cannot reach the provider for logout; logged out locally only")
        url = None
    if url is None:
        url = url_for("schools_oidc.logged_out", state=state)
    return _no_store(redirect(url, 303))


def logged_out() -> BaseResponse:
    """Default post-logout page; checks the ``state`` we sent to the IdP."""
    ext = get_extension()
    if not ext.just_logged_out():
        return _no_store(redirect(ext.default_target, 303))
    return simple_page("logged_out", links=[(ext.default_target, "Avalehele", "Home page")])


def backchannel_logout() -> tuple[BaseResponse, int] | BaseResponse:
    """OpenID Connect Back-Channel Logout 1.0 §2.5-§2.8 endpoint."""
    ext = get_extension()
    token = request.form.get("logout_token")

    def bad(description: str) -> tuple[BaseResponse, int]:
        resp = jsonify(error="invalid_request", error_description=description)
        return _no_store(resp), 400

    if not token:
        return bad("logout_token is required")
    try:
        claims = ext.client.verify_logout_token(token, ext.store.jti_seen)
    except TokenVerificationError as exc:
        log.warning("logout token rejected: %s", exc)
        return bad(f"invalid logout token: {exc.reason}")
    except SchoolsClientError as exc:
        log.warning("logout token could not be checked: %s", exc)
        return bad("the logout token could not be verified")
    sid, sub = claims.get("sid"), claims.get("sub")
    count = ext.store.delete_by_sid(sid, sub) if sid else ext.store.delete_by_sub(str(sub))
    log.info("back-channel logout ended %d session(s)", count)
    return _no_store(Response("", status=200))


def security_event() -> tuple[BaseResponse, int] | BaseResponse:
    """Receive a profile-sync Security Event Token (RFC 8417) pushed by the IdP (RFC 8935).

    ``202`` when the event was applied, was not newer than the last applied
    version, or its ``jti`` was already received; ``400`` with an RFC 8935
    §2.4 error (``invalid_request``, ``invalid_key``, ``invalid_issuer``,
    ``invalid_audience``) for a bad request or token; ``503`` with
    ``Retry-After`` when the IdP's keys cannot be fetched or the update could
    not be applied (the IdP retries).
    """
    ext = get_extension()

    def refuse(err: str, description: str) -> tuple[BaseResponse, int]:
        return _no_store(jsonify(err=err, description=description)), 400

    def unavailable(description: str) -> tuple[BaseResponse, int]:
        resp = _no_store(jsonify(description=description))
        resp.headers["Retry-After"] = _SECEVENT_RETRY_AFTER
        return resp, 503

    if request.mimetype != _SECEVENT_MEDIA_TYPE:
        log.warning("security event refused: Content-Type %r", request.mimetype)
        return refuse("invalid_request", f"Content-Type must be {_SECEVENT_MEDIA_TYPE}")
    if (request.content_length or 0) > _MAX_SECEVENT_BYTES:
        return refuse("invalid_request", "the security event token is too large")
    raw = request.stream.read(_MAX_SECEVENT_BYTES + 1)
    if len(raw) > _MAX_SECEVENT_BYTES:
        return refuse("invalid_request", "the security event token is too large")
    try:
        token = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        token = ""
    if not token:
        return refuse("invalid_request", "the body must be a security event token in JWS compact form")
    try:
        claims = ext.client.verify_security_event(token, max_age=ext.event_max_age)
    except TokenVerificationError as exc:
        err = _SECEVENT_ERRORS.get(exc.reason, "invalid_request")
        log.warning("security event token rejected: %s (%s)", exc.reason, err)
        return refuse(err, f"invalid security event token: {exc.reason}")
    except DiscoveryError:  # also JWKSError: the IdP's keys are unreachable, let it retry
        log.exception("cannot fetch the provider's metadata or keys to verify a security event token")
        return unavailable("the identity provider's keys cannot be fetched now")
    except SchoolsClientError as exc:
        log.warning("security event token could not be checked: %s", exc.__class__.__name__)
        return refuse("invalid_request", "the security event token could not be verified")

    event = claims["events"][ACCOUNT_UPDATED_EVENT]
    jti, sub, version, status = str(claims["jti"]), str(claims["sub"]), int(event["version"]), str(event["status"])
    replay_key = f"secevent:{jti}"  # separate from logout token jtis
    try:
        if ext.store.jti_seen(replay_key, int(ext.clock()) + _SECEVENT_JTI_TTL):
            log.info("security event %s received again; acknowledged without applying", jti)
            return _no_store(Response("", status=202)), 202
    except Exception:
        log.exception("session store failed while receiving security event %s", jti)
        return unavailable("the event cannot be stored now")
    try:
        outcome = ext.apply_profile_update(sub, version, event["claims"], status)
    except Exception:  # the app's hook or the store: forget the jti so that the IdP's retry is applied
        log.exception("applying security event %s failed; answering 503 so that it is retried", jti)
        try:
            ext.store.forget_jti(replay_key)
        except Exception:
            log.exception("cannot forget the jti of security event %s", jti)
        return unavailable("the profile update could not be applied now")
    log.info("security event %s: profile version %d %s (status %s)", jti, version, outcome, status)
    return _no_store(Response("", status=202)), 202


def frontchannel_logout() -> BaseResponse:
    """OpenID Connect Front-Channel Logout 1.0 §2-§3 endpoint (shown in an IdP iframe)."""
    ext = get_extension()
    iss, sid = request.args.get("iss"), request.args.get("sid")
    frame = ext.settings.issuer_origin
    if iss is None and sid is None:
        ext.end_session()
        status = 200
    elif iss != ext.settings.issuer or not sid:
        status = 400
    else:
        ext.store.delete_by_sid(sid)
        record = ext.session()
        if record is not None and record.sid == sid:
            ext.end_session()
        status = 200
    return simple_page("frontchannel" if status == 200 else "bad_request", status, frame_ancestors=frame)


def make_blueprint() -> Blueprint:
    """Create the ``schools_oidc`` blueprint (mount it at ``/oidc``)."""
    bp = Blueprint("schools_oidc", __name__)
    bp.add_url_rule("/login", "login", login, methods=["GET"])
    bp.add_url_rule("/callback", "callback", callback, methods=["GET"])
    bp.add_url_rule("/logout", "logout", logout, methods=["POST"])
    bp.add_url_rule("/logged-out", "logged_out", logged_out, methods=["GET"])
    bp.add_url_rule("/backchannel-logout", "backchannel_logout", backchannel_logout, methods=["POST"])
    bp.add_url_rule("/events", "security_event", security_event, methods=["POST"])
    bp.add_url_rule("/frontchannel-logout", "frontchannel_logout", frontchannel_logout, methods=["GET"])
    return bp
