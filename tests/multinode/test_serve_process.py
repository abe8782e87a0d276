"""``idp serve`` as an operator runs it: a production server answers, and SIGTERM stops it
gracefully (exit status 0), with the delivery worker when it runs one."""

from __future__ import annotations

import signal

import pytest

from tests.multinode.nodes import ISSUER, browser

pytestmark = pytest.mark.multinode


def children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_serve_answers_in_production_and_stops_on_SIGTERM(start):
    node = start("--workers", "1", "--threads", "2")  # granian, the default
    metadata = node.get(browser(), "/.well-known/openid-configuration").json()
    assert metadata["issuer"] == ISSUER
    assert node.get(browser(), "/jwks.json").json()["keys"]
    workers = children(node.process.pid)
    assert workers, "the server runs its worker processes"
    assert node.stop() == 0, node.output()
    assert not any(alive(pid) for pid in workers)


def test_serve_gunicorn_with_worker_supervises_and_stops_both_on_ctrl_c(start):
    node = start("--with-worker", "--server", "gunicorn", "--workers", "1", "--threads", "2")
    assert node.get(browser(), "/.well-known/openid-configuration").json()["issuer"] == ISSUER
    server_pid, worker_pid = children(node.process.pid)
    assert alive(worker_pid)
    node.process.send_signal(signal.SIGINT)  # Ctrl-C
    assert node.process.wait(30) == 0, node.output()
    assert not alive(server_pid) and not alive(worker_pid)
