"""Run a demo Stuudium with waitress.

    python -m schools_client.demo --slug noomuusikakool --name "Nõo Muusikakool" --port 5001 \\
        --issuer http://localhost:5000 --client-id noomuusikakool --client-secret ...

The client secret may instead come from the environment variable ``DEMO_CLIENT_SECRET``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from . import create_demo_app


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and serve the demo app until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m schools_client.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--slug", required=True, help="short id, e.g. noomuusikakool")
    parser.add_argument("--name", required=True, help='display name, e.g. "Nõo Muusikakool"')
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--host", default="localhost", help="interface to listen on (default: localhost)")
    parser.add_argument("--issuer", required=True, help="IdP issuer, e.g. http://localhost:5000")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", default=os.environ.get("DEMO_CLIENT_SECRET"),
                        help="default: $DEMO_CLIENT_SECRET")
    parser.add_argument("--base-url", help="public base URL (default: http://localhost:PORT)")
    parser.add_argument("--color", help="brand colour #rrggbb")
    parser.add_argument("--kind", choices=["music", "gymnasium", "kindergarten", "school"])
    parser.add_argument("--session-db", help="SQLite file for sessions (default: in memory)")
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    if not args.client_secret:
        parser.error("--client-secret or DEMO_CLIENT_SECRET is required")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_demo_app({
        "slug": args.slug, "name": args.name, "port": args.port, "issuer": args.issuer,
        "client_id": args.client_id, "client_secret": args.client_secret, "base_url": args.base_url,
        "color": args.color, "kind": args.kind, "session_db": args.session_db,
    })
    import waitress

    print(f"{args.name}: {app.config['DEMO_BASE_URL']}/ (issuer {args.issuer})", flush=True)
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="stuudium-demo")
    return 0


if __name__ == "__main__":
    sys.exit(main())
