"""Events the registry emits, through its outbox (payloads documented in docs/events.md)."""

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.db import messaging
from registry.models import EntityVersion
from shared.events import Event
from shared.messaging import Outgoing, emit_many

SOURCE = "/ssj/registry"
ENTITY_UPSERTED = "ssj.registry.entity.upserted"
ENTITY_DEACTIVATED = "ssj.registry.entity.deactivated"
INSPECTOR_UPSERTED = "ssj.registry.inspector.upserted"
RISK_SIGNAL_RECORDED = "ssj.registry.risk_signal.recorded"
PRODUCES = [ENTITY_UPSERTED, ENTITY_DEACTIVATED, INSPECTOR_UPSERTED, RISK_SIGNAL_RECORDED]
# Internal outbox row type (never on the bus): the ENTITY_UPSERTED events of one bulk write,
# named by its change numbers {"first_seq", "last_seq"}; the relay expands it (version_events).
ENTITY_VERSIONS = "registry.entity-versions"

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


def entity_view(row: Mapping[Any, Any]) -> dict[str, Any]:
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


_VERSIONS = EntityVersion.__table__.c
_VERSION_VIEW = select(_VERSIONS.entity_id.label("id"), *(_VERSIONS[f] for f in ENTITY_EVENT_FIELDS if f != "id"))


async def version_events(session: AsyncSession, row: Any) -> list[tuple[Event, str]]:
    """The ENTITY_UPSERTED events of a bulk write's outbox row, one per version it wrote, in change
    order: the same data store.upsert queues row by row. Event ids are the row's id with its last
    8 hex digits replaced by each version's change number (low 32 bits; a write's are consecutive,
    so they differ): UUID-shaped, unique, and the same every time the row is relayed."""
    span = json.loads(row.data)
    query = _VERSION_VIEW.where(_VERSIONS.seq.between(span["first_seq"], span["last_seq"])).order_by(_VERSIONS.seq)
    prefix = row.event_id[:28]
    return [
        (
            Event(
                id=f"{prefix}{v['seq'] & 0xFFFFFFFF:08x}",
                type=ENTITY_UPSERTED,
                source=row.source,
                subject=v["id"],
                time=row.created_at,
                data=entity_view(v),
                traceparent=row.traceparent,
            ),
            v["id"],
        )
        for v in (await session.execute(query)).mappings()
    ]


messaging.expanders[ENTITY_VERSIONS] = version_events
