"""STAND-IN — NOT SK's SMART-ID SERVICE. A local imitation of the Smart-ID RP API v3, for
development and tests only: every response carries ``X-Standin: smart-id-rp-api-v3`` and every
page says so. It never talks to SK, and the certificates it hands out chain to its own TEST CA,
which a production IdP never trusts.

It speaks the endpoints ``SmartIdClient`` uses (``POST /v3/authentication/device-link/anonymous``,
``.../device-link/etsi/{id}``, ``.../notification/etsi/{id}``, ``GET /v3/session/{id}``), and
"plays the phone": ``/`` lists the sessions waiting for a person, with their verification code,
and lets you confirm (a real ACSP_V2 signature by the test person's key) or refuse. Opening a
device link (``/device-link?...``) does what the app does with a scanned QR code or a Web2App
link, including the ``authCode`` check. ``POST /mock/device-link`` and
``POST /mock/session/{id}`` do the same for scripts and tests (like SK's DEMO mock endpoint).

Run: ``python -m idp.eid.smartid.standin --port 5010 [--ca-dir instance/smartid-standin]``, then
configure the IdP with base URL ``http://127.0.0.1:5010/v3/``, scheme name ``smart-id-demo`` and
the CA file ``<ca-dir>/standin-ca.pem`` (also served at ``/ca.pem``).
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response, jsonify, render_template_string, request

from .. import testpki
from .standin_requests import Problem
from .standin_service import DEFAULT_PERSONAS, Persona, StandinService

HEADER = ("X-Standin", "smart-id-rp-api-v3")
CA_FILE, CA_KEY_FILE = "standin-ca.pem", "standin-ca-key.pem"

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>STAND-IN Smart-ID phone — not SK's service</title>
<style>body{font-family:sans-serif;max-width:50em;margin:1em auto}
.banner{background:#b00;color:#fff;padding:.5em}.vc{font-size:2em;font-weight:bold}
li{margin:1em 0;border:1px solid #ccc;padding:.5em}</style></head><body>
<p class="banner">STAND-IN — this is NOT SK's Smart-ID service. Test identities, test CA.</p>
<h1>Smart-ID phone (stand-in)</h1>
{% if error %}<p role="alert"><strong>Refused:</strong> {{ error }}</p>{% endif %}
{% if callback %}<p>Confirmed. The app would now open:
<a id="callback" href="{{ callback }}">{{ callback }}</a></p>{% endif %}
{% if done %}<p>Done. You can close this page.</p>{% endif %}
<ul>{% for s in sessions %}<li id="{{ s.id }}">
 <div>{{ s.kind }} session {{ s.id }}{% if s.persona %} for {{ s.persona.personal_code }}{% endif %}
  — RP: {{ s.body.relyingPartyName }}</div>
 {% if s.kind == 'notification' %}<div>Verification code: <span class="vc">{{ s.verification_code }}</span></div>{% endif %}
 <form method="post" action="{{ url_for('phone_confirm', session_id=s.id) }}">
  <label>Person <select name="personal_code">{% for p in personas %}
   {% if not s.persona or s.persona == p %}<option value="{{ p.personal_code }}">{{ p.given_name }} {{ p.family_name }} ({{ p.personal_code }})</option>{% endif %}
  {% endfor %}</select></label>
  {% if s.kind == 'notification' %}<input type="hidden" name="flow_type" value="Notification">
   {% if 'confirmationMessageAndVerificationCodeChoice' in s.interaction_types %}
   <label>Code shown on the login page <input name="vc" size="4"></label>{% endif %}
  {% elif flow %}<input type="hidden" name="flow_type" value="{{ flow }}">
  {% else %}<label>Flow <select name="flow_type"><option>QR</option>
   {% if s.body.initialCallbackUrl %}<option>Web2App</option>{% endif %}</select></label>{% endif %}
  <button>Confirm with PIN1</button></form>
 <form method="post" action="{{ url_for('phone_refuse', session_id=s.id) }}"><button>Refuse</button></form>
</li>{% else %}<li>No session is waiting for a person.</li>{% endfor %}</ul>
<p><a href="{{ url_for('ca_pem') }}">Stand-in TEST CA certificate</a></p></body></html>"""


def load_or_create_ca(ca_dir: str | Path | None) -> testpki.TestCa:
    """The stand-in's TEST CA: loaded from ``ca_dir`` if it holds one, else generated (and
    written there, so the IdP can be configured with ``standin-ca.pem``)."""
    if ca_dir is not None:
        folder = Path(ca_dir)
        if (folder / CA_FILE).exists() and (folder / CA_KEY_FILE).exists():
            return testpki.TestCa.from_pem((folder / CA_FILE).read_bytes(),
                                           (folder / CA_KEY_FILE).read_bytes())
    ca = testpki.make_ca("STAND-IN Smart-ID TEST CA (not SK)")
    if ca_dir is not None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / CA_FILE).write_bytes(ca.certificate_pem())
        key_file = folder / CA_KEY_FILE
        key_file.touch(mode=0o600)
        key_file.write_bytes(ca.key_pem())
    return ca


