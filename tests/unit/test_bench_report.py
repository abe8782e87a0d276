"""make bench's report: ratios, the issue's targets (PASS/FAIL/MISSING), the table, JSON, wrk
parsing. Figures are made up here; nothing is timed."""

from __future__ import annotations

import json

import pytest

from bench import report, wrk
from bench.report import Measurement, Results, Target, Workload


def results(**workloads: Workload) -> Results:
    r = Results()
    for key, w in workloads.items():
        w.key = key
        r.add(w)
    return r


def test_ratio_is_ours_over_the_peer_else_over_the_reference():
    assert Workload("a", "A", ours=Measurement(rate=50), peer=Measurement(rate=200)).ratio == 0.25
    assert Workload("b", "B", ours=Measurement(rate=30), reference=120.0).ratio == 0.25
    assert Workload("c", "C", ours=Measurement.missing("no"), peer=Measurement(rate=5)).ratio is None
    assert Workload("d", "D", ours=Measurement(rate=5), peer=Measurement(rate=None)).ratio is None


@pytest.mark.parametrize(("ours", "peer", "status"), [(60, 100, "PASS"), (50, 100, "PASS"), (49, 100, "FAIL")])
def test_a_rate_target_passes_at_its_threshold(ours, peer, status):
    r = results(discovery=Workload("", "GET discovery", ours=Measurement(rate=ours), peer=Measurement(rate=peer)))
    verdict = report.check(r, Target("discovery", "discovery.ours.rate", "discovery.peer.rate", 0.5))
    assert verdict.status == status
    assert verdict.value == pytest.approx(ours / peer)


def test_a_latency_target_passes_below_its_threshold():
    r = results(jwks=Workload("", "JWKS", ours=Measurement(rate=1, p99_ms=9.0), peer=Measurement(rate=1, p99_ms=4.0)))
    [verdict] = [report.check(r, t) for t in report.p99_targets(["jwks"])]
    assert (verdict.status, verdict.value) == ("FAIL", 2.25)
    r.workloads["jwks"].ours.p99_ms = 8.0
    assert report.check(r, report.p99_targets(["jwks"])[0]).status == "PASS"


def test_not_implemented_fails_and_not_measured_is_missing():
    r = results(cc_jwt=Workload("", "cc jwt", ours=Measurement.missing("opaque only"), peer=Measurement(rate=10)))
    found = {v.name: v for v in report.verdicts(r)}
    jwt_target = found["client_credentials JWT (RFC 9068) >= 0.75x peer"]
    assert jwt_target.status == "FAIL" and "not implemented (opaque only)" in jwt_target.reason
    assert found["discovery >= 0.5x peer"].status == "MISSING"


def test_a_measurement_lacking_a_required_feature_fails_its_rate_target_only():
    r = results(refresh=Workload("", "refresh", ours=Measurement(rate=900, p99_ms=3, lacks="a new ID token"),
                                 peer=Measurement(rate=1000, p99_ms=3)))
    found = {v.name: v for v in report.verdicts(r)}
    assert found["refresh with rotation + new ID token >= 0.5x peer"].status == "FAIL"
    assert "lacks a new ID token" in found["refresh with rotation + new ID token >= 0.5x peer"].reason
    assert found["p99 refresh <= 2x peer"].status == "PASS"


def test_targets_against_a_reference_and_our_own_fresh_rate():
    r = results(flows_cheap=Workload("", "fresh", ours=Measurement(rate=100), peer=Measurement(rate=150)),
                flows_history=Workload("", "history", ours=Measurement(rate=89), reference=100.0),
                flows_argon2=Workload("", "argon2", ours=Measurement(rate=80), reference=100.0),
                verify=Workload("", "verify", ours=Measurement(rate=900), reference=1000.0),
                soak=Workload("", "soak", ours=Measurement(rate=10, rss_start_mib=100, rss_mib=112)))
    found = {v.name: v.status for v in report.verdicts(r)}
    assert found["login flows, cheap hash >= 0.5x peer"] == "PASS"
    assert found["flows after 1,000,000 rows of history >= 0.9x fresh"] == "FAIL"
    assert found["login flows, Argon2id >= 75% of hash-bound limit"] == "PASS"
    assert found["schools_client ID-token verification >= 80% of raw RS256"] == "PASS"
    assert found["soak: our worker RSS grows <= 10% (end vs after warm-up)"] == "FAIL"


def test_table_verdicts_and_json(tmp_path):
    r = results(discovery=Workload("", "GET discovery", ours=Measurement(rate=3000, p50_ms=1, p99_ms=5),
                                   peer=Measurement(rate=6000, p50_ms=1, p99_ms=2)),
                cc_jwt=Workload("", "client_credentials, JWT", ours=Measurement.missing("opaque only"),
                                peer=Measurement(rate=7000)))
    text = report.table(r)
    assert "3,000.0" in text and "6,000.0" in text and "0.50x" in text and "not implemented" in text
    found = report.verdicts(r)
    lines = report.verdict_lines(found)
    assert "PASS    discovery >= 0.5x peer" in lines
    assert lines.splitlines()[-1] == f"targets: 1 of {len(report.TARGETS)} passed"
    path = report.write(r, found, tmp_path / "run")
    data = json.loads(path.read_text())
    assert data["workloads"]["discovery"]["ratio"] == 0.5
    assert {t["status"] for t in data["targets"]} == {"PASS", "FAIL", "MISSING"}
    assert (tmp_path / "run" / "report.txt").read_text().startswith("workload")


WRK_OUTPUT = """Running 3s test @ http://127.0.0.1:4156/.well-known/openid-configuration
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   222.11ms  364.73ms   1.76s    86.18%
  Latency Distribution
     50%   76.48ms
     75%  161.69ms
     90%  803.04ms
     99%    1.54s \N{SPACE}
  1162 requests in 3.08s, 1.82MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 12
Requests/sec:    377.08
"""


def test_wrk_output_is_parsed_into_successes_latencies_and_errors():
    m = wrk.parse(WRK_OUTPUT, 3)
    assert m.ok == 1150 and m.errors == 15
    assert m.rate == pytest.approx(1150 / 3.08)
    assert (m.p50_ms, m.p99_ms) == (pytest.approx(76.48), pytest.approx(1540.0))
