"""Our IdP for the benchmark: production mode, a throw-away PostgreSQL database, Redis under a
key prefix of its own, keys generated with the CLI, and ``idp serve`` (gunicorn or granian) with
2 workers the way ``make serve`` runs it."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .flows import Provider
from .procs import Processes, free_port, wait_http

BIN = Path(sys.executable).parent
PROJECT = Path(__file__).resolve().parent.parent
CLIENT_ID = "bench"
REDIRECT_URI = "https://bench.school.test/cb"
PASSWORD = "bench correct horse battery"
#: the shipped Argon2id parameters (idp/config.py) and a cheap one of about the peer's cost
SHIPPED_ARGON2 = (19 * 1024, 2, 1)
CHEAP_ARGON2 = (1024, 1, 1)


@dataclass
class Ours:
    """The database, instance folder and settings shared by every server start of one run."""

    pg_url: str
    redis_url: str
    procs: Processes
    users: int = 20
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="idp-bench-")))
    database: str = field(default_factory=lambda: f"idp_bench_{os.getpid()}_{secrets.token_hex(3)}")
    secret: str = field(default_factory=lambda: "bench-" + secrets.token_urlsafe(32))
    env: dict = field(default_factory=dict)
    port: int = field(default_factory=free_port)

    @property
    def database_url(self) -> str:
        return f"{self.pg_url.rpartition('/')[0]}/{self.database}"

    @property
    def issuer(self) -> str:
        # production refuses a non-https issuer; the sockets are loopback http (the flow client
        # maps the issuer's URLs to the socket), as behind a TLS-terminating proxy
        return f"https://127.0.0.1:{self.port}"

    def settings(self, argon2: tuple[int, int, int] = CHEAP_ARGON2) -> dict:
        memory, time_cost, parallelism = argon2
        return {
            "IDP_ENV": "production", "IDP_ISSUER": self.issuer, "IDP_SECRET_KEY": self.secret,
            "IDP_KEYS_PASSPHRASE": self.secret, "IDP_INSTANCE_PATH": str(self.root),
            "IDP_DATABASE_URL": self.database_url, "IDP_REDIS_URL": self.redis_url,
            "IDP_RATELIMIT_KEY_PREFIX": f"idp-bench-{self.database}",
            "IDP_REDIS_KEY_PREFIX": f"idp-bench-{self.database}:",
            "IDP_ARGON2_MEMORY_COST": str(memory), "IDP_ARGON2_TIME_COST": str(time_cost),
            "IDP_ARGON2_PARALLELISM": str(parallelism),
        }

    def cli(self, *args: str, argon2=CHEAP_ARGON2) -> str:
        done = subprocess.run([str(BIN / "idp"), *args], env={**os.environ, **self.settings(argon2)},
                              capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"idp {' '.join(args)}: {done.stderr.strip()[-500:]}")
        return done.stdout

    def create(self) -> None:
        """The database (migrated), the signing key, one school and its accounts."""
        import sqlalchemy as sa

        admin = sa.create_engine(self.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.database}"'))
        admin.dispose()
        self.cli("db", "upgrade")
        self.cli("keys", "generate")
        self.seed()

    def seed(self) -> None:
        """School ``bench`` with ``cheap0..`` (cheap Argon2id) and ``strong0..`` (the shipped
        parameters) accounts, all with the same password."""
        from idp.extensions import db
        from idp.services import accounts, schools

        app = self.app()
        with app.app_context():
            school, _ = schools.add(slug=CLIENT_ID, name="Bench Kool", client_secret=self.secret,
                                    redirect_uris=[REDIRECT_URI])
            for prefix, (memory, time_cost, parallelism) in (("cheap", CHEAP_ARGON2), ("strong", SHIPPED_ARGON2)):
                app.config.update(ARGON2_MEMORY_COST=memory, ARGON2_TIME_COST=time_cost,
                                  ARGON2_PARALLELISM=parallelism)
                app.extensions.pop("password_hasher", None)
                for i in range(self.users):
                    accounts.add(school, username=f"{prefix}{i}", given_name="Bench",
                                 family_name=f"{prefix.title()} {i}", roles=["parent"],
                                 email=f"{prefix}{i}@example.ee", password=PASSWORD)
            db.session.commit()
            db.engine.dispose()

    def app(self):
        """Our app in this process, configured as the servers are (seeding, queueing events)."""
        from idp import create_app

        return create_app({k[4:]: _decode(v) for k, v in self.settings().items()
                           if k not in ("IDP_INSTANCE_PATH", "IDP_DATABASE_URL")}
                          | {"SQLALCHEMY_DATABASE_URI": self.database_url}, instance_path=str(self.root))

    def provider(self) -> Provider:
        return Provider(name="ours", base_url=f"http://127.0.0.1:{self.port}", issuer=self.issuer,
                        client_id=CLIENT_ID, client_secret=self.secret, redirect_uri=REDIRECT_URI)

    @contextmanager
    def serving(self, server: str, *, argon2=CHEAP_ARGON2, workers: int = 2, threads: int = 8):
        """Serve until the block ends; yields the server's process (its PID leads the group)."""
        argv = serve_argv(server, f"127.0.0.1:{self.port}", workers, threads)
        process = self.procs.start(f"ours-{server}", argv, env={**os.environ, **self.settings(argon2)},
                                   cwd=PROJECT)
        try:
            wait_http(f"http://127.0.0.1:{self.port}/.well-known/openid-configuration", process)
            yield process
        finally:
            self.procs.stop(process)

    def drop(self) -> None:
        import sqlalchemy as sa

        admin = sa.create_engine(self.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(self.root, ignore_errors=True)


def add_schools(database_url: str, count: int) -> None:
    """``count`` more schools (clients), ``kool1``.. (for the national population)."""
    from idp import create_app
    from idp.extensions import db
    from idp.services import schools

    app = create_app({"ENV": "testing", "SECRET_KEY": "bench", "ISSUER": "https://idp.bench.test",
                      "SQLALCHEMY_DATABASE_URI": database_url, "KEYS_AUTO_GENERATE": True},
                     instance_path=tempfile.mkdtemp(prefix="idp-bench-schools-"))
    with app.app_context():
        for i in range(1, count + 1):
            schools.add(slug=f"kool{i}", name=f"Kool {i}", redirect_uris=[f"https://kool{i}.school.test/cb"])
        db.session.commit()
        db.engine.dispose()


def has_idp_serve() -> bool:
    try:
        import idp.serve  # noqa: F401
    except ImportError:
        return False
    return True


def serve_argv(server: str, bind: str, workers: int, threads: int) -> list[str]:
    """``idp serve`` when this checkout has it; else gunicorn started directly (gthread)."""
    if has_idp_serve():
        return [str(BIN / "idp"), "serve", "--server", server, "--bind", bind,
                "--workers", str(workers), "--threads", str(threads)]
    if server != "gunicorn":
        raise RuntimeError(f"{server}: needs 'idp serve'")
    return [str(BIN / "gunicorn"), "-k", "gthread", "--threads", str(threads), "-w", str(workers),
            "-b", bind, "--graceful-timeout", "5", "idp:create_app()"]


def servers_available() -> list[str]:
    """Ours to measure, the default of ``idp serve`` first."""
    return ["granian", "gunicorn"] if has_idp_serve() else ["gunicorn"]


def _decode(value: str):
    try:
        return int(value)
    except ValueError:
        return value