def create_standin_app(*, ca_dir: str | Path | None = None, ca: testpki.TestCa | None = None,
                       personas: Sequence[Persona] = DEFAULT_PERSONAS,
                       relying_parties: Mapping[str, str] | None = None,
                       clock: Callable[[], dt.datetime] | None = None,
                       scheme_name: str = "smart-id-demo",
                       session_timeout: dt.timedelta = dt.timedelta(minutes=2),
                       long_poll_cap_ms: int | None = None,
                       key_cache: MutableMapping[str, rsa.RSAPrivateKey] | None = None) -> Flask:
    """The stand-in as a Flask app. ``relying_parties``: accepted UUID → name (None accepts
    any, as a development convenience); ``long_poll_cap_ms`` shortens long polls and
    ``key_cache`` shares the test persons' RSA keys between apps (both for tests)."""
    app = Flask(__name__)
    service = StandinService(ca=ca or load_or_create_ca(ca_dir), personas=personas,
                             relying_parties=relying_parties, clock=clock, scheme_name=scheme_name,
                             session_timeout=session_timeout, long_poll_cap_ms=long_poll_cap_ms,
                             key_cache=key_cache)
    app.extensions["smartid_standin"] = service

    @app.after_request
    def label(response: Response) -> Response:
        response.headers[HEADER[0]] = HEADER[1]
        return response

    @app.errorhandler(Problem)
    def problem(error: Problem) -> tuple[Response | str, int]:
        if request.path.startswith(("/v3/", "/mock/")):
            body = {"type": "about:blank", "title": "stand-in refused", "status": error.status,
                    "detail": error.detail}
            return jsonify(body), error.status
        return _page(error=error.detail), error.status

    def start(kind: str, semantics_id: str | None = None) -> Response:
        base = f"{request.host_url.rstrip('/')}/device-link"
        return jsonify(service.start(kind, request.get_json(silent=True), semantics_id, base))

    app.add_url_rule("/v3/authentication/device-link/anonymous", "dl_anonymous",
                     lambda: start("device_link"), methods=["POST"])
    app.add_url_rule("/v3/authentication/device-link/etsi/<semantics_id>", "dl_etsi",
                     lambda semantics_id: start("device_link", semantics_id), methods=["POST"])
    app.add_url_rule("/v3/authentication/notification/etsi/<semantics_id>", "nf_etsi",
                     lambda semantics_id: start("notification", semantics_id), methods=["POST"])

    @app.get("/v3/session/<session_id>")
    def session_status(session_id: str) -> Response:
        try:
            timeout_ms = int(request.args.get("timeoutMs", "60500"))
        except ValueError:
            raise Problem(400, "timeoutMs must be an integer") from None
        return jsonify(service.status(session_id, timeout_ms))

    def _page(**context: Any) -> str:
        return render_template_string(PAGE, sessions=context.pop("sessions", service.pending()),
                                      personas=list(service.personas.values()), **context)

    @app.get("/")
    def phone() -> str:
        return _page()

    @app.get("/device-link")
    def device_link() -> str:
        """A Web2App link opened (or a QR code scanned) on the "phone"."""
        session, link_type = service.open_device_link(request.url)
        return _page(sessions=[session], flow=link_type)

    @app.post("/phone/<session_id>/confirm")
    def phone_confirm(session_id: str) -> str:
        callback = service.confirm(session_id, request.form.get("personal_code", ""),
                                   request.form.get("flow_type", ""), request.form.get("vc"))
        return _page(callback=callback, done=callback is None)

    @app.post("/phone/<session_id>/refuse")
    def phone_refuse(session_id: str) -> str:
        service.refuse(session_id)
        return _page(done=True)

    @app.post("/mock/device-link")
    def mock_device_link() -> Response:
        """Like SK DEMO's ``POST /mock/device-link``: ``{"personalCode", "deviceLink"}``."""
        data = request.get_json(silent=True) or {}
        session, link_type = service.open_device_link(str(data.get("deviceLink", "")))
        callback = service.confirm(session.id, str(data.get("personalCode", "")), link_type)
        return jsonify(sessionID=session.id, flowType=link_type, callbackUrl=callback)

    @app.post("/mock/session/<session_id>")
    def mock_session(session_id: str) -> Response:
        """``{"action": "confirm", "personalCode": ..., "vc"?: ...}`` or ``{"action": "refuse"}``
        for a notification session."""
        data = request.get_json(silent=True) or {}
        if data.get("action") == "refuse":
            service.refuse(session_id)
            return jsonify(sessionID=session_id, endResult="USER_REFUSED")
        service.confirm(session_id, str(data.get("personalCode", "")), "Notification",
                        data.get("vc"))
        return jsonify(sessionID=session_id)

    @app.get("/ca.pem")
    def ca_pem() -> Response:
        return Response(service.ca.certificate_pem(), mimetype="application/x-pem-file")

    return app


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="STAND-IN Smart-ID RP API v3 (not SK's service)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5010)
    parser.add_argument("--ca-dir", default=None, help="keep the TEST CA here (created if absent)")
    args = parser.parse_args(argv)
    app = create_standin_app(ca_dir=args.ca_dir)
    print(f"STAND-IN Smart-ID RP API v3 (NOT SK) on http://{args.host}:{args.port}/v3/ "
          f"(phone page: http://{args.host}:{args.port}/)")
    app.run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
