"""The peer: panva's oidc-provider (bench/peer/server.js, npm packages pinned in
bench/peer/package-lock.json) with N node cluster workers on Redis, configured like our IdP."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .flows import Provider
from .ours import CHEAP_ARGON2, CLIENT_ID, PASSWORD, REDIRECT_URI, SHIPPED_ARGON2
from .procs import Processes, free_port, wait_http

HERE = Path(__file__).parent / "peer"


def version() -> str:
    package = HERE / "node_modules" / "oidc-provider" / "package.json"
    return json.loads(package.read_text())["version"] if package.exists() else "not installed"


def install() -> None:
    """``npm ci`` once (the lockfile pins oidc-provider, ioredis and argon2)."""
    if not (HERE / "node_modules" / "oidc-provider").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=HERE, check=True,
                       timeout=600)


@dataclass
class Peer:
    redis_url: str
    procs: Processes
    users: int = 20
    workers: int = 2
    port: int = field(default_factory=free_port)
    secret: str = field(default_factory=lambda: "bench-" + secrets.token_urlsafe(32))
    prefix: str = field(default_factory=lambda: f"oidc-bench-{os.getpid()}-{secrets.token_hex(3)}:")

    def provider(self) -> Provider:
        url = f"http://127.0.0.1:{self.port}"
        return Provider(name="peer", base_url=url, issuer=url, client_id=CLIENT_ID,
                        client_secret=self.secret, redirect_uri=REDIRECT_URI)

    @contextmanager
    def serving(self):
        env = {**os.environ, "PEER_PORT": str(self.port), "PEER_WORKERS": str(self.workers),
               "PEER_REDIS_URL": self.redis_url, "PEER_PREFIX": self.prefix,
               "PEER_CLIENT_ID": CLIENT_ID, "PEER_CLIENT_SECRET": self.secret,
               "PEER_REDIRECT_URI": REDIRECT_URI, "PEER_PASSWORD": PASSWORD,
               "PEER_USERS": json.dumps({"cheap": [*CHEAP_ARGON2, self.users],
                                         "strong": [*SHIPPED_ARGON2, self.users]}),
               "NODE_ENV": "production"}
        process = self.procs.start("peer", ["node", "server.js"], env=env, cwd=HERE)
        try:
            wait_http(f"http://127.0.0.1:{self.port}/.well-known/openid-configuration", process, 120)
            yield process
        finally:
            self.procs.stop(process)
            self.forget()

    def forget(self) -> None:
        """Delete the peer's keys from the shared Redis (its own prefix only)."""
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            batch = []
            for key in client.scan_iter(match=f"{self.prefix}*", count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    client.delete(*batch)
                    batch = []
            if batch:
                client.delete(*batch)
        finally:
            client.close()
