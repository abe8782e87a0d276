"""schools_client.provisioning against the real IdP, served on a loopback socket."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import requests
import responses

from idp.extensions import db
from idp.models import Token
from schools_client.errors import TokenEndpointError
from schools_client.provisioning import (
    Account,
    AccountInput,
    ProvisioningClient,
    ProvisioningError,
)
from tests.conftest import close_app, make_app
from tests.e2e.servers import Served, bind
from tests.helpers import SECRETS, build_world

CODE = "50001010006"


class CountingSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str]] = []

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        self.calls.append((method, url))
        return super().request(method, url, *args, **kwargs)

    def token_calls(self) -> int:
        return sum(1 for _, url in self.calls if url.endswith("/token"))


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def live_idp(tmp_path, postgres_base_url, shared_keys_dir) -> Iterator[tuple[Served, object]]:
    served = bind()
    app = make_app(tmp_path, postgres_base_url, shared_keys_dir, ISSUER=served.url)
    with app.app_context():
        build_world()
    served.attach(app)
    yield served, app
    served.stop()
    close_app(app, drop_tables=True)


@pytest.fixture
def http() -> Iterator[CountingSession]:
    with CountingSession() as session:
        yield session


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(live_idp, http, clock) -> ProvisioningClient:
    served, _app = live_idp
    return ProvisioningClient(served.url, "alpha", SECRETS["alpha"], http=http,
                              allow_insecure_http=True, clock=clock)


def kati(**change) -> AccountInput:
    fields = {"username": "kati.kask", "given_name": "Kati", "family_name": "Kask",
              "roles": ["student"], **change}
    return AccountInput(**fields)


def test_upsert_get_and_idempotency(api):
    first = api.upsert("S1", kati(isikukood=CODE, email="kati@example.ee"))
    assert first.created is True
    account = first.account
    assert isinstance(account, Account) and account.external_id == "S1"
    assert account.birthdate == dt.date(2000, 1, 1) and account.roles == ("student",)
    assert account.active and not account.linked and account.students == ()
    again = api.upsert("S1", kati(isikukood=CODE, email="kati@example.ee"))
    assert again.created is False and again.account == account
    assert api.get("S1") == account
    assert api.get("S404") is None


def test_erase_and_status(api):
    api.upsert("S1", kati(email="kati@example.ee"))
    account = api.upsert("S1", kati(erase=frozenset({"email"}), status="disabled")).account
    assert account.email is None and account.status == "disabled"
    assert api.enable("S1").active
    with pytest.raises(ValueError):
        kati(erase=frozenset({"username"})).to_json()


def test_validation_errors_carry_the_problem_details(api):
    with pytest.raises(ProvisioningError) as caught:
        api.upsert("S1", kati(isikukood="50001010007", username="x"))
    error = caught.value
    assert error.status == 422 and error.problem["title"] == "Invalid request data"
    assert {e["pointer"] for e in error.errors} == {"#/username", "#/isikukood"}
    api.upsert("S1", kati())
    with pytest.raises(ProvisioningError) as caught:
        api.upsert("S2", kati())
    assert caught.value.status == 409 and caught.value.errors[0]["code"] == "username_taken"


def test_guardianships_and_disable(api):
    api.upsert("S1", kati())
    api.upsert("P1", kati(username="mari.kask", given_name="Mari", roles=["parent"]))
    assert api.add_student("P1", "S1") is True
    assert api.add_student("P1", "S1") is False
    assert [s.external_id for s in api.get("P1").students] == ["S1"]
    with pytest.raises(ProvisioningError) as caught:
        api.add_student("S1", "P1")
    assert caught.value.status == 409
    api.remove_student("P1", "S1")
    assert api.get("P1").students == ()
    api.disable("S1")
    api.disable("S1")
    assert api.get("S1").status == "disabled"
    with pytest.raises(ProvisioningError) as caught:
        api.disable("S404")
    assert caught.value.status == 404


def test_external_ids_are_quoted_in_paths(api):
    api.upsert("a:b@c.d", kati())
    assert api.get("a:b@c.d").external_id == "a:b@c.d"
    assert api.get("a/b") is None


def test_every_account_page_after_page(api):
    for i in range(5):
        api.upsert(f"S{i}", kati(username=f"opilane{i}"))
    names = [a.username for a in api.accounts(limit=2)]
    assert len(names) == len(set(names)) == 8  # and mari, kati, juhan of the world
    page = api.page(limit=3)
    assert len(page.items) == 3 and page.next is not None
    assert api.page(page.next).items[0] not in page.items


def test_the_token_is_cached_and_renewed_before_it_expires(api, http, clock):
    api.get("S1")
    api.get("S2")
    assert http.token_calls() == 1
    clock.now += 600 - 29  # within the leeway of a 600-second token
    api.get("S3")
    assert http.token_calls() == 2


def test_a_revoked_token_is_replaced_once(api, http, live_idp):
    _served, app = live_idp
    api.get("S1")
    with app.app_context():
        for token in db.session.scalars(db.select(Token)):
            token.revoked_at = token.issued_at
        db.session.commit()
    assert api.get("S1") is None  # a new token, the call retried
    assert http.token_calls() == 2


def test_a_read_only_token_cannot_write(live_idp, http):
    served, _app = live_idp
    api = ProvisioningClient(served.url, "alpha", SECRETS["alpha"], scope="accounts:read",
                             http=http, allow_insecure_http=True)
    with pytest.raises(ProvisioningError) as caught:
        api.upsert("S1", kati())
    assert caught.value.status == 403 and http.token_calls() == 1


def test_a_wrong_secret(live_idp, http):
    served, _app = live_idp
    api = ProvisioningClient(served.url, "alpha", "wrong", http=http, allow_insecure_http=True)
    with pytest.raises(TokenEndpointError) as caught:
        api.get("S1")
    assert caught.value.error == "invalid_client" and caught.value.status == 401


def test_the_client_is_bound_to_its_school(live_idp, http):
    served, _app = live_idp
    alpha = ProvisioningClient(served.url, "alpha", SECRETS["alpha"], http=http, allow_insecure_http=True)
    beta = ProvisioningClient(served.url, "beta", SECRETS["beta"], http=http, allow_insecure_http=True)
    alpha.upsert("S1", kati())
    assert beta.get("S1") is None
    assert "kati.kask" not in {a.username for a in beta.accounts()}


ISSUER = "https://idp.example.test"


def test_a_next_link_elsewhere_is_refused_and_the_token_not_sent():
    """The token goes to the API only, whatever a response says."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(f"{ISSUER}/.well-known/openid-configuration", json={
            "issuer": ISSUER, "authorization_endpoint": f"{ISSUER}/authorize",
            "token_endpoint": f"{ISSUER}/token", "jwks_uri": f"{ISSUER}/jwks.json",
            "response_types_supported": ["code"], "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"]})
        mock.post(f"{ISSUER}/token", json={"access_token": "t", "token_type": "Bearer",
                                           "expires_in": 600})
        mock.get(f"{ISSUER}/api/v1/accounts", json={"items": [], "next": "https://evil.test/x"})
        api = ProvisioningClient(ISSUER, "alpha", "secret")
        with pytest.raises(ProvisioningError, match="outside the API"):
            list(api.accounts())


def test_unexpected_responses_are_provisioning_errors():
    with responses.RequestsMock() as mock:
        mock.get(f"{ISSUER}/.well-known/openid-configuration", json={
            "issuer": ISSUER, "authorization_endpoint": f"{ISSUER}/authorize",
            "token_endpoint": f"{ISSUER}/token", "jwks_uri": f"{ISSUER}/jwks.json",
            "response_types_supported": ["code"], "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"]})
        mock.post(f"{ISSUER}/token", json={"access_token": "t", "expires_in": 600})
        mock.get(f"{ISSUER}/api/v1/accounts/S1", json={"username": 5})
        mock.get(f"{ISSUER}/api/v1/accounts/S2", body="<html>")
        mock.get(f"{ISSUER}/api/v1/accounts/S3", status=500, body="oops")
        api = ProvisioningClient(ISSUER, "alpha", "secret")
        for external_id, status in (("S1", None), ("S2", 200), ("S3", 500)):
            with pytest.raises(ProvisioningError) as caught:
                api.get(external_id)
            assert caught.value.status == status
