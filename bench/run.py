"""``make bench``: our IdP against panva's oidc-provider, same run, same machine, same load
generator. See bench/__main__.py for the command line and README "Beyond one node" for what the
figures mean."""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from . import flows, peer, report, wrk
from .ours import CHEAP_ARGON2, PASSWORD, SHIPPED_ARGON2, Ours, servers_available
from .procs import Processes, descendants, worker_rss
from .report import Measurement, Results, Workload

RESULTS = Path(__file__).parent / "results"


@dataclass
class Mode:
    name: str
    wrk_seconds: float     # one wrk run
    repeats: int           # wrk runs per side, interleaved; the median is reported
    flow_seconds: float    # one run of login flows
    soak_seconds: float
    verify_seconds: float


    history_rows: int      # rows loaded into each growing table
    population: tuple[int, int, int]  # persons, schools, accounts at the largest school
    sync_events: int


QUICK = Mode("quick", wrk_seconds=3, repeats=1, flow_seconds=5, soak_seconds=20, verify_seconds=1,
             history_rows=50_000, population=(40_000, 50, 2_000), sync_events=500)
FULL = Mode("full", wrk_seconds=10, repeats=2, flow_seconds=20, soak_seconds=300, verify_seconds=3,
            history_rows=1_000_000, population=(400_000, 500, 5_000), sync_events=2_000)


