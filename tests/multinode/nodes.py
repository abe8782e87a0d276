"""IdP nodes as real ``idp serve`` processes on loopback, each on a free port of its own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

SECRET_KEY = "multinode-secret-key-0123456789abcdef"
KEYS_PASSPHRASE = "multinode-keys-passphrase-0123456789"
ISSUER = "https://idp.test"  # the load balancer's name: every node has the same issuer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_environment(database_url: str, keys_dir: Path, instance: Path, **settings: str) -> dict:
    """A production node's environment: nothing from the surroundings' IDP_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    env.update({"IDP_ENV": "production", "IDP_ISSUER": ISSUER, "IDP_SECRET_KEY": SECRET_KEY,
                "IDP_KEYS_PASSPHRASE": KEYS_PASSPHRASE, "IDP_KEYS_DIR": str(keys_dir),
                "IDP_DATABASE_URL": database_url, "IDP_INSTANCE_PATH": str(instance),
                # behind one proxy, as in production: the tests speak https to it by header
                "IDP_PROXY_FIX_HOPS": "1", **settings})
    return env


@dataclass
class Node:
    """One ``idp serve`` process; ``stop`` ends it (and its workers) by PID."""

    url: str
    process: subprocess.Popen
    log: Path

    def get(self, session: requests.Session, path: str, **kw) -> requests.Response:
        return session.get(self.url + path, headers={**FORWARDED, **cookies(session)},
                           allow_redirects=False, timeout=30, **kw)

    def post(self, session: requests.Session, path: str, **kw) -> requests.Response:
        return session.post(self.url + path, headers={**FORWARDED, **cookies(session)},
                            allow_redirects=False, timeout=30, **kw)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"idp serve ended with {self.process.returncode}:\n{self.output()}")
            try:
                if requests.get(self.url + "/.well-known/openid-configuration", timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"idp serve did not answer within {timeout} s:\n{self.output()}")

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM (graceful), then SIGKILL of its whole process group if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        return self.process.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def start_node(env: dict, log: Path, *args: str) -> Node:
    port = free_port()
    with open(log, "wb") as out:
        # a process group of its own: a hung node is killed with all its workers, nothing else
        process = subprocess.Popen([sys.executable, "-m", "idp", "serve", "--bind",
                                    f"127.0.0.1:{port}", *args], env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    return Node(url=f"http://127.0.0.1:{port}", process=process, log=log)


#: what the TLS-terminating proxy in front of the nodes adds
FORWARDED = {"X-Forwarded-Proto": "https"}


def browser() -> requests.Session:
    return requests.Session()


def cookies(session: requests.Session) -> dict:
    """The session's cookies as a header. The nodes' cookies are ``Secure`` (https issuer) and
    requests sends those over https only; here TLS ends at the proxy, a header away."""
    header = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    return {"Cookie": header} if header else {}
