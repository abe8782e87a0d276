"""/metrics: who may read it, and that each metric counts what it says."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from idp.config import ConfigError, validate_config
from idp.delivery import outbox
from idp.extensions import db
from idp.models import School
from idp.ops import metrics, record_purge
from tests.helpers import SECRETS, submit_login
from tests.idp._protocol import log_in, refresh

from .conftest import production_config

TOKEN = "m" * 40


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client, **kw) -> dict:
    response = client.get("/metrics", **kw)
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {s.name: s for f in text_string_to_metric_families(response.text) for s in f.samples
            if not s.labels} | {(s.name, tuple(sorted(s.labels.items()))): s
                                for f in text_string_to_metric_families(response.text)
                                for s in f.samples}


def test_requests_are_counted_by_endpoint_method_and_status(client):
    before = value("idp_http_requests_total", endpoint="discovery.jwks", method="GET", status="200")
    hist = value("idp_http_request_duration_seconds_count", endpoint="discovery.jwks")
    client.get("/jwks.json")
    client.get("/jwks.json")
    assert value("idp_http_requests_total", endpoint="discovery.jwks", method="GET",
                 status="200") == before + 2
    assert value("idp_http_request_duration_seconds_count", endpoint="discovery.jwks") == hist + 2
    missing = value("idp_http_requests_total", endpoint="unmatched", method="GET", status="404")
    client.get("/no/such/page")
    assert value("idp_http_requests_total", endpoint="unmatched", method="GET",
                 status="404") == missing + 1
    weird = value("idp_http_requests_total", endpoint="unmatched", method="other", status="405")
    client.open("/no/such/page", method="BREW")
    assert value("idp_http_requests_total", endpoint="unmatched", method="other",
                 status="405") in (weird, weird + 1)  # Werkzeug answers 404 or 405


def test_logins_are_counted_by_method_and_outcome(client, world):
    ok = value("idp_logins_total", method="password", outcome="success")
    bad = value("idp_logins_total", method="password", outcome="failed")
    log_in(client, world.schools["alpha"], "mari")
    assert value("idp_logins_total", method="password", outcome="success") == ok + 1
    response = client.get("/login/school/alpha")
    submit_login(client, response.location, "mari", password="not the password")
    assert value("idp_logins_total", method="password", outcome="failed") == bad + 1


def test_other_login_methods_and_outcomes_have_their_labels():
    before = value("idp_logins_total", method="smartid", outcome="no_account")
    metrics.count_login_event("eid_login_no_account", {"method": "smartid"})
    metrics.count_login_event("profile_changed", {"method": "smartid"})  # not a login
    assert value("idp_logins_total", method="smartid", outcome="no_account") == before + 1


def test_tokens_are_counted_by_grant_type(client, world):
    codes = value("idp_tokens_issued_total", grant_type="authorization_code")
    refreshes = value("idp_tokens_issued_total", grant_type="refresh_token")
    machine = value("idp_tokens_issued_total", grant_type="client_credentials")
    tokens = log_in(client, world.schools["alpha"], "mari")
    assert refresh(client, world.schools["alpha"], tokens["refresh_token"]).status_code == 200
    assert client.post("/token", data={"grant_type": "client_credentials"},
                       auth=("alpha", SECRETS["alpha"])).status_code == 200
    refused = client.post("/token", data={"grant_type": "refresh_token",
                                          "refresh_token": tokens["refresh_token"]},
                          auth=("alpha", SECRETS["alpha"]))
    assert refused.status_code == 400  # a replayed refresh token issues nothing
    assert value("idp_tokens_issued_total", grant_type="authorization_code") == codes + 1
    assert value("idp_tokens_issued_total", grant_type="refresh_token") == refreshes + 1
    assert value("idp_tokens_issued_total", grant_type="client_credentials") == machine + 1


def test_pending_and_failed_deliveries_per_school(app, client, world):
    with app.app_context():
        alpha = db.session.scalar(db.select(School).where(School.slug == "alpha"))
        for _ in range(2):
            outbox.enqueue("security_event", "https://alpha.school.test/events", {}, school_id=alpha.id)
        failed = outbox.enqueue("backchannel_logout", "https://alpha.school.test/bcl", {},
                                school_id=alpha.id)
        outbox.enqueue("email", "mari@example.ee", {"subject": "x"})
        failed.status = "failed"
        db.session.commit()
    samples = scrape(client)
    gauge = {labels: s.value for (name, labels), s in
             ((k, v) for k, v in samples.items() if isinstance(k, tuple))
             if name == "idp_outbox_messages"}
    assert gauge == {(("school", "alpha"), ("status", "pending")): 2,
                     (("school", "alpha"), ("status", "failed")): 1,
                     (("school", "-"), ("status", "pending")): 1}
    assert samples["idp_outbox_query_ok"].value == 1


def test_purge_counts(client):
    before = value("idp_purged_rows_total", table="authorization_code")
    record_purge({"authorization_code": 120, "token": 0})
    assert value("idp_purged_rows_total", table="authorization_code") == before + 120
    assert ("idp_purged_rows_total", (("table", "authorization_code"),)) in scrape(client)


def test_delivery_attempts_are_counted(app, world):
    from idp.delivery.worker import deliver
    before = value("idp_outbox_deliveries_total", kind="backchannel_logout", outcome="final")
    with app.app_context():
        message = outbox.enqueue("backchannel_logout", "http://127.0.0.1:9/bcl", {"sub": "s"})
        db.session.commit()
        deliver([message.id], wait_seconds=10)
    assert value("idp_outbox_deliveries_total", kind="backchannel_logout",
                 outcome="final") == before + 1


# --- who may read /metrics ----------------------------------------------------------------

@pytest.mark.parametrize("app_config", [{"METRICS_ENABLED": False}], indirect=True)
def test_metrics_switched_off_is_an_unknown_page(client):
    assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize("app_config", [{"METRICS_TOKEN": TOKEN}], indirect=True)
def test_with_a_token_the_scraper_must_send_it(client):
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 40}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 401
    scrape(client, headers={"Authorization": f"Bearer {TOKEN}"},
           environ_base={"REMOTE_ADDR": "203.0.113.9"})


def test_without_a_token_only_loopback_may_read_them(client):
    scrape(client)  # the test client is 127.0.0.1
    far = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert far.status_code == 403


def test_metrics_default_off_in_production_and_on_elsewhere():
    class App:
        def __init__(self, **config):
            self.config = config
    assert not metrics.enabled(App(ENV="production", METRICS_ENABLED=None))
    assert metrics.enabled(App(ENV="production", METRICS_ENABLED=True))
    assert metrics.enabled(App(ENV="development", METRICS_ENABLED=None))


def test_config_refuses_metrics_in_production_without_a_token():
    validate_config(production_config())
    validate_config(production_config(METRICS_ENABLED=True, METRICS_TOKEN=TOKEN))
    with pytest.raises(ConfigError, match="IDP_METRICS_TOKEN"):
        validate_config(production_config(METRICS_ENABLED=True))


def test_config_refuses_a_short_metrics_token():
    with pytest.raises(ConfigError, match="at least 32 characters"):
        validate_config(production_config(METRICS_ENABLED=True, METRICS_TOKEN="short"))


def test_config_show_masks_the_metrics_token():
    from idp.config import public_view
    assert public_view({"METRICS_TOKEN": TOKEN})["METRICS_TOKEN"] == "********"
