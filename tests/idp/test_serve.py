"""``idp serve``'s settings, configuration errors on the command line, trusted proxy headers."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from flask import request

from idp import ConfigError, create_app
from idp.config import DefaultConfig
from idp.serve import DEFAULT_SERVER, ServeOptions, cpu_count, supervise


def test_serve_defaults_are_sized_to_the_cpus():
    options = ServeOptions.from_config({**vars(DefaultConfig)})
    assert options.server == DEFAULT_SERVER == "granian"
    assert (options.host, options.port) == ("127.0.0.1", 8000)
    assert options.workers == cpu_count() >= 1
    assert options.threads == 8


def test_serve_options_given_override_the_settings():
    config = {**vars(DefaultConfig), "SERVER": "granian", "BIND": "0.0.0.0:9000", "WORKERS": 3}
    options = ServeOptions.from_config(config, server="gunicorn", bind="[::1]:8443", threads=2)
    assert (options.server, options.host, options.port) == ("gunicorn", "::1", 8443)
    assert (options.workers, options.threads) == (3, 2)


PRODUCTION = {"IDP_ISSUER": "https://login.koolid.ee", "IDP_SECRET_KEY": "s" * 40,
              "IDP_KEYS_PASSPHRASE": "p" * 40}


def idp_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    return subprocess.run([sys.executable, "-m", "idp", *args], capture_output=True, text=True,
                          timeout=60, env={**clean, **PRODUCTION, **env})


BAD_SETTINGS = {
    "workers": ({"WORKERS": "many"}, "IDP_WORKERS must be a whole number of at least 0"),
    "threads": ({"THREADS": 0}, "IDP_THREADS must be a whole number of at least 1"),
    "server": ({"SERVER": "waitress"}, "IDP_SERVER must be granian or gunicorn"),
    "bind": ({"BIND": "8000"}, "IDP_BIND must be HOST:PORT"),
    "proxies": ({"PROXY_FIX_HOPS": -1}, "IDP_PROXY_FIX_HOPS must be a whole number"),
    "database": ({"SQLALCHEMY_DATABASE_URI": "mysql://idp@db/idp"},
                 "IDP_DATABASE_URL cannot be used"),
    "not-a-url": ({"SQLALCHEMY_DATABASE_URI": "idp.sqlite3"}, "IDP_DATABASE_URL must be"),
}


@pytest.mark.parametrize("config,message", BAD_SETTINGS.values(), ids=BAD_SETTINGS.keys())
def test_serve_settings_are_checked(tmp_path, config, message):
    with pytest.raises(ConfigError, match=message):
        create_app({"ENV": "testing", **config}, instance_path=str(tmp_path))


@pytest.mark.parametrize("env,message", [
    ({"IDP_WORKERS": "many"}, "IDP_WORKERS must be a whole number of at least 0"),
    ({"IDP_DATABASE_URL": "mysql://idp@db/idp"}, "IDP_DATABASE_URL cannot be used"),
], ids=["serve-setting", "database"])
def test_cli_configuration_error_is_one_line_and_exit_status_2(tmp_path, env, message):
    result = idp_cli("serve", IDP_INSTANCE_PATH=str(tmp_path), **env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("configuration error: ")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_postgresql_urls_use_psycopg_and_check_connections_before_use(tmp_path):
    from flask import Flask

    from idp import load_config
    app = Flask(__name__)
    load_config(app, {"ENV": "testing", "SQLALCHEMY_DATABASE_URI": "postgresql://idp@db/idp"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://idp@db/idp"
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_supervise_returns_the_server_status_and_stops_the_worker(tmp_path):
    """The server ended by itself (status 3): the worker is stopped, the status passed on."""
    marker = tmp_path / "worker-stopped"
    worker = [sys.executable, "-c", "import signal, sys, time\n"
              f"signal.signal(signal.SIGTERM, lambda *a: (open({str(marker)!r}, 'w'), sys.exit(0)))\n"
              "time.sleep(60)"]
    server = [sys.executable, "-c", "import time, sys; time.sleep(1); sys.exit(3)"]
    assert supervise(server, worker) == 3
    assert marker.exists()


@pytest.fixture
def address_app(app):
    @app.route("/_test/address")
    def address():
        from idp.extensions import limiter
        return {"remote_addr": request.remote_addr, "scheme": request.scheme,
                "limiter_key": limiter._key_func()}
    return app


FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


def test_forwarded_headers_are_ignored_by_default(address_app):
    seen = address_app.test_client().get(
        "/_test/address", headers=FORWARDED, environ_base={"REMOTE_ADDR": "198.51.100.2"}).get_json()
    assert seen == {"remote_addr": "198.51.100.2", "scheme": "http", "limiter_key": "198.51.100.2"}


@pytest.mark.parametrize("app_config", [{"PROXY_FIX_HOPS": 1}], indirect=True)
def test_forwarded_headers_of_one_trusted_proxy_are_honoured(address_app):
    client = address_app.test_client()
    seen = client.get("/_test/address", environ_base={"REMOTE_ADDR": "10.0.0.5"},
                      headers={**FORWARDED, "X-Forwarded-For": "192.0.2.66, 203.0.113.7"}).get_json()
    # only the last hop, the one our proxy added; the client may have forged the ones before
    assert seen == {"remote_addr": "203.0.113.7", "scheme": "https", "limiter_key": "203.0.113.7"}
    metadata = client.get("/.well-known/openid-configuration", headers=FORWARDED).get_json()
    assert metadata["issuer"] == "http://idp.test"  # the issuer comes from ISSUER, never a header
