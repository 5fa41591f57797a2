"""Events the registry emits, through its outbox (payloads documented in docs/events.md)."""

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from registry.db import messaging
from shared.messaging import Outgoing, emit_many

SOURCE = "/ssj/registry"
ENTITY_UPSERTED = "ssj.registry.entity.upserted"
ENTITY_DEACTIVATED = "ssj.registry.entity.deactivated"
INSPECTOR_UPSERTED = "ssj.registry.inspector.upserted"
RISK_SIGNAL_RECORDED = "ssj.registry.risk_signal.recorded"
PRODUCES = [ENTITY_UPSERTED, ENTITY_DEACTIVATED, INSPECTOR_UPSERTED, RISK_SIGNAL_RECORDED]

# The event view of an entity: the draw's fields plus dates and provenance; never the ID number.
ENTITY_EVENT_FIELDS = (
    "id",
    "sector",
    "subtype",
    "name",
    "credit_code",
    "division_code",
    "grade",
    "flags",
    "active",
    "version",
    "established_date",
    "closed_date",
    "source",
    "seq",
)
INSPECTOR_EVENT_FIELDS = (
    "id",
    "name",
    "unit",
    "unit_name",
    "jurisdiction",
    "qualification_expires_date",
    "qualifications",
    "active",
    "conflicts",
    "conflict_details",
    "version",
    "source",
    "seq",
)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def entity_view(row: dict[str, Any]) -> dict[str, Any]:
    return {f: _plain(row.get(f)) for f in ENTITY_EVENT_FIELDS}


def inspector_view(row: dict[str, Any]) -> dict[str, Any]:
    return {f: _plain(row.get(f)) for f in INSPECTOR_EVENT_FIELDS}


async def announce(session: AsyncSession, event_type: str, views: list[dict[str, Any]]) -> None:
    """One event per written row, keyed by its id so a consumer sees its versions in order."""
    await emit_many(session, messaging, SOURCE, [Outgoing(event_type, v["id"], v, v["id"]) for v in views])


async def entities_deactivated(session: AsyncSession, views: list[dict[str, Any]], reason: str, run_id: str) -> None:
    """Tombstones: the entity is kept (never deleted) but leaves every pool from now on."""
    out = [Outgoing(ENTITY_DEACTIVATED, v["id"], v | {"reason": reason, "run_id": run_id}, v["id"]) for v in views]
    await emit_many(session, messaging, SOURCE, out)


async def risk_signals_recorded(session: AsyncSession, signals: list[dict[str, Any]]) -> None:
    out = [
        Outgoing(
            RISK_SIGNAL_RECORDED,
            s["entity_id"],
            {k: _plain(s.get(k)) for k in ("entity_id", "kind", "occurred_date", "ended_date", "origin", "ref")},
            s["entity_id"],
        )
        for s in signals
    ]
    await emit_many(session, messaging, SOURCE, out)
