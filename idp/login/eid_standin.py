"""``python -m idp.login.eid_standin``: the Smart-ID STAND-IN (not SK's service) for ``demo run``,
knowing the demo people as well as its own test persons, so that they can log in with
"Smart-ID" as themselves. ``--persona CODE:GIVEN:FAMILY`` adds one (repeatable)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import waitress

from ..eid.smartid.standin import create_standin_app
from ..eid.smartid.standin_service import DEFAULT_PERSONAS, Persona


def persona(value: str) -> Persona:
    code, given, family = value.split(":", 2)
    return Persona(code, given.upper(), family.upper())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="STAND-IN Smart-ID RP API v3 (not SK's service)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5010)
    parser.add_argument("--ca-dir", required=True, help="the TEST CA (created if absent)")
    parser.add_argument("--persona", action="append", type=persona, default=[])
    args = parser.parse_args(argv)
    extra = {p.personal_code: p for p in args.persona}
    personas = [p for p in DEFAULT_PERSONAS if p.personal_code not in extra] + list(extra.values())
    app = create_standin_app(ca_dir=args.ca_dir, personas=personas)
    print(f"STAND-IN Smart-ID RP API v3 (NOT SK) on http://{args.host}:{args.port}/v3/ "
          f"(phone page: http://{args.host}:{args.port}/)", flush=True)
    # waitress, as the demo schools use: app.run refuses to start under "idp demo run"
    waitress.serve(app, host=args.host, port=args.port, threads=16)


if __name__ == "__main__":
    main()
