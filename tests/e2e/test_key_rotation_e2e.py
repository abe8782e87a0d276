"""Key rotation end to end: a school keeps verifying across `idp keys rotate` without a
restart (its JWKS cache refetches on the unknown kid), and a pruned key's tokens are refused."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import requests
import time_machine
from joserfc import jws

from idp.extensions import db
from idp.services import schools as school_service
from schools_client.errors import TokenVerificationError
from schools_client.jwks import JWKSCache
from schools_client.tokens import verify_id_token
from tests.e2e.browserless import code_flow
from tests.e2e.conftest import PASSWORD, build_stack


@pytest.fixture
def rotating_stack(tmp_path, postgres_base_url):
    stack = build_stack(tmp_path, postgres_base_url, tmp_path / "fresh-keys", JWKS_CACHE_SECONDS=30)
    with stack.app.app_context():
        school = school_service.get("noomuusikakool")
        secret = school_service.rotate_secret(school)
        db.session.commit()
        info = {"client_id": school.client_id, "secret": secret, "redirect_uri": school.redirect_uris[0]}
    yield stack, info
    for served in [stack.idp, *stack.schools.values()]:
        served.stop()
    with stack.app.app_context():
        db.engine.dispose()


def kid_of(token: str) -> str:
    return jws.extract_compact(token.encode()).protected["kid"]


def test_school_verifies_across_rotation_and_refuses_pruned_key(rotating_stack):
    stack, school = rotating_stack
    idp = stack.idp.url
    cli = stack.app.test_cli_runner()
    cache = JWKSCache(f"{idp}/jwks.json", http=requests.Session(), min_refetch_interval=0)

    def verify(token: str) -> dict:
        return verify_id_token(token, issuer=idp, audience=school["client_id"], algorithms=["RS256"],
                               keys=cache, nonce=None, leeway=5, now=time.time())

    before = code_flow(requests.Session(), idp, school, "mari", PASSWORD)["id_token"]
    assert verify(before)["iss"] == idp  # the school has now cached the JWKS

    assert cli.invoke(args=["keys", "generate"]).exit_code == 0
    refused = cli.invoke(args=["keys", "rotate"])
    assert refused.exit_code == 1  # the next key was published less than the cache lifetime ago

    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=31), tick=True):
        assert cli.invoke(args=["keys", "rotate"]).exit_code == 0
        after = code_flow(requests.Session(), idp, school, "mari", PASSWORD)["id_token"]
        assert kid_of(after) != kid_of(before)
        assert verify(after)["sub"] == verify(before)["sub"]  # new key: refetched on unknown kid
        assert verify(before)  # the retiring key still verifies old tokens

        pruned = cli.invoke(args=["keys", "prune"])
        assert pruned.exit_code == 1  # tokens it signed may still be alive
        assert cli.invoke(args=["keys", "prune", "--force"]).exit_code == 0

    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=65), tick=True):
        with pytest.raises(TokenVerificationError) as refused_old:
            verify(before)
        assert refused_old.value.reason == "unknown_kid"
        assert verify(after)
