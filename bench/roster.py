"""Roster import benchmark: check, apply and re-check a generated file of 10,000 rows.

    .venv/bin/python -m bench.roster [--rows N] [--database-url URL]

Then every row is renamed at a school that takes profile-sync events: one event per account.
Without ``--database-url`` a temporary SQLite file is used; a PostgreSQL URL must name an empty
database (the tables are created and dropped). Prints the time of each step; exits 1 when the
whole import takes longer than the target (seconds, on this project's reference machine).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

from idp import create_app, roster
from idp.extensions import db
from idp.isikukood import checksum
from idp.models import OutboxMessage
from idp.roster.apply import apply
from idp.services import schools as school_service

TARGET_SECONDS = 15.0


def isikukood(i: int) -> str:
    first = f"5{10 + i // 1000 % 10:02d}0101{i % 1000:03d}"
    return first + str(checksum(first))


def roster_file(rows: int) -> bytes:
    """Students and their parents (every other row), Estonian names, ``;`` as Excel writes."""
    lines = ["external_id;username;given_name;family_name;roles;email;isikukood;guardian_of"]
    for i in range(rows // 2):
        lines.append(f"S{i};opilane{i};Õnne{i};Kask-Tamm;õpilane;;{isikukood(i)};")
        lines.append(f"P{i};vanem{i};Jüri{i};Kask-Tamm;lapsevanem|õpetaja;vanem{i}@example.ee;;S{i}")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="idp-bench-roster-")
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    app = create_app({"ENV": "testing", "SECRET_KEY": "bench", "ISSUER": "http://idp.bench",
                      "KEYS_AUTO_GENERATE": True, "SQLALCHEMY_DATABASE_URI": url},
                     instance_path=tmp)
    data = roster_file(args.rows)
    with app.app_context():
        db.create_all()
        try:
            school, _secret = school_service.add(slug="bench", name="Bench School")
            db.session.commit()
            t0 = time.perf_counter()
            plan = roster.check(school.id, data)
            t1 = time.perf_counter()
            result = apply(plan, actor="bench", via="bench")
            t2 = time.perf_counter()
            again = roster.check(school.id, data)
            t3 = time.perf_counter()
            # every family name changes, at a school that takes profile-sync events
            school.events_uri = "http://127.0.0.1:9/oidc/events"
            db.session.commit()
            renamed = data.replace(b"Kask-Tamm", b"Tamm-Kask")
            t4 = time.perf_counter()
            updated = apply(roster.check(school.id, renamed), actor="bench", via="bench")
            t5 = time.perf_counter()
            events = db.session.scalar(db.select(db.func.count(OutboxMessage.id)))
        finally:
            db.session.remove()
            db.drop_all()
    assert result["created"] == args.rows and again.counts()["unchanged"] == args.rows
    assert updated["updated"] == args.rows and events == args.rows
    total = t3 - t0
    ok = total <= TARGET_SECONDS * args.rows / 10_000
    print(f"{'ok ' if ok else 'SLOW'} roster import of {args.rows} rows on {url.split(':')[0]}: "
          f"check {t1 - t0:.2f} s, apply {t2 - t1:.2f} s ({result['guardianships']} "
          f"guardianships), re-check {t3 - t2:.2f} s (nothing to change); total {total:.2f} s "
          f"(target {TARGET_SECONDS:.0f} s per 10,000)")
    print(f"    renaming all {args.rows} (check + apply, {events} profile-sync events queued): "
          f"{t5 - t4:.2f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
