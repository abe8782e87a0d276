"""A plan as data: the counts, and per row what happens and why (JSON for the CLI and the page)."""

from __future__ import annotations

from .messages import render
from .plan import Plan, Problem, RowPlan


def problem_dict(problem: Problem, translate: bool | None) -> dict:
    item = {"field": problem.field, "code": problem.code, "params": problem.params}
    if translate is not None:
        item["message"] = render(problem.code, problem.params, translate=translate)
    return item


def row_dict(row: RowPlan, translate: bool | None = None) -> dict:
    data, raw = row.data, row.raw
    return {
        "row": row.number,
        "action": row.action,
        "external_id": data.external_id if data else (raw.get("external_id") or "")[:100],
        "username": data.username if data else (raw.get("username") or "")[:100],
        "name": (f"{data.given_name} {data.family_name}" if data else
                 f"{raw.get('given_name', '')} {raw.get('family_name', '')}".strip()[:200]),
        "changes": sorted(row.changes),
        "errors": [problem_dict(p, translate) for p in row.errors],
        "warnings": [problem_dict(p, translate) for p in row.warnings],
    }


def report(plan: Plan, *, translate: bool | None = None, limit: int | None = None) -> dict:
    """The report; with ``limit``, at most that many rows of each action (for the page)."""
    shown: dict[str, int] = {}
    rows = []
    for row in plan.rows:
        if limit is not None and row.action != "rejected" and shown.get(row.action, 0) >= limit:
            continue
        shown[row.action] = shown.get(row.action, 0) + 1
        rows.append(row_dict(row, translate))
    guardianships = [{"row": g.row, "parent": g.parent_username, "student": g.student_username}
                     for g in plan.guardianships[:limit]]
    return {"counts": plan.counts(), "rows": rows, "guardianships": guardianships}
