"""Events the inspection service emits, through its outbox."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from inspection.db import messaging
from inspection.models import Inspection
from shared.messaging import emit

SOURCE = "/ssj/inspection"
DRAW_EXECUTED = "ssj.draw.executed"
INSPECTION_COMPLETED = "ssj.inspection.completed"
PRODUCES = [INSPECTION_COMPLETED]
_PUBLIC_ENTITY_FIELDS = ("id", "name", "credit_code", "sector", "subtype", "division_code")


def completed_data(inspection: Inspection) -> dict[str, Any]:
    """The docs/events.md payload, field for field: disclosure and notify depend on it."""
    outcome = inspection.outcome or {}
    deadline = outcome.get("rectification_deadline")
    return {
        "inspection_id": inspection.id,
        "draw_id": inspection.draw_id,
        "position": inspection.position,
        "entity": {key: inspection.entity[key] for key in _PUBLIC_ENTITY_FIELDS},
        "team": inspection.team,
        "checklist_version": inspection.checklist_version,
        "findings": [{"item_code": f.item_code, "result": f.result, "note": f.note} for f in inspection.findings],
        "outcome": {
            "type": outcome.get("type"),
            "rectification_deadline": deadline.isoformat() if deadline else None,
            "note": outcome.get("note", ""),
        },
        "completed_at": inspection.completed_at.isoformat() if inspection.completed_at else None,
        "completed_by": inspection.completed_by,
    }


async def inspection_completed(session: AsyncSession, inspection: Inspection) -> None:
    await emit(
        session,
        messaging,
        type=INSPECTION_COMPLETED,
        source=SOURCE,
        key=inspection.id,
        subject=inspection.entity_id,
        data=completed_data(inspection),
    )
