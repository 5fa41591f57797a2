"""What a result must satisfy: findings that cover the checklist exactly, evidence that was
uploaded, an outcome that agrees with the findings and the sector (docs/events.md; seed §4),
and, for joint checks, the named departments present. Pure functions, tested without I/O."""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from inspection.submissions import FindingIn, JointMember, OutcomeIn, ResultIn

Error = dict[str, Any]
# Seed §4: 挂牌督办 is the fire-safety route for major hazards; the blacklist is the café route.
ONLY_FOR_SECTOR = {"listed_supervision": "fire_safety", "blacklisted": "internet_cafe"}
# The detail each outcome type requires, and that no other type may carry.
REQUIRED_DETAIL = {"penalty_fine": "fine_yuan", "listed_supervision": "hazard", "blacklisted": "blacklist"}


@dataclass(frozen=True)
class Task:
    """What a result is checked against: the task's own checklist, sector, check type and files."""

    codes: list[str]
    sector: str
    check_type: str = "on_site"
    joint_departments: list[str] = field(default_factory=list)
    evidence: Collection[str] = ()


def findings_errors(task: Task, findings: list[FindingIn]) -> list[Error]:
    """One finding per checklist item: none unknown, none twice, none missing; files uploaded."""
    known = set(task.codes)
    seen: dict[str, int] = {}
    errors: list[Error] = []
    for i, finding in enumerate(findings):
        at, code = f"findings[{i}].item_code", finding.item_code
        if code not in known:
            errors.append({"field": at, "message": f"{code!r} is not on this inspection's checklist"})
        elif code in seen:
            errors.append({"field": at, "message": f"{code!r} already has a finding at findings[{seen[code]}]"})
        else:
            seen[code] = i
        errors += evidence_errors(task, finding.evidence, f"findings[{i}].evidence")
    missing = [code for code in task.codes if code not in seen]
    if missing:
        errors.append({"field": "findings", "message": f"no finding for {', '.join(missing)}", "missing": missing})
    return errors


def evidence_errors(task: Task, digests: list[str], at: str) -> list[Error]:
    return [
        {"field": f"{at}[{j}]", "message": f"no evidence file {digest} was uploaded to this inspection"}
        for j, digest in enumerate(digests)
        if digest not in task.evidence
    ]


def outcome_errors(task: Task, findings: list[FindingIn], outcome: OutcomeIn, today: date) -> list[Error]:
    """A sanction needs a violation to rest on; a clean result cannot ignore one."""
    violated = any(f.result == "non_compliant" for f in findings)
    errors: list[Error] = []
    if outcome.type == "no_issues" and violated:
        errors.append({"field": "outcome.type", "message": "no_issues contradicts a non_compliant finding"})
    if outcome.type != "no_issues" and not violated:
        errors.append({"field": "outcome.type", "message": f"{outcome.type} needs at least one non_compliant finding"})
    sector = ONLY_FOR_SECTOR.get(outcome.type)
    if sector and task.sector != sector:
        errors.append(
            {"field": "outcome.type", "message": f"{outcome.type} applies to {sector} only, not {task.sector}"}
        )
    return errors + _deadline_errors(outcome, today) + _detail_errors(task, outcome, today)


def _deadline_errors(outcome: OutcomeIn, today: date) -> list[Error]:
    field, deadline = "outcome.rectification_deadline", outcome.rectification_deadline
    if deadline is None:
        if outcome.type == "rectification_ordered":
            return [{"field": field, "message": "rectification_ordered needs a rectification_deadline"}]
        return []
    if outcome.type == "no_issues":
        return [{"field": field, "message": "no_issues orders nothing to rectify"}]
    if deadline <= today:
        return [{"field": field, "message": f"must be after today ({today.isoformat()})"}]
    return []


def _detail_errors(task: Task, outcome: OutcomeIn, today: date) -> list[Error]:
    errors: list[Error] = []
    for kind, detail in REQUIRED_DETAIL.items():
        given = getattr(outcome, detail) is not None
        if outcome.type == kind and not given:
            errors.append({"field": f"outcome.{detail}", "message": f"{kind} needs {detail}"})
        elif outcome.type != kind and given:
            errors.append({"field": f"outcome.{detail}", "message": f"only {kind} carries {detail}"})
    if outcome.blacklist is not None and outcome.blacklist.until <= today:
        errors.append({"field": "outcome.blacklist.until", "message": f"must be after today ({today.isoformat()})"})
    if outcome.credit_entries and task.sector != "internet_cafe":
        errors.append({"field": "outcome.credit_entries", "message": "credit entries are kept for internet cafés only"})
    return errors


def joint_errors(task: Task, members: list[JointMember]) -> list[Error]:
    """A joint check (联合抽查) names who took part for each department it was drawn with."""
    if task.check_type != "joint":
        if members:
            return [{"field": "joint_members", "message": f"a {task.check_type} check has no joint members"}]
        return []
    errors = [
        {"field": f"joint_members[{i}].department", "message": f"{m.department} is not part of this joint check"}
        for i, m in enumerate(members)
        if m.department not in task.joint_departments
    ]
    absent = [d for d in task.joint_departments if d not in {m.department for m in members}]
    if absent:
        errors.append({"field": "joint_members", "message": f"no member named for {', '.join(absent)}"})
    return errors


def result_errors(task: Task, result: ResultIn, today: date) -> list[Error]:
    return (
        findings_errors(task, result.findings)
        + outcome_errors(task, result.findings, result.outcome, today)
        + joint_errors(task, result.joint_members)
    )


def violated_items(findings: list[dict[str, Any]]) -> list[str]:
    return [f["item_code"] for f in findings if f["result"] == "non_compliant"]
