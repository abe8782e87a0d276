"""``idp serve``: the IdP in production under a production WSGI server, sized to the CPUs.

Two servers, both configured from the same settings (``IDP_SERVER``, ``IDP_BIND``,
``IDP_WORKERS``, ``IDP_THREADS``, ``IDP_GRACEFUL_TIMEOUT``):

- granian (the default, ``DEFAULT_SERVER``): a Rust HTTP server with a WSGI interface;
- gunicorn with ``gthread`` workers.

Each worker process builds its own app with ``create_app()`` from the environment, so the
database pools and Redis connections are never shared across a fork. SIGTERM and SIGINT stop
gracefully on both: no new connections, requests in flight finish (at most
``IDP_GRACEFUL_TIMEOUT`` seconds). ``--with-worker`` also runs ``idp worker`` (the outbox) as a
process of its own, supervised: restarted if it dies, stopped with the server.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from .config import DefaultConfig

log = logging.getLogger(__name__)

SERVERS = ("granian", "gunicorn")
#: measured with wrk on loopback (README "Running in production"): granian serves discovery
#: about twice as fast as gunicorn gthread on the same workers and threads
DEFAULT_SERVER = DefaultConfig.SERVER


def cpu_count() -> int:
    """CPUs this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class ServeOptions:
    server: str
    host: str
    port: int
    workers: int
    threads: int
    graceful_timeout: int

    @classmethod
    def from_config(cls, config, **given) -> ServeOptions:
        """The app's settings, overridden by the options given on the command line."""
        bind = given.get("bind") or config["BIND"]
        host, _, port = bind.rpartition(":")
        return cls(server=given.get("server") or config["SERVER"],
                   host=host.strip("[]"), port=int(port),
                   workers=given.get("workers") or config["WORKERS"] or cpu_count(),
                   threads=given.get("threads") or config["THREADS"],
                   graceful_timeout=config["GRACEFUL_TIMEOUT"])


def run_server(options: ServeOptions) -> None:
    """Serve until SIGTERM/SIGINT; returns after the graceful stop."""
    log.info("serving on %s:%s with %s: %d workers x %d threads", options.host, options.port,
             options.server, options.workers, options.threads)
    if options.server == "gunicorn":
        _run_gunicorn(options)
    else:
        _run_granian(options)


def _run_granian(options: ServeOptions) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    Granian("idp:create_app", factory=True, interface=Interfaces.WSGI, address=options.host,
            port=options.port, workers=options.workers, blocking_threads=options.threads,
            workers_kill_timeout=options.graceful_timeout, respawn_failed_workers=True).serve()


def _run_gunicorn(options: ServeOptions) -> None:
    from gunicorn.app.base import BaseApplication
    from gunicorn.arbiter import Arbiter

    class GracefulArbiter(Arbiter):
        def handle_int(self):  # gunicorn's Ctrl-C drops requests in flight; ours is SIGTERM's
            raise StopIteration

    def graceful_worker_sigint(worker) -> None:
        signal.signal(signal.SIGINT, worker.handle_exit)  # Ctrl-C reaches workers too

    settings = {
        "bind": f"[{options.host}]:{options.port}" if ":" in options.host else
                f"{options.host}:{options.port}",
        "workers": options.workers, "worker_class": "gthread", "threads": options.threads,
        "graceful_timeout": options.graceful_timeout, "proc_name": "idp serve",
        "post_worker_init": graceful_worker_sigint,
        # the app trusts forwarded headers itself (IDP_PROXY_FIX_HOPS); gunicorn must not
        "forwarded_allow_ips": "",
        "control_socket_disable": True,  # several servers may run on one host (nodes, tests)
    }

    class IdpApplication(BaseApplication):
        def load_config(self):
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self):
            from . import create_app
            return create_app()

        def run(self):
            GracefulArbiter(self).run()

    IdpApplication().run()


def supervise(serve_argv: list[str], worker_argv: list[str], *,
              worker_restart_delay: float = 2.0) -> int:
    """Run the server and the delivery worker as two processes until a signal or the
    server's end; a worker that dies is started again. Returns the server's exit status."""
    server = subprocess.Popen(serve_argv)
    worker = subprocess.Popen(worker_argv)
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stopping and server.poll() is None:
            if worker.poll() is not None:
                log.error("the delivery worker stopped (status %s): starting it again",
                          worker.returncode)
                time.sleep(worker_restart_delay)
                worker = subprocess.Popen(worker_argv)
            time.sleep(0.2)
    finally:
        for process in (server, worker):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # graceful for both
        for process in (server, worker):
            process.wait()
        for s, handler in previous.items():
            signal.signal(s, handler)
    if stopping and server.returncode == -signal.SIGTERM:
        return 0  # stopped by our SIGTERM before it had set up its own handling: as asked
    return 128 - server.returncode if server.returncode < 0 else server.returncode


def idp_command(*args: str) -> list[str]:
    """The argv of an ``idp`` subcommand run by this interpreter."""
    return [sys.executable, "-m", "idp", *args]
