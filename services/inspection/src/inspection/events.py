"""Events the inspection service emits, through its outbox (payloads: docs/events.md)."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from inspection.db import messaging
from inspection.models import Inspection
from inspection.rules import violated_items
from shared.messaging import Outgoing, emit_many

SOURCE = "/ssj/inspection"
DRAW_EXECUTED = "ssj.draw.executed"
INSPECTION_COMPLETED = "ssj.inspection.completed"
RECTIFICATION_ORDERED = "ssj.inspection.rectification_ordered"
RECTIFICATION_OVERDUE = "ssj.inspection.rectification_overdue"
RECTIFICATION_CLOSED = "ssj.inspection.rectification_closed"
SANCTIONED = "ssj.inspection.sanctioned"
LISTED_SUPERVISION_REPORTED = "ssj.inspection.listed_supervision_reported"
BLACKLISTED = "ssj.inspection.blacklisted"
PRODUCES = [
    INSPECTION_COMPLETED,
    RECTIFICATION_ORDERED,
    RECTIFICATION_OVERDUE,
    RECTIFICATION_CLOSED,
    SANCTIONED,
    LISTED_SUPERVISION_REPORTED,
    BLACKLISTED,
]
SANCTIONS = ("penalty_warning", "penalty_fine", "suspension", "licence_revoked", "criminal_referral")
_PUBLIC_ENTITY_FIELDS = ("id", "name", "credit_code", "sector", "subtype", "division_code")


def public_entity(inspection: Inspection) -> dict[str, Any]:
    return {key: inspection.entity[key] for key in _PUBLIC_ENTITY_FIELDS}


def completed_data(inspection: Inspection, confirmed_by: list[str]) -> dict[str, Any]:
    """The docs/events.md payload, field for field: disclosure and notify depend on it.
    Evidence travels as digests only; the files stay in this service."""
    outcome = inspection.outcome or {}
    deadline = outcome.get("rectification_deadline")
    return {
        "inspection_id": inspection.id,
        "draw_id": inspection.draw_id,
        "position": inspection.position,
        "entity": public_entity(inspection),
        "team": inspection.team,
        "checklist_version": inspection.checklist_version,
        "check_type": inspection.check_type,
        "joint_departments": list(inspection.joint_departments),
        "findings": [
            {"item_code": f.item_code, "result": f.result, "note": f.note, "evidence_sha256": list(f.evidence)}
            for f in inspection.findings
        ],
        "outcome": {
            "type": outcome.get("type"),
            "rectification_deadline": deadline.isoformat() if deadline else None,
            "note": outcome.get("note", ""),
            "fine_yuan": outcome.get("fine_yuan"),
        },
        "credit_entries": outcome.get("credit_entries", []),
        "version": inspection.version,
        "correction_reason": inspection.correction_reason,
        "confirmed_by": confirmed_by,
        "completed_at": inspection.completed_at.isoformat() if inspection.completed_at else None,
        "completed_by": inspection.completed_by,
    }


def outcome_facts(content: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The follow-up facts a confirmed result states, by event type (seed §4)."""
    outcome, facts = content["outcome"], {}
    if outcome["rectification_deadline"]:
        facts[RECTIFICATION_ORDERED] = {
            "deadline": outcome["rectification_deadline"],
            "item_codes": violated_items(content["findings"]),
        }
    if outcome["type"] in SANCTIONS:
        facts[SANCTIONED] = {"sanction": outcome["type"], "fine_yuan": outcome["fine_yuan"], "note": outcome["note"]}
    if outcome["type"] == "listed_supervision":
        facts[LISTED_SUPERVISION_REPORTED] = {"hazard": outcome["hazard"]}
    if outcome["type"] == "blacklisted":
        blacklist = outcome["blacklist"]
        facts[BLACKLISTED] = {key: blacklist[key] for key in ("until", "restrictions", "persons")}
    return facts


def follow_up(inspection: Inspection, event_type: str, at: datetime, **data: Any) -> Outgoing:
    base = {"inspection_id": inspection.id, "entity": public_entity(inspection), "at": at.isoformat()}
    return Outgoing(event_type, inspection.id, base | {"version": inspection.version} | data, inspection.entity_id)


async def result_confirmed(
    session: AsyncSession,
    inspection: Inspection,
    content: dict[str, Any],
    previous: dict[str, Any] | None,
    confirmed_by: list[str],
) -> None:
    """The completed event for every version; a follow-up event for each fact this version
    states that the previous one did not (a correction that keeps the fine re-sends nothing)."""
    assert inspection.completed_at is not None
    outgoing = [
        Outgoing(INSPECTION_COMPLETED, inspection.id, completed_data(inspection, confirmed_by), inspection.entity_id)
    ]
    before = outcome_facts(previous) if previous else {}
    for event_type, data in outcome_facts(content).items():
        if before.get(event_type) != data:
            outgoing.append(follow_up(inspection, event_type, inspection.completed_at, **data))
    await emit_many(session, messaging, SOURCE, outgoing)


async def emit(session: AsyncSession, outgoing: list[Outgoing]) -> None:
    await emit_many(session, messaging, SOURCE, outgoing)
