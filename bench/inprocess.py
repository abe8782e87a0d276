"""Run the IdP benchmarks in-process and check them against targets.

    .venv/bin/python -m bench.inprocess [--rounds N]

Each benchmark prints operations per second and latency percentiles; the run exits 1 when a
target is missed. Targets are for this project's reference machine (2 cores) with SQLite, measured through
Flask's test client (no sockets), one thread: they guard against regressions, they are not
the capacity of a deployment (run gunicorn with gthread workers for that).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import tracemalloc
from urllib.parse import parse_qs, urlsplit

from idp import create_app
from idp.extensions import db
from tests.helpers import PASSWORD, auth_params, build_world, csrf_token, pkce_pair

from .timing import timed_samples

# name -> minimum operations per second
TARGETS = {
    "discovery": 1000,
    "jwks": 1000,
    "authorize (live SSO session)": 120,
    "authorize + token (full flow, ID token)": 50,
    "refresh (rotation)": 120,
    "userinfo": 300,
}
#: peak memory of 500 full flows, MiB
MEMORY_TARGET_MIB = 64


def measure(name: str, fn, rounds: int) -> float:
    samples = timed_samples(fn, rounds)
    ops = rounds / sum(samples)
    p50 = statistics.median(samples) * 1000
    p95 = sorted(samples)[int(len(samples) * 0.95) - 1] * 1000
    ok = ops >= TARGETS[name]
    print(f"{'ok ' if ok else 'LOW'} {name:42} {ops:8.0f}/s  p50 {p50:6.2f} ms  p95 {p95:6.2f} ms"
          f"  (target {TARGETS[name]}/s)")
    return ops


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="idp-bench-")
    app = create_app({"ENV": "testing", "SECRET_KEY": "bench", "ISSUER": "http://idp.bench",
                      "KEYS_AUTO_GENERATE": True, "WTF_CSRF_ENABLED": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3"},
                     instance_path=tmp)
    with app.app_context():
        db.create_all()
        world = build_world()
    school = world.schools["alpha"]
    client = app.test_client()
    # log in once: the session answers every later /authorize without a prompt
    verifier, challenge = pkce_pair()
    login = client.get("/authorize", query_string=auth_params(school, challenge)).location
    page = client.get(login).get_data(as_text=True)
    client.post(login, data={"csrf_token": csrf_token(page), "username": "mari", "password": PASSWORD})

    def one_code():
        v, c = pkce_pair()
        loc = client.get("/authorize", query_string=auth_params(school, c)).location
        return parse_qs(urlsplit(loc).query)["code"][0], v

    def exchange():
        code, v = one_code()
        r = client.post("/token", auth=(school["client_id"], school["secret"]), data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": school["redirect_uri"],
            "code_verifier": v})
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    state = {"tokens": exchange()}

    def refresh():
        r = client.post("/token", auth=(school["client_id"], school["secret"]), data={
            "grant_type": "refresh_token", "refresh_token": state["tokens"]["refresh_token"]})
        assert r.status_code == 200, r.get_json()
        state["tokens"] = r.get_json()

    def userinfo():
        r = client.get("/userinfo", headers={"Authorization": f"Bearer {state['tokens']['access_token']}"})
        assert r.status_code == 200

    results = [
        measure("discovery", lambda: client.get("/.well-known/openid-configuration"), args.rounds) >= TARGETS["discovery"],
        measure("jwks", lambda: client.get("/jwks.json"), args.rounds) >= TARGETS["jwks"],
        measure("authorize (live SSO session)", one_code, args.rounds) >= TARGETS["authorize (live SSO session)"],
        measure("authorize + token (full flow, ID token)", exchange, args.rounds) >= TARGETS["authorize + token (full flow, ID token)"],
        measure("refresh (rotation)", refresh, args.rounds) >= TARGETS["refresh (rotation)"],
        measure("userinfo", userinfo, args.rounds) >= TARGETS["userinfo"],
    ]
    tracemalloc.start()
    for _ in range(500):
        exchange()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_mib = peak / 2**20
    mem_ok = peak_mib <= MEMORY_TARGET_MIB
    print(f"{'ok ' if mem_ok else 'HIGH'} peak memory of 500 flows {peak_mib:.1f} MiB (target {MEMORY_TARGET_MIB} MiB)")
    return 0 if all(results) and mem_ok else 1


if __name__ == "__main__":
    sys.exit(main())
