"""Results under the two-officer rule (执法人员不得少于两人).

A team member submits a draft (findings and outcome, or a correction with its reason); it
counts as their confirmation. Each other member confirms the same draft by its digest, or by
submitting identical content. Any edit makes a new digest, so earlier confirmations no longer
count. When every member has confirmed one digest the draft becomes the next version: version 1
completes the inspection, later versions correct it. Versions are kept as confirmed, never changed.
"""

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from inspection import audit, events, rectifications, service
from inspection.exceptions import AlreadyCompleted, NotCompleted, Rejected, TeamTooSmall
from inspection.models import AWAITING, COMPLETED, Confirmation, Finding, Inspection, InspectionVersion
from inspection.periods import bureau_today
from inspection.rules import result_errors
from inspection.service import Officer
from inspection.submissions import CorrectionIn, ResultIn
from shared.problems import Conflict


def draft_content(inspection: Inspection, result: ResultIn, version: int) -> dict[str, Any]:
    """Canonical: findings in checklist order, so the same result always has the same digest."""
    order = {item["code"]: seq for seq, item in enumerate(inspection.checklist)}
    outcome = result.outcome.model_dump(mode="json")
    fine = result.outcome.fine_yuan
    outcome["fine_yuan"] = float(fine) if fine is not None else None
    return {
        "version": version,
        "findings": [f.model_dump(mode="json") for f in sorted(result.findings, key=lambda f: order[f.item_code])],
        "outcome": outcome,
        "joint_members": [m.model_dump() for m in result.joint_members],
        "reason": result.reason if isinstance(result, CorrectionIn) else None,
    }


def digest(content: dict[str, Any]) -> str:
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


async def _validate(session: AsyncSession, inspection: Inspection, result: ResultIn, now: datetime) -> None:
    errors = result_errors(await service.task_of(session, inspection), result, bureau_today(now))
    if errors:
        raise Rejected(errors)


def _check_state(inspection: Inspection, correction: bool) -> None:
    if correction and inspection.status != COMPLETED:
        raise NotCompleted(inspection.id)
    if not correction and inspection.status == COMPLETED:
        raise AlreadyCompleted(inspection.id, inspection.completed_at)
    if len(inspection.team) < 2:
        raise TeamTooSmall(inspection.id)


async def submit(
    session: AsyncSession, *, inspection_id: str, result: ResultIn, officer: Officer, now: datetime
) -> Inspection:
    """Record `result` as the draft (a correction if it carries a reason) and confirm it for the submitter."""
    correction = isinstance(result, CorrectionIn)
    inspection = await service.team_inspection(session, inspection_id, officer)
    _check_state(inspection, correction)
    await _validate(session, inspection, result, now)
    if correction:
        rectifications.check_correction(inspection.rectification, result.outcome.rectification_deadline)
    content = draft_content(inspection, result, inspection.version + 1)
    sha = digest(content)
    if sha != inspection.draft_sha256:
        inspection.draft_content, inspection.draft_sha256 = content, sha
        inspection.status = COMPLETED if correction else AWAITING
        entry = audit.entry(
            inspection.id,
            "draft_submitted",
            officer.caller,
            now,
            officer.inspector_id,
            version=content["version"],
            draft_sha256=sha,
            reason=content["reason"],
        )
        await audit.log(session, entry)
    return await _confirm(session, inspection, officer, now)


