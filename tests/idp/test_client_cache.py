"""The schools' client cache (idp/oauth/client_cache.py): two nodes (two app instances on one
database and one generation source) see a secret rotation, a disabled school or new redirect
URIs at once, whichever node made the change; without a readable generation nothing is cached."""

from __future__ import annotations

import uuid

import pytest

from idp import create_app
from idp.extensions import db
from idp.oauth import client_cache
from idp.services import schools as school_service
from tests.conftest import TEST_CONFIG, close_app
from tests.helpers import auth_params, pkce_pair, redis_reachable
from tests.perf.counting import count_queries


@pytest.fixture(params=["file", "redis"])
def shared(request, app) -> dict:
    """What the second node shares with the first: the database, keys, generation source."""
    extra: dict = {}
    if request.param == "redis":
        if not redis_reachable():
            pytest.skip("no Redis on 127.0.0.1:6379")
        # a key prefix of this test alone (the server is shared); rate limits stay in memory
        extra = {"REDIS_URL": "redis://127.0.0.1:6379/0", "RATELIMIT_STORAGE_URI": "memory://",
                 "REDIS_KEY_PREFIX": f"idp-test-{uuid.uuid4().hex}:"}
        app.config.update(extra)
        client_cache.init_client_cache(app)
    return {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "KEYS_DIR": app.config["KEYS_DIR"], **extra}


@pytest.fixture
def node2(app, shared):
    other = create_app(shared, instance_path=app.instance_path)
    yield other
    close_app(other)
    if shared.get("REDIS_URL"):
        with app.app_context():
            client_cache.cache().generation.redis.delete(client_cache.cache().generation.key)


def client_credentials(app, school: dict, secret: str | None = None):
    return app.test_client().post("/token", data={"grant_type": "client_credentials"},
                                  auth=(school["client_id"], secret or school["secret"]))


def test_the_record_is_read_once_per_generation(app, node2, world):
    alpha = world.schools["alpha"]
    assert client_credentials(app, alpha).status_code == 200
    with count_queries(app) as counts:
        assert client_credentials(app, alpha).status_code == 200
    assert not any("FROM school" in sql for sql in counts.sql), counts.report()


def test_a_secret_rotated_on_one_node_is_refused_on_the_other_at_once(app, node2, world):
    alpha = world.schools["alpha"]
    for node in (app, node2):  # both have cached the school
        assert client_credentials(node, alpha).status_code == 200
    with app.app_context():
        new_secret = school_service.rotate_secret(school_service.get("alpha"))
        db.session.commit()
    for node in (node2, app):
        assert client_credentials(node, alpha).status_code == 401
        assert client_credentials(node, alpha, new_secret).status_code == 200


def test_a_school_disabled_with_the_cli_on_one_node_is_refused_on_the_other(app, node2, world):
    alpha = world.schools["alpha"]
    _, challenge = pkce_pair()
    for node in (app, node2):
        assert client_credentials(node, alpha).status_code == 200
        assert node.test_client().get("/authorize", query_string=auth_params(alpha, challenge)).status_code == 302
    result = node2.test_cli_runner().invoke(args=["schools", "update", "alpha", "--disable"])
    assert result.exit_code == 0, result.output
    for node in (app, node2):
        assert client_credentials(node, alpha).status_code == 401
        page = node.test_client().get("/authorize", query_string=auth_params(alpha, challenge))
        assert page.status_code == 400  # unknown school: no redirect


def test_redirect_uris_changed_on_one_node_apply_on_the_other(app, node2, world):
    alpha = world.schools["alpha"]
    _, challenge = pkce_pair()
    new_uri = "https://alpha.school.test/new-cb"
    params = auth_params({**alpha, "redirect_uri": new_uri}, challenge)
    assert node2.test_client().get("/authorize", query_string=params).status_code == 400
    with app.app_context():
        school_service.update(school_service.get("alpha"), redirect_uris=[new_uri])
        db.session.commit()
    assert node2.test_client().get("/authorize", query_string=params).status_code == 302


def test_a_bulk_update_of_schools_starts_a_new_generation(app, world):
    with app.app_context():
        before = client_cache.cache().generation.current()
        db.session.execute(db.update(client_cache.School).values(name="Uus nimi"))
        db.session.commit()
        assert client_cache.cache().generation.current() != before


def test_a_rolled_back_change_keeps_the_generation(app, world):
    with app.app_context():
        before = client_cache.cache().generation.current()
        school_service.get("alpha").name = "Ei jää"
        db.session.flush()
        db.session.rollback()
        assert client_cache.cache().generation.current() == before


def test_an_unreadable_generation_reads_the_database_every_time(app, world, monkeypatch):
    alpha = world.schools["alpha"]
    assert client_credentials(app, alpha).status_code == 200
    with app.app_context():
        monkeypatch.setattr(client_cache.cache().generation, "current", lambda: None)
    with count_queries(app) as counts:
        assert client_credentials(app, alpha).status_code == 200
    assert any("FROM school" in sql for sql in counts.sql), counts.report()


def test_the_snapshot_keeps_the_digest_not_the_secret(app, world):
    with app.app_context():
        snapshot = client_cache.school_client("alpha")
        assert world.schools["alpha"]["secret"] not in repr(snapshot)
        assert snapshot.check_client_secret(world.schools["alpha"]["secret"])
        assert not snapshot.check_client_secret("wrong")
