"""Events the registry emits, through its outbox."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from registry.db import messaging
from registry.schemas import EntityRead, InspectorRead
from shared.messaging import Outgoing, emit_many

SOURCE = "/ssj/registry"
ENTITY_UPSERTED = "ssj.registry.entity.upserted"
INSPECTOR_UPSERTED = "ssj.registry.inspector.upserted"
PRODUCES = [ENTITY_UPSERTED, INSPECTOR_UPSERTED]


async def entities_upserted(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """One event per new or changed entity, carrying its public view and new version."""
    events = [Outgoing(ENTITY_UPSERTED, r["id"], _view(EntityRead, r), r["id"]) for r in rows]
    await emit_many(session, messaging, SOURCE, events)


async def inspectors_upserted(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    events = [Outgoing(INSPECTOR_UPSERTED, r["id"], _view(InspectorRead, r), r["id"]) for r in rows]
    await emit_many(session, messaging, SOURCE, events)


def _view(schema: Any, row: dict[str, Any]) -> dict[str, Any]:
    return dict(schema.model_validate(row).model_dump(mode="json"))
