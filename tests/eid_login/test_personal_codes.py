"""One account per personal code at each school (the eID login finds the account by it), codes
validated where they enter, masked in logs; configuration of eID checked at start."""

from __future__ import annotations

import pytest

from idp import ConfigError, create_app
from idp.extensions import db
from idp.models import Account, School
from idp.services import accounts as account_service
from tests.conftest import TEST_CONFIG
from tests.eid_login.conftest import CODES


def school(slug: str) -> School:
    return db.session.scalar(db.select(School).where(School.slug == slug))


def test_two_accounts_of_one_school_never_share_a_code(app, cast):
    with app.app_context():
        with pytest.raises(account_service.AccountError, match="juhan"):
            account_service.add(school("alpha"), username="teine", given_name="Teine",
                                family_name="Juhan", roles=["parent"], isikukood=CODES["juhan"])
        with pytest.raises(account_service.RuleError) as refused:
            account_service.create_account(school("alpha"), username="kolmas", given_name="K",
                                           family_name="J", roles=["parent"], actor="dora",
                                           via="test", isikukood=CODES["juhan"])
        assert refused.value.code == "isikukood_taken"
        peeter = db.session.scalar(db.select(Account).where(Account.username == "peeter"))
        with pytest.raises(account_service.RuleError):
            account_service.update_account(peeter, actor="dora", via="test",
                                           personal={"isikukood": CODES["juhan"]})


def test_the_same_code_at_another_school_is_fine(app, cast):
    with app.app_context():
        account = account_service.add(school("beta"), username="juhan2", given_name="Juhan",
                                      family_name="Kask", roles=["parent"],
                                      isikukood=CODES["juhan"])
        assert account.person.isikukood == CODES["juhan"]
        same = db.session.scalar(db.select(Account).where(Account.username == "juhan"))
        assert account_service.update_account(same, actor="t", via="t",
                                              personal={"isikukood": CODES["juhan"]}) == []


def test_invalid_code_is_refused_where_it_enters(app, cast):
    with app.app_context(), pytest.raises(account_service.AccountError, match="isikukood"):
        account_service.add(school("alpha"), username="vale", given_name="V",
                            family_name="K", roles=["parent"], isikukood="38001085717")


@pytest.mark.parametrize(("changes", "message"), [
    ({"WEBEID_ORIGIN": "http://idp.example.ee"}, "IDP_WEBEID_ORIGIN"),
    ({"WEBEID_ORIGIN": "https://idp.example.ee/login"}, "IDP_WEBEID_ORIGIN"),
    ({"SMARTID_POLL_TIMEOUT_MS": 500}, "IDP_SMARTID_POLL_TIMEOUT_MS"),
    ({"SMARTID_CERTIFICATE_LEVEL": "BASIC"}, "IDP_SMARTID_CERTIFICATE_LEVEL"),
    ({"PASSWORD_EXCEPTION_MAX_HOURS": 48}, "IDP_PASSWORD_EXCEPTION_MAX_HOURS"),
    ({"SMARTID_EXTRA_CA_FILES": ["/nonexistent/ca.pem"]}, "IDP_SMARTID_EXTRA_CA_FILES"),
], ids=["origin-http", "origin-path", "poll", "level", "exception-hours", "ca-file"])
def test_eid_configuration_is_checked_at_start(tmp_path, changes, message):
    with pytest.raises(ConfigError, match=message):
        create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://", **changes},
                   instance_path=str(tmp_path))


def test_production_smartid_must_be_https(tmp_path):
    config = {**TEST_CONFIG, "ENV": "production", "ISSUER": "https://idp.example.ee",
              "SECRET_KEY": "x" * 40, "KEYS_PASSPHRASE": "y" * 40, "KEYS_AUTO_GENERATE": False,
              "SMARTID_RELYING_PARTY_UUID": "u", "SMARTID_RELYING_PARTY_NAME": "n",
              "SMARTID_BASE_URL": "http://127.0.0.1:5010/v3/",
              "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    with pytest.raises(ConfigError, match="IDP_SMARTID_BASE_URL"):
        create_app(config, instance_path=str(tmp_path))


def test_personal_codes_are_masked_in_the_logs(client, cast, world, standin, caplog):
    from tests.eid_login.flows import authorize_url, smartid_start
    caplog.set_level("DEBUG", logger="idp")
    login, _, _ = authorize_url(client, world.schools["alpha"])
    smartid_start(client, login, "60001017869")  # no Smart-ID account: refused by the service
    smartid_start(client, login, "38001085717")  # not a valid code
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("idp"))
    assert "6*********9" in logged
    assert "60001017869" not in logged and "38001085717" not in logged