def median_measurement(runs: list[Measurement]) -> Measurement:
    """The run with the median rate (its latencies with it); errors summed over the runs."""
    rated = sorted((m for m in runs if m.rate is not None), key=lambda m: m.rate)
    if not rated:
        return runs[0]
    chosen = rated[len(rated) // 2]
    if len(runs) > 1:
        spread = f"runs {', '.join(f'{m.rate:,.0f}' for m in runs if m.rate is not None)}/s"
        chosen.note = "; ".join(filter(None, [chosen.note, spread]))
    chosen.errors = sum(m.errors for m in runs)
    return chosen


class Bench:
    def __init__(self, mode: Mode, out: Path, pg_url: str, redis_url: str, server: str | None) -> None:
        self.mode = mode
        self.out = out
        self.procs = Processes(out / "logs")
        self.ours = Ours(pg_url=pg_url, redis_url=redis_url, procs=self.procs)
        self.peer = Peer(redis_url=redis_url, procs=self.procs)
        self.results = Results()
        self.server = server
        self.pids: dict[str, int] = {}

    # --- helpers ---------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)

    def both_wrk(self, key: str, title: str, path_ours: str, path_peer: str, *, script=None,
                 env_ours=None, env_peer=None, connections=32, threads=2, unit="req/s") -> Workload:
        """The same wrk run against both, interleaved ``repeats`` times, medians reported."""
        runs: dict[str, list[Measurement]] = {"ours": [], "peer": []}
        targets = {"ours": (self.po, path_ours, env_ours), "peer": (self.pp, path_peer, env_peer)}
        for _ in range(self.mode.repeats):
            for side, (provider, path, env) in targets.items():
                if path is None:
                    continue
                runs[side].append(wrk.run(provider.base_url + path, seconds=self.mode.wrk_seconds,
                                          connections=connections, threads=threads, script=script,
                                          env=env() if callable(env) else env))
        w = Workload(key, title, unit,
                     ours=median_measurement(runs["ours"]) if runs["ours"] else None,
                     peer=median_measurement(runs["peer"]) if runs["peer"] else None)
        self.results.add(w)
        self.say(f"{title}: ours {_rate(w.ours)}, peer {_rate(w.peer)}")
        return w

    def flows_both(self, key: str, title: str, prefix: str, *, peer_too: bool = True) -> Workload:
        users = [f"{prefix}{i}" for i in range(self.ours.users)]
        ours = flows.run_logins(self.po, users, PASSWORD, seconds=self.mode.flow_seconds)
        theirs = flows.run_logins(self.pp, users, PASSWORD, seconds=self.mode.flow_seconds) if peer_too else None
        w = self.results.add(Workload(key, title, "flows/s", ours=ours, peer=theirs))
        self.say(f"{title}: ours {_rate(ours)}, peer {_rate(theirs)}")
        return w

    # --- the run ---------------------------------------------------------------------------------

    def run(self, only: set[str] | None) -> None:
        def want(key: str) -> bool:
            return only is None or key in only
        self.results.meta = meta(self.mode)
        self.say(f"setting up: PostgreSQL database {self.ours.database}, oidc-provider {peer.version()}")
        peer.install()
        self.ours.create()
        server = self.server or servers_available()[0]
        self.results.meta["server"] = server
        with self.ours.serving(server, argon2=CHEAP_ARGON2) as ours_proc, self.peer.serving() as peer_proc:
            self.pids = {"ours": ours_proc.pid, "peer": peer_proc.pid}
            self.po, self.pp = self.ours.provider(), self.peer.provider()
            self.keys_ours, self.keys_peer = flows.prepare(self.po), flows.prepare(self.pp)
            self.main_workloads(want)
            self.memory()
        if want("flows_argon2"):
            self.argon2_flows()
        if want("servers"):
            self.compare_servers()
        if want("verify"):
            self.verify()
        if want("profile"):
            self.profile()
        if want("flows_population") or want("flows_history") or want("sync"):
            self.grown(want)
        if want("soak"):
            self.soak(server)

    def main_workloads(self, want) -> None:
        if want("discovery"):
            self.both_wrk("discovery", "GET discovery", "/.well-known/openid-configuration",
                          "/.well-known/openid-configuration")
        if want("jwks"):
            self.both_wrk("jwks", "GET JWKS", _path(self.po.discovery["jwks_uri"]),
                          _path(self.pp.discovery["jwks_uri"]))
        token_path = "/token"
        if want("cc_opaque"):
            self.both_wrk("cc_opaque", "client_credentials, opaque access token", token_path, token_path,
                          script="post.lua",
                          env_ours={"BENCH_AUTH": self.po.basic, "BENCH_BODY": "grant_type=client_credentials&scope=accounts:read"},
                          env_peer={"BENCH_AUTH": self.pp.basic, "BENCH_BODY": "grant_type=client_credentials&scope=accounts:read"})
        if want("cc_jwt"):
            self.cc_jwt()
        if want("flows_cheap"):
            self.flows_both("flows_cheap", "full login flow, cheap hash on both", "cheap")
        users = [f"cheap{i}" for i in range(self.ours.users)]
        if want("userinfo"):
            tok_o = flows.tokens_for(self.po, users, PASSWORD, 1)[0]["access_token"]
            tok_p = flows.tokens_for(self.pp, users, PASSWORD, 1)[0]["access_token"]
            self.both_wrk("userinfo", "GET userinfo", _path(self.po.discovery["userinfo_endpoint"]),
                          _path(self.pp.discovery["userinfo_endpoint"]), script="bearer.lua",
                          env_ours={"BENCH_TOKEN": tok_o}, env_peer={"BENCH_TOKEN": tok_p})
        if want("refresh"):
            self.refresh(users)

    def cc_jwt(self) -> None:
        """client_credentials asking for an RFC 9068 JWT access token with RFC 8707 ``resource``
        (the API's URI: ``<issuer>/api/v1``); a side that answers without one is "not implemented"."""
        bodies, works = {}, {}
        for side, provider in (("ours", self.po), ("peer", self.pp)):
            body = ("grant_type=client_credentials&scope=accounts:read&resource="
                    + quote(provider.issuer + "/api/v1", safe=""))
            bodies[side] = {"BENCH_AUTH": provider.basic, "BENCH_BODY": body}
            works[side] = issues_jwt(provider, body)
        w = self.both_wrk("cc_jwt", "client_credentials, JWT access token (RFC 9068)",
                          "/token" if works["ours"] else None, "/token" if works["peer"] else None,
                          script="post.lua", env_ours=bodies["ours"], env_peer=bodies["peer"])
        for side in ("ours", "peer"):
            if not works[side]:
                setattr(w, side, Measurement.missing("no at+jwt access token for resource=<issuer>/api/v1"))

    def refresh(self, users: list[str]) -> None:
        """refresh_token with rotation: wrk with one connection and one token chain per thread;
        every wrk run starts from fresh chains (rotation spends the previous run's tokens)."""
        chains = 16
        id_token = {}
        for side, provider in (("ours", self.po), ("peer", self.pp)):
            first = flows.tokens_for(provider, users, PASSWORD, 1)[0]
            probe = flows.refresh(flows.Http(), provider, flows.prepare(provider), first["refresh_token"])
            id_token[side] = "id_token" in probe

        def chain_file(side: str, provider: flows.Provider):
            def env() -> dict:
                tokens = flows.tokens_for(provider, users, PASSWORD, chains)
                path = self.out / f"refresh-{side}.txt"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("\n".join(t["refresh_token"] for t in tokens) + "\n")
                return {"BENCH_AUTH": provider.basic, "BENCH_TOKENS": str(path)}
            return env

        w = self.both_wrk("refresh", "refresh_token with rotation", "/token", "/token", script="refresh.lua",
                          connections=chains, threads=chains, env_ours=chain_file("ours", self.po),
                          env_peer=chain_file("peer", self.pp))
        for side in ("ours", "peer"):
            (self.out / f"refresh-{side}.txt").unlink(missing_ok=True)
        w.note = (f"new ID token on refresh: ours {'yes' if id_token['ours'] else 'NO'}, "
                  f"peer {'yes' if id_token['peer'] else 'NO'}")
        if not id_token["ours"]:
            w.ours.lacks = "a new ID token on refresh (issue 9 item 7), which the target requires"

    def memory(self) -> None:
        mem = {side: worker_rss(pid) for side, pid in self.pids.items()}
        self.results.extra["memory_mib_per_worker"] = mem
        self.results.extra["server_pids"] = {side: [pid, *descendants(pid)] for side, pid in self.pids.items()}
        self.say("RSS per worker (MiB): " + "; ".join(
            f"{side} {', '.join(f'{r:.0f}' for r in rss)}" for side, rss in mem.items()))

    def argon2_flows(self) -> None:
        """Login flows with the shipped Argon2id parameters against the hash-bound limit:
        cores / (one Argon2id verification), measured now, on this machine."""
        verify_ms = argon2_verify_ms(SHIPPED_ARGON2, 3 if self.mode.name == "quick" else 10)
        cores = os.cpu_count() or 1
        limit = cores / (verify_ms / 1000)
        with self.ours.serving(self.results.meta["server"], argon2=SHIPPED_ARGON2), self.peer.serving():
            self.po, self.pp = self.ours.provider(), self.peer.provider()
            w = self.flows_both("flows_argon2", "full login flow, Argon2id m=19 MiB t=2 p=1", "strong")
        w.reference, w.reference_label = limit, "hash-bound limit"
        peer_share = w.peer.rate / limit if w.peer and w.peer.rate else None
        w.note = (f"Argon2id verify {verify_ms:.1f} ms x {cores} cores → limit {limit:.1f}/s; ratio is "
                  f"ours/limit" + (f"; the peer reaches {peer_share:.0%} of it" if peer_share else ""))
        # the table shows the ratio against the limit, as the target does
        w.peer, self.results.extra["flows_argon2_peer"] = None, _asdict(w.peer)

    def compare_servers(self) -> None:
        """gunicorn (gthread) and granian under ``idp serve``, same workers and threads, on the
        same three workloads; the faster at login flows is the one to ship as the default."""
        table = {}
        users = [f"cheap{i}" for i in range(self.ours.users)]
        for server in servers_available():
            with self.ours.serving(server, argon2=CHEAP_ARGON2):
                po = self.ours.provider()
                flows.prepare(po)
                table[server] = {
                    "discovery": wrk.run(po.base_url + "/.well-known/openid-configuration",
                                         seconds=self.mode.wrk_seconds).rate,
                    "cc_opaque": wrk.run(po.base_url + "/token", seconds=self.mode.wrk_seconds,
                                         script="post.lua", env={"BENCH_AUTH": po.basic,
                                         "BENCH_BODY": "grant_type=client_credentials&scope=accounts:read"}).rate,
                    "flows_cheap": flows.run_logins(po, users, PASSWORD, seconds=self.mode.flow_seconds).rate,
                }
        faster = max(table, key=lambda s: table[s]["flows_cheap"] or 0)
        self.results.extra["servers"] = {"rates": table, "faster_at_login_flows": faster}
        self.say("servers: " + "; ".join(f"{s}: " + ", ".join(f"{k} {v:,.1f}/s" for k, v in row.items() if v)
                                         for s, row in table.items()) + f" → faster: {faster}")

    def verify(self) -> None:
        """schools_client's ID-token verification vs raw RS256 (cryptography), one core."""
        from .verify import measure
        with self.ours.serving(self.results.meta["server"], argon2=CHEAP_ARGON2):
            po = self.ours.provider()
            flows.prepare(po)
            keys_doc = flows.fetch_json(po, po.discovery["jwks_uri"])
            nonce_tokens = flows.tokens_for(po, ["cheap0"], PASSWORD, 1)[0]
        ours, raw = measure(nonce_tokens["id_token"], keys_doc, po.issuer, po.client_id,
                            self.mode.verify_seconds)
        self.results.add(Workload("verify", "schools_client ID-token verification, 1 core", "verif/s",
                                  ours=ours, reference=raw, reference_label="raw RS256 (cryptography)"))
        self.say(f"verification: schools_client {ours.rate:,.0f}/s, raw RS256 {raw:,.0f}/s")

    def profile(self) -> None:
        """py-spy on both of our workers while login flows (cheap hash) run."""
        from . import profile
        users = [f"cheap{i}" for i in range(self.ours.users)]
        raw = self.out / "profile-flows.raw"
        with self.ours.serving(self.results.meta["server"], argon2=CHEAP_ARGON2) as proc:
            po = self.ours.provider()
            flows.prepare(po)
            spy = profile.start(proc.pid, self.mode.flow_seconds, raw)
            flows.run_logins(po, users, PASSWORD, seconds=self.mode.flow_seconds)
            summary = profile.finish(spy, raw, timeout=self.mode.flow_seconds + 60)
        self.results.extra["profile_login_flows"] = summary
        self.say(profile.lines(summary))

    def grown(self, want) -> None:
        """Login flows on a fresh database, then after the national population, then after
        ``history_rows`` rows in each growing table (on top of the population), one server, back
        to back; then profile-sync deliveries to the (now largest) school."""
        from . import history, sync
        users = [f"cheap{i}" for i in range(self.ours.users)]
        persons, schools, largest = self.mode.population
        with self.ours.serving(self.results.meta["server"], argon2=CHEAP_ARGON2):
            po = self.ours.provider()
            flows.prepare(po)
            fresh = flows.run_logins(po, users, PASSWORD, seconds=self.mode.flow_seconds)
            self.say(f"login flows on the fresh database: {_rate(fresh)}")
            loads = {}
            if want("flows_population"):
                t0 = time.monotonic()
                loads["population"] = history.load_population(self.ours.database_url, "bench", persons=persons,
                                                               schools=schools, largest=largest)
                loads["population"]["load_seconds"] = round(time.monotonic() - t0)
                m = flows.run_logins(po, users, PASSWORD, seconds=self.mode.flow_seconds)
                self.results.add(Workload(
                    "flows_population", f"login flows, {persons:,} persons at {schools} schools", "flows/s",
                    ours=m, reference=fresh.rate, reference_label="fresh database",
                    note=f"the login school has {largest:,} accounts; ratio is against the fresh rate"))
                self.say(f"login flows with the population: {_rate(m)}")
            if want("flows_history"):
                t0 = time.monotonic()
                loads["history"] = history.load_history(self.ours.database_url, "bench", rows=self.mode.history_rows)
                loads["history"]["load_seconds"] = round(time.monotonic() - t0)
                m = flows.run_logins(po, users, PASSWORD, seconds=self.mode.flow_seconds)
                self.results.add(Workload(
                    "flows_history", f"login flows after {self.mode.history_rows:,} rows of history", "flows/s",
                    ours=m, reference=fresh.rate, reference_label="fresh database",
                    note=f"{self.mode.history_rows:,} rows in each of sso_session, authorization_code, token, "
                         "audit_event, outbox_message (on top of the population)"))
                self.say(f"login flows after the history: {_rate(m)}")
            self.results.extra["loaded"] = loads
        if want("sync"):
            m = sync.measure(self.ours, self.mode.sync_events, timeout=max(60, self.mode.sync_events / 10))
            self.results.add(Workload("sync", "profile-sync events delivered to a school (idp worker)",
                                      "events/s", ours=m))
            self.say(f"profile sync: {m.note}")

    def soak(self, server: str) -> None:
        """Login flows for ``soak_seconds``; worker RSS after a warm-up vs at the end."""
        with self.ours.serving(server, argon2=CHEAP_ARGON2) as proc:
            po = self.ours.provider()
            users = [f"cheap{i}" for i in range(self.ours.users)]
            warm = max(self.mode.soak_seconds * 0.1, 5)
            flows.run_logins(po, users, PASSWORD, seconds=warm)
            start = statistics.mean(worker_rss(proc.pid))
            samples = []
            m = flows.run_logins(po, users, PASSWORD, seconds=self.mode.soak_seconds)
            end = statistics.mean(worker_rss(proc.pid))
            samples.append(end)
        m.rss_start_mib, m.rss_mib = start, end
        m.note = f"worker RSS {start:.1f} → {end:.1f} MiB over {self.mode.soak_seconds:.0f} s of login flows"
        self.results.add(Workload("soak", f"soak: login flows for {self.mode.soak_seconds:.0f} s", "flows/s", ours=m))
        self.say(m.note)


def issues_jwt(provider: flows.Provider, body: str) -> bool:
    """Whether the token endpoint answers ``body`` with an RFC 9068 (``typ: at+jwt``) token."""
    http_ = flows.Http()
    try:
        status, _, text = http_.request("POST", provider.local(provider.discovery["token_endpoint"]), body,
                                        {"Authorization": provider.basic})
    finally:
        http_.close()
    token = json.loads(text).get("access_token", "") if status == 200 else ""
    if token.count(".") != 2:
        return False
    head = token.split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    return str(header.get("typ", "")).lower() in ("at+jwt", "application/at+jwt")


def argon2_verify_ms(params: tuple[int, int, int], rounds: int) -> float:
    from argon2 import PasswordHasher

    memory, time_cost, parallelism = params
    ph = PasswordHasher(memory_cost=memory, time_cost=time_cost, parallelism=parallelism)
    digest = ph.hash("x")
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        ph.verify(digest, "x")
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000


def meta(mode: Mode) -> dict:
    def out(*argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return ""
    return {"mode": mode.name, "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(), "python": platform.python_version(), "node": out("node", "--version"),
            "oidc_provider": peer.version(), "wrk": out("wrk", "-v").splitlines()[0] if out("wrk", "-v") else "",
            "commit": out("git", "rev-parse", "--short", "HEAD"), "load_average_at_start": os.getloadavg()}


def _path(url: str) -> str:
    from urllib.parse import urlsplit
    return urlsplit(url).path


def _rate(m: Measurement | None) -> str:
    if m is None:
        return "—"
    if m.rate is None:
        return "not implemented"
    return f"{m.rate:,.1f}/s" + (f" ({m.errors} errors)" if m.errors else "")


def _asdict(m):
    from dataclasses import asdict
    return asdict(m) if m else None


Peer = peer.Peer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds per workload")
    parser.add_argument("--only", default="", help="comma-separated workload keys")
    parser.add_argument("--server", choices=["gunicorn", "granian"], default=None)
    parser.add_argument("--pg-url", default=os.environ.get(
        "BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--out", default=None, help="results folder (default bench/results/<UTC time>)")
    args = parser.parse_args(argv)
    mode = QUICK if args.quick else FULL
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + ("-quick" if args.quick else "")
    out = Path(args.out) if args.out else RESULTS / stamp
    bench = Bench(mode, out, args.pg_url, args.redis_url, args.server)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks
    started = time.monotonic()
    try:
        bench.run(set(args.only.split(",")) if args.only else None)
    finally:
        bench.procs.stop_all()
        bench.ours.drop()
    bench.results.meta["seconds"] = round(time.monotonic() - started)
    found = report.verdicts(bench.results)
    print()
    print(report.table(bench.results))
    print()
    print(report.verdict_lines(found))
    path = report.write(bench.results, found, out)
    try:
        from .chart import draw
        draw(bench.results, out / "chart.png")
    except ImportError as exc:
        print(f"no chart: {exc} (pip install -e '.[bench]')")
    except ValueError as exc:  # matplotlib refusing the figures: the JSON and text still stand
        print(f"no chart: {exc}")
    print(f"\nresults: {path}")
    return 0
