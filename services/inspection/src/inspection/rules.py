"""What a completion must satisfy: findings that cover the checklist exactly, and an outcome
that agrees with them (docs/events.md). Pure functions, so every rule is tested without I/O."""

from datetime import date
from typing import Any

from inspection.schemas import FindingIn, OutcomeIn

Error = dict[str, Any]


def findings_errors(codes: list[str], findings: list[FindingIn]) -> list[Error]:
    """One finding per checklist item: none unknown, none twice, none missing."""
    known = set(codes)
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
    missing = [code for code in codes if code not in seen]
    if missing:
        errors.append({"field": "findings", "message": f"no finding for {', '.join(missing)}", "missing": missing})
    return errors


def outcome_errors(findings: list[FindingIn], outcome: OutcomeIn, today: date) -> list[Error]:
    """A sanction needs a violation to rest on; a clean result cannot ignore one."""
    violated = any(f.result == "non_compliant" for f in findings)
    errors: list[Error] = []
    if outcome.type == "no_issues" and violated:
        errors.append({"field": "outcome.type", "message": "no_issues contradicts a non_compliant finding"})
    if outcome.type != "no_issues" and not violated:
        errors.append({"field": "outcome.type", "message": f"{outcome.type} needs at least one non_compliant finding"})
    errors += _deadline_errors(outcome, today)
    return errors


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


def completion_errors(codes: list[str], findings: list[FindingIn], outcome: OutcomeIn, today: date) -> list[Error]:
    return findings_errors(codes, findings) + outcome_errors(findings, outcome, today)
