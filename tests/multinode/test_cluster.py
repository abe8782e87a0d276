"""Two IdP nodes (``idp serve`` processes on two ports) on one PostgreSQL database and one
Redis behave as one IdP, and a dropped database connection costs no request."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests
import sqlalchemy as sa

from idp import create_app
from idp.extensions import db
from keys import KeyStore
from tests.conftest import TEST_CONFIG
from tests.helpers import PASSWORD, build_world, redis_reachable
from tests.multinode.flows import authorize, code_of, log_in, redeem, refresh
from tests.multinode.nodes import (
    KEYS_PASSPHRASE,
    Node,
    browser,
    node_environment,
    start_node,
)

# one cluster per run: every test of this module goes to the same xdist worker (loadgroup)
pytestmark = [pytest.mark.multinode, pytest.mark.xdist_group("multinode-cluster")]

RECOVERY_LIMIT = 3


@dataclass
class Cluster:
    nodes: list[Node]
    env: dict
    schools: dict
    database: str
    admin_url: str

    def idp(self, *args: str) -> subprocess.CompletedProcess:
        """The ``idp`` command as an operator runs it beside the nodes."""
        result = subprocess.run([sys.executable, "-m", "idp", *args], env=self.env, text=True,
                                capture_output=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result

    def terminate_backends(self) -> int:
        """``pg_terminate_backend`` on every connection of the nodes' database."""
        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                return len(conn.execute(sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": self.database}).all())
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def cluster(postgres_base_url, shared_keys_dir, tmp_path_factory):
    """A database of its own (nothing else truncates it), the test world in it, a production
    keystore, and two nodes on it sharing Redis under a key prefix of this run."""
    if not postgres_base_url:
        pytest.skip("several nodes need PostgreSQL: set IDP_TEST_DATABASE_URL "
                    "(make test runs these on PostgreSQL)")
    if not redis_reachable():
        pytest.skip("several nodes share Redis: none answers on 127.0.0.1:6379")
    base, _, admin_db = postgres_base_url.rpartition("/")
    admin_url = f"{base}/postgres"
    name = f"idp_multinode_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    tmp = tmp_path_factory.mktemp("cluster")
    url = f"{base}/{name}"
    setup = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url,
                        "KEYS_DIR": str(shared_keys_dir)}, instance_path=str(tmp / "setup"))
    with setup.app_context():
        db.create_all()
        world = build_world()
        db.engine.dispose()
    keys_dir = tmp / "keys"
    KeyStore(keys_dir, KEYS_PASSPHRASE.encode()).generate("RS256")
    env = node_environment(url, keys_dir, tmp / "instance", IDP_REDIS_URL="redis://127.0.0.1:6379/0",
                           IDP_RATELIMIT_KEY_PREFIX=f"idp-multinode-{uuid.uuid4().hex}",
                           IDP_RECOVERY_ADDRESS_LIMIT=f"{RECOVERY_LIMIT} per hour",
                           IDP_MAIL_BACKEND="file", IDP_WORKERS="1", IDP_THREADS="4")
    nodes = []
    try:
        nodes = [start_node(env, tmp / f"node{i}.log") for i in (1, 2)]
        for node in nodes:
            node.wait_ready()
        yield Cluster(nodes=nodes, env=env, schools=world.schools, database=name,
                      admin_url=admin_url)
    finally:
        for node in nodes:
            node.stop()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def address() -> dict:
    """A client address of its own (the nodes trust one proxy's X-Forwarded-For)."""
    return {"X-Forwarded-For": f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"}


def test_login_on_node_1_is_honoured_on_node_2(cluster):
    one, two = cluster.nodes
    school = cluster.schools["alpha"]
    person = browser()
    response, verifier = authorize(one, person, school, "mari")
    assert redeem(two, school, code_of(response, school), verifier).status_code == 200
    again, verifier = authorize(two, person, school)  # no login: the SSO cookie is honoured
    tokens = redeem(one, school, code_of(again, school), verifier)
    assert tokens.status_code == 200, tokens.text


def concurrently(*calls):
    """Run the calls at the same moment; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_code_from_one_node_is_redeemed_exactly_once_across_nodes(cluster):
    one, two = cluster.nodes
    school = cluster.schools["alpha"]
    response, verifier = authorize(one, browser(), school, "mari")
    code = code_of(response, school)
    results = concurrently(lambda: redeem(one, school, code, verifier),
                           lambda: redeem(two, school, code, verifier))
    assert sorted(r.status_code for r in results) == [200, 400], [r.text for r in results]
    loser = next(r for r in results if r.status_code == 400)
    assert loser.json()["error"] == "invalid_grant"


def test_concurrent_refresh_with_one_token_on_two_nodes_exactly_one_wins(cluster):
    one, two = cluster.nodes
    school = cluster.schools["alpha"]
    response, verifier = authorize(one, browser(), school, "mari")
    token = redeem(one, school, code_of(response, school), verifier).json()["refresh_token"]
    results = concurrently(lambda: refresh(one, school, token), lambda: refresh(two, school, token))
    assert sorted(r.status_code for r in results) == [200, 400], [r.text for r in results]


def test_logout_on_node_2_ends_the_session_on_node_1(cluster):
    one, two = cluster.nodes
    school = cluster.schools["alpha"]
    person = browser()
    response, verifier = authorize(one, person, school, "mari")
    id_token = redeem(one, school, code_of(response, school), verifier).json()["id_token"]
    logout = two.get(person, "/logout", params={"id_token_hint": id_token,
                                                "post_logout_redirect_uri": school["post_logout"]})
    assert logout.status_code in (200, 302, 303), logout.text[:300]
    after, _ = authorize(one, person, school)
    assert after.status_code == 302 and after.headers["Location"].startswith("/login/")


def kid_of(jwt: str) -> str:
    import base64
    import json
    header = jwt.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


def test_key_rotated_with_the_cli_is_used_by_both_nodes_without_restart(cluster):
    school = cluster.schools["beta"]
    staged = cluster.idp("keys", "generate", "--json")
    assert staged.stdout
    cluster.idp("keys", "rotate", "--force")
    kids = set()
    for node in cluster.nodes:
        response, verifier = authorize(node, browser(), school, "mari")
        kids.add(kid_of(redeem(node, school, code_of(response, school), verifier).json()["id_token"]))
        published = {key["kid"] for key in node.get(browser(), "/jwks.json").json()["keys"]}
        assert kids <= published
    store = KeyStore(cluster.env["IDP_KEYS_DIR"], KEYS_PASSPHRASE.encode())
    active = [r.kid for r in store.records() if r.state == "active"]
    assert kids == set(active), (kids, active)


def client_authenticates(node: Node, school: dict, secret: str) -> bool:
    """An unknown code at /token: ``invalid_grant`` once the client is authenticated,
    ``invalid_client`` when its secret is refused."""
    response = node.post(requests.Session(), "/token", auth=(school["client_id"], secret),
                         data={"grant_type": "authorization_code", "code": "no-such-code",
                               "redirect_uri": school["redirect_uri"], "code_verifier": "x" * 43})
    assert response.json()["error"] in ("invalid_grant", "invalid_client"), response.text
    return response.json()["error"] == "invalid_grant"


def test_secret_rotated_on_one_node_is_refused_on_the_other_at_once(cluster):
    one, two = cluster.nodes
    school = cluster.schools["beta"]
    old = school["secret"]
    assert client_authenticates(one, school, old) and client_authenticates(two, school, old)
    import json
    new = json.loads(cluster.idp("schools", "rotate-secret", "beta", "--json").stdout)["client_secret"]
    school["secret"] = new
    assert not client_authenticates(two, school, old)
    assert not client_authenticates(one, school, old)
    assert client_authenticates(two, school, new) and client_authenticates(one, school, new)


def test_login_throttling_counts_failures_on_both_nodes(cluster, monkeypatch):
    """Five failures spread over the nodes: the right password is then refused on either."""
    import tests.multinode.nodes as nodes
    monkeypatch.setattr(nodes, "FORWARDED", {**nodes.FORWARDED, **address()})
    school = cluster.schools["alpha"]
    for attempt in range(5):  # LOGIN_FREE_ATTEMPTS
        node = cluster.nodes[attempt % 2]
        person = browser()
        start, _ = authorize(node, person, school)
        failed = log_in(node, person, start.headers["Location"], "kati", "wrong password")
        assert failed.status_code == 303 and "/login/" in failed.headers["Location"]
    for node in cluster.nodes:
        person = browser()
        start, _ = authorize(node, person, school)
        refused = log_in(node, person, start.headers["Location"], "kati", PASSWORD + "!")
        assert "/login/" in refused.headers["Location"], "throttled: back to the form"
        page = node.get(person, refused.headers["Location"])
        assert "Liiga palju" in page.text or "Too many" in page.text, page.text[:500]


def test_rate_limits_count_on_both_nodes_through_redis(cluster, monkeypatch):
    import tests.multinode.nodes as nodes
    from tests.helpers import csrf_token
    monkeypatch.setattr(nodes, "FORWARDED", {**nodes.FORWARDED, **address()})
    statuses = []
    for attempt in range(RECOVERY_LIMIT + 1):
        node = cluster.nodes[attempt % 2]
        person = browser()
        page = node.get(person, "/recovery/alpha")
        statuses.append(node.post(person, "/recovery/alpha", data={
            "csrf_token": csrf_token(page.text), "name": "nobody-here"}).status_code)
    assert statuses == [303] * RECOVERY_LIMIT + [429], statuses


def test_dropped_database_connections_under_load_cost_no_request(cluster):
    """4 threads of whole login flows over both nodes; every connection of the nodes to
    PostgreSQL is terminated three times meanwhile. Every flow succeeds."""
    school = cluster.schools["alpha"]
    done, failures, stop = [], [], threading.Event()
    progress = threading.Condition()

    def flows(worker: int) -> None:
        for n in range(200):
            if stop.is_set():
                return
            a, b = cluster.nodes[(worker + n) % 2], cluster.nodes[(worker + n + 1) % 2]
            try:
                response, verifier = authorize(a, browser(), school, "mari")
                tokens = redeem(b, school, code_of(response, school), verifier)
                assert tokens.status_code == 200, (tokens.status_code, tokens.text[:300])
            except Exception as error:  # every failure is reported, none stops the others
                failures.append(repr(error)[:500])
            with progress:
                done.append(worker)
                progress.notify_all()

    threads = [threading.Thread(target=flows, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    terminated = []
    try:
        for goal in (4, 12, 20, 28):
            with progress:
                assert progress.wait_for(lambda g=goal: len(done) >= g or failures, timeout=300)
            if goal < 28:
                terminated.append(cluster.terminate_backends())
    finally:
        stop.set()
        for thread in threads:
            thread.join(120)
    assert failures == [], [node.output() for node in cluster.nodes]
    assert len(terminated) == 3 and all(terminated), ("backends terminated each time", terminated)
    assert len(done) >= 28
    for node in cluster.nodes:
        assert node.process.poll() is None, node.output()
    # nothing unexpected in the nodes' logs either (the replays are logged as warnings)
    assert not any("unexpected error" in node.output() for node in cluster.nodes), \
        [node.output() for node in cluster.nodes]


@pytest.fixture(autouse=True)
def _no_idp_settings_leak(monkeypatch):
    """The test process itself never reads the nodes' IDP_* settings."""
    for key in [k for k in os.environ if k.startswith("IDP_") and k != "IDP_TEST_DATABASE_URL"]:
        monkeypatch.delenv(key)
