"""Events the draw service emits, through its outbox (payloads: docs/events.md)."""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from draw.algorithm import Selection
from draw.db import messaging
from draw.models import Draw
from shared.messaging import Outgoing, emit, emit_many

SOURCE = "/ssj/draw"
DRAW_COMMITTED = "ssj.draw.committed"
DRAW_EXECUTED = "ssj.draw.executed"
DRAW_VOIDED = "ssj.draw.voided"
PRODUCES = [DRAW_COMMITTED, DRAW_EXECUTED, DRAW_VOIDED]


def _plan(draw: Draw) -> dict[str, Any]:
    return {
        "draw_id": draw.id,
        "title": draw.title,
        "sector": draw.sector,
        "checking_body": draw.checking_body,
        "period": draw.period,
        "due_date": draw.due_date.isoformat() if draw.due_date else None,
        "team_size": draw.team_size,
        "jurisdiction": draw.jurisdiction,
        # Inspection makes joint tasks (联合抽查) and online patrols (网上巡查) from these two.
        "check_type": draw.check_type,
        "joint_departments": draw.joint_departments or [],
        "plan_item_id": draw.plan_item_id,
        "rule_code": draw.rule_code,
        "risk_policy": draw.risk_policy,
    }


async def draw_committed(session: AsyncSession, draw: Draw) -> None:
    """Publishes the commitment (never the secret) before any randomness exists."""
    data = _plan(draw) | {
        "quotas": draw.quotas,
        "pool_size": draw.pool_size,
        "inspector_count": draw.inspector_count,
        "entropy_source": draw.entropy_source,
        "commitment": draw.commitment,
        "commitment_sha256": draw.commitment_sha256,
        "committed_at": draw.created_at.isoformat(),
        "record_url": draw.record_url,
    }
    await emit(session, messaging, type=DRAW_COMMITTED, source=SOURCE, key=draw.id, subject=draw.id, data=data)


def entity_snapshot(sector: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The registry row as frozen at commit: inspection works from it, not from a later edit."""
    return {
        "id": row["id"],
        "name": row["name"],
        "credit_code": row["credit_code"],
        "sector": row.get("sector") or sector,
        "subtype": row["subtype"],
        "division_code": row["division_code"],
        "grade": row.get("grade"),
        "flags": row.get("flags") or {},
    }


# Selections per executed event: 5,000 are about 1.6 MB, far under Kafka's message limit
# (kafka_max_message_bytes, 16 MiB), which one event of a 60,000-entity draw would pass.
SELECTIONS_PER_EVENT = 5_000


async def draw_executed(
    session: AsyncSession,
    draw: Draw,
    selections: Sequence[Selection],
    snapshots: Mapping[str, Mapping[str, Any]],
) -> None:
    """One event per SELECTIONS_PER_EVENT selections, each with the whole plan, its `part` of
    `parts` and the draw's `selections_total`; all keyed by the draw id, so they stay in order.
    A consumer may act on each part alone (inspection makes the part's tasks)."""
    assert draw.executed_at is not None
    plan = _plan(draw) | {"executed_at": draw.executed_at.isoformat(), "record_url": draw.record_url}
    chunks = [selections[at : at + SELECTIONS_PER_EVENT] for at in range(0, len(selections), SELECTIONS_PER_EVENT)]
    chunks = chunks or [[]]
    events = [
        Outgoing(
            DRAW_EXECUTED,
            draw.id,
            plan
            | {
                "part": part,
                "parts": len(chunks),
                "selections_total": len(selections),
                "selections": [
                    {
                        "position": s.position,
                        "entity_id": s.entity_id,
                        "stratum": s.stratum,
                        "team": list(s.team),
                        "entity": entity_snapshot(draw.sector, snapshots[s.entity_id]),
                    }
                    for s in chunk
                ],
            },
            draw.id,
        )
        for part, chunk in enumerate(chunks, start=1)
    ]
    await emit_many(session, messaging, SOURCE, events)


async def draw_voided(session: AsyncSession, draw: Draw) -> None:
    """Published so inspection can cancel the tasks of an executed draw, and anyone can see why."""
    assert draw.voided_at is not None
    data = _plan(draw) | {
        "status_before": "executed" if draw.seed else "committed",
        "reason": draw.void_reason,
        "requested_by": draw.void_requested_by,
        "approved_by": draw.voided_by,
        "voided_at": draw.voided_at.isoformat(),
        "replacement_draw_id": draw.replaced_by,
        "record_url": draw.record_url,
    }
    await emit(session, messaging, type=DRAW_VOIDED, source=SOURCE, key=draw.id, subject=draw.id, data=data)
