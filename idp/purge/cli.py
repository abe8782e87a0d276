"""``idp purge [--dry-run] [--time-budget S]``: one purge round, counts per table."""

from __future__ import annotations

import json

import click

from .runner import PurgeReport, purge


def describe(report: PurgeReport) -> str:
    verb = "due (dry run: nothing deleted)" if report.dry_run else "deleted"
    lines = [f"{table:24} {count:>10}" for table, count in report.counts.items()]
    lines.append(f"{'total ' + verb:24} {report.total:>10}  in {report.seconds:.1f} s")
    if not report.complete:
        lines.append("the time budget ran out: run again (or let `idp worker` continue)")
    return "\n".join(lines)


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="count what is due; delete nothing")
@click.option("--time-budget", type=click.FloatRange(min=0, min_open=True), default=None,
              help="seconds this round may take (default: IDP_PURGE_TIME_BUDGET)")
@click.option("--json", "as_json", is_flag=True)
def purge_command(dry_run, time_budget, as_json):
    """Delete expired codes, tokens, sessions, delivered messages and old audit events."""
    report = purge(dry_run=dry_run, time_budget=time_budget)
    if as_json:
        click.echo(json.dumps({"counts": report.counts, "complete": report.complete,
                               "dry_run": report.dry_run, "seconds": round(report.seconds, 3)}))
    else:
        click.echo(describe(report))