async def confirm(
    session: AsyncSession, *, inspection_id: str, draft_sha256: str, officer: Officer, now: datetime
) -> Inspection:
    """Confirm the draft the officer reviewed; refused if it has changed since."""
    inspection = await service.team_inspection(session, inspection_id, officer)
    if inspection.draft_content is None:
        raise Conflict(
            "no-draft", f"inspection {inspection.id} has no draft awaiting confirmation", field="draft_sha256"
        )
    if draft_sha256 != inspection.draft_sha256:
        raise Conflict(
            "draft-changed",
            f"the draft of {inspection.id} is now {inspection.draft_sha256}: review it again before confirming",
            field="draft_sha256",
        )
    content = {key: value for key, value in inspection.draft_content.items() if key not in ("version", "reason")}
    result = ResultIn.model_validate(content)
    await _validate(session, inspection, result, now)  # deadlines may have passed since it was submitted
    if inspection.status == COMPLETED:  # a correction: the order may have been followed up meanwhile
        rectifications.check_correction(inspection.rectification, result.outcome.rectification_deadline)
    return await _confirm(session, inspection, officer, now)


async def _confirm(session: AsyncSession, inspection: Inspection, officer: Officer, now: datetime) -> Inspection:
    assert inspection.draft_sha256 is not None
    confirmation = Confirmation(
        inspection_id=inspection.id,
        version=inspection.version + 1,
        inspector_id=officer.inspector_id,
        draft_sha256=inspection.draft_sha256,
        caller=officer.caller,
        confirmed_at=now,
    )
    await session.merge(confirmation)
    entry = audit.entry(
        inspection.id,
        "confirmed",
        officer.caller,
        now,
        officer.inspector_id,
        version=inspection.version + 1,
        draft_sha256=inspection.draft_sha256,
    )
    await audit.log(session, entry)
    await session.flush()
    confirmed = await service.confirmed_by(session, inspection)
    if len(confirmed) == len(inspection.team):
        await _record_version(session, inspection, confirmed, officer, now)
    return inspection


async def _record_version(
    session: AsyncSession, inspection: Inspection, confirmed: list[str], officer: Officer, now: datetime
) -> None:
    content, sha = inspection.draft_content, inspection.draft_sha256
    assert content is not None and sha is not None
    previous = await session.get(InspectionVersion, (inspection.id, inspection.version))
    _apply(inspection, content, officer.caller, now)
    session.add(
        InspectionVersion(
            inspection_id=inspection.id,
            version=inspection.version,
            draft_sha256=sha,
            content=content,
            confirmed_by=confirmed,
            completed_by=officer.caller,
            completed_at=now,
        )
    )
    inspection.draft_content = inspection.draft_sha256 = None
    rectifications.on_result(inspection, content, now)
    action = "completed" if inspection.version == 1 else "corrected"
    entry = audit.entry(
        inspection.id,
        action,
        officer.caller,
        now,
        officer.inspector_id,
        version=inspection.version,
        draft_sha256=sha,
        outcome=content["outcome"]["type"],
        confirmed_by=confirmed,
    )
    await audit.log(session, entry)
    await session.flush()
    await events.result_confirmed(session, inspection, content, previous.content if previous else None, confirmed)


def _apply(inspection: Inspection, content: dict[str, Any], caller: str, now: datetime) -> None:
    """The confirmed draft becomes the inspection's current result; rows are updated in place."""
    order = {item["code"]: seq for seq, item in enumerate(inspection.checklist)}
    current = {f.item_code: f for f in inspection.findings}
    for f in content["findings"]:
        row = current.get(f["item_code"])
        if row is None:
            row = Finding(item_code=f["item_code"], seq=order[f["item_code"]])
            inspection.findings.append(row)
        row.result, row.note, row.evidence = f["result"], f["note"], list(f["evidence"])
    outcome = content["outcome"]
    deadline = outcome["rectification_deadline"]
    inspection.outcome_type, inspection.outcome_note = outcome["type"], outcome["note"]
    inspection.rectification_deadline = None if deadline is None else rectifications.as_date(deadline)
    details = {key: outcome[key] for key in ("fine_yuan", "hazard", "blacklist", "credit_entries") if outcome[key]}
    inspection.outcome_details = details or None
    inspection.joint_members = content["joint_members"] or None
    inspection.correction_reason = content["reason"]
    inspection.version += 1
    inspection.status, inspection.completed_by, inspection.completed_at = COMPLETED, caller, now
