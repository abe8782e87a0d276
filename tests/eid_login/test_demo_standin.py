"""``demo run`` starts the Smart-ID stand-in (port 5010) and points the IdP at it by
configuration alone; the stand-in knows the demo people."""

from __future__ import annotations

import subprocess
from pathlib import Path

import waitress
from cryptography import x509

from idp import demo
from idp.login import eid_services, eid_standin


def test_demo_points_smartid_at_the_standin(app, monkeypatch):
    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda args, **kw: started.append(args) or "child")
    app.config["SMARTID_RELYING_PARTY_UUID"] = ""
    with app.app_context():
        assert demo.smartid_standin("localhost") == "child"
        with app.test_request_context():
            assert eid_services.smartid_available()
            client = eid_services.smartid_client()
    (args,) = started
    assert args[1:3] == ["-m", "idp.login.eid_standin"] and "5010" in args
    assert "48003120218:Mari:Maasikas" in args and "47101010033:Tiina:Tamm" in args
    cfg = app.config
    assert cfg["SMARTID_BASE_URL"] == "http://localhost:5010/v3/"
    assert cfg["SMARTID_SCHEME_NAME"] == "smart-id-demo"
    assert cfg["SMARTID_STANDIN_PHONE_URL"] == "http://localhost:5010/"
    (ca_file,) = cfg["SMARTID_EXTRA_CA_FILES"]
    standin_ca = x509.load_pem_x509_certificate(Path(ca_file).read_bytes())
    assert standin_ca in client.config.trusted_cas  # the stand-in's TEST CA is trusted


def test_demo_keeps_a_configured_smartid(app, monkeypatch):
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **kw: (_ for _ in ()).throw(AssertionError))
    app.config["SMARTID_RELYING_PARTY_UUID"] = "00000000-0000-4000-8000-000000000000"
    with app.app_context():
        assert demo.smartid_standin("localhost") is None


def test_standin_command_knows_the_demo_people(monkeypatch, tmp_path, capsys):
    ran = {}
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: ran.update(kw, app=app))
    eid_standin.main(["--port", "5010", "--ca-dir", str(tmp_path),
                      "--persona", "48003120218:Mari:Maasikas"])
    service = ran["app"].extensions["smartid_standin"]
    assert service.personas["48003120218"].given_name == "MARI"
    assert "40404040009" in service.personas  # and SK's test persons
    assert (tmp_path / "standin-ca.pem").exists() and "NOT SK" in capsys.readouterr().out
