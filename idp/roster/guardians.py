"""The ``guardian_of`` column: which guardianships a roster adds, and which rows it rejects.

A parent's row names students by external id, in the file or already at the school. A parent
row whose student's row is rejected is rejected too, so that nothing is imported half-done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .plan import Existing, RowPlan, Snapshot


@dataclass
class GuardianshipPlan:
    row: int
    parent: tuple[str, int]
    student: tuple[str, int]
    parent_username: str
    student_username: str


def plan_guardianships(rows: list[RowPlan], by_external_id: dict[str, RowPlan],
                       snapshot: Snapshot) -> list[GuardianshipPlan]:
    def target(external_id: str) -> tuple[RowPlan | None, Existing | None]:
        in_file = by_external_id.get(external_id)
        return (in_file, None) if in_file else (None, snapshot.by_external_id.get(external_id))

    for row in rows:
        if row.errors or not row.guardian_of:
            continue
        if "parent" not in row.data.roles:
            row.reject("guardian_of", "guardian_needs_parent")
            continue
        for external_id in row.guardian_of:
            in_file, existing = target(external_id)
            if external_id == row.data.external_id:
                row.reject("guardian_of", "guardian_self")
            elif in_file is None and existing is None:
                row.reject("guardian_of", "guardian_unknown", value=external_id)
            elif "student" not in (in_file.data.roles if in_file and in_file.data else
                                   existing.roles if existing else ["student"]):
                row.reject("guardian_of", "guardian_not_student", value=external_id)
    cascade_rejections(rows, by_external_id)
    result, seen = [], set()
    for row in rows:
        if row.errors:
            continue
        for external_id in row.guardian_of:
            in_file, existing = target(external_id)
            student = in_file.ref() if in_file else ("account", existing.id)
            pair = (row.ref(), student)
            if pair in seen or (pair[0][0] == student[0] == "account"
                                and (pair[0][1], student[1]) in snapshot.guardianships):
                continue
            seen.add(pair)
            username = in_file.data.username if in_file else existing.username
            result.append(GuardianshipPlan(row.number, row.ref(), student, row.data.username, username))
    return result


def cascade_rejections(rows: list[RowPlan], by_external_id: dict[str, RowPlan]) -> None:
    """A parent row whose student's row is rejected is rejected too (nothing half-done)."""
    changed = True
    while changed:
        changed = False
        for row in rows:
            if row.errors:
                continue
            for external_id in row.guardian_of:
                student = by_external_id.get(external_id)
                if student is not None and student.errors:
                    row.reject("guardian_of", "guardian_rejected", value=external_id,
                               row=student.number)
                    changed = True
                    break
