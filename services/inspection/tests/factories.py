"""Plain functions that build draw.executed events, and tasks made from them by the real consumer."""

import itertools
import uuid
from datetime import UTC, datetime
from typing import Any

from inspection.consumers import HANDLERS, Deps
from inspection.db import messaging
from inspection.events import DRAW_EXECUTED
from shared.events import Event
from shared.messaging import handle_once

_serial = itertools.count(1)


def entity(**overrides: Any) -> dict[str, Any]:
    n = next(_serial)
    base = {
        "id": f"ENT-{n:05d}",
        "name": f"娱乐场所{n}",
        "credit_code": f"9121040000000{n:05d}",
        "sector": "entertainment",
        "subtype": "venue",
        "division_code": "210402",
        "grade": "A",
        "flags": {},
    }
    return base | overrides


def fire_unit(**flags: bool) -> dict[str, Any]:
    return entity(sector="fire_safety", subtype="unit", grade=None, flags=flags)


def selection(position: int, team: list[str], ent: dict[str, Any] | None = None) -> dict[str, Any]:
    ent = ent or entity()
    return {
        "position": position,
        "entity_id": ent["id"],
        "stratum": f"{ent['sector']}/{ent['grade']}",
        "team": team,
        "entity": ent,
    }


def draw_data(selections: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    draw_id = f"d-{uuid.uuid4().hex[:12]}"
    base = {
        "draw_id": draw_id,
        "title": "2026Q4 娱乐场所 county check",
        "sector": "entertainment",
        "checking_body": "county_public_order",
        "period": "2026-Q4",
        "due_date": "2026-12-20",
        "team_size": 2,
        "executed_at": "2026-10-08T02:00:00+00:00",
        "record_url": f"/v1/draws/{draw_id}/record",
        "selections": selections,
    }
    return base | overrides


def draw_event(data: dict[str, Any], event_id: str | None = None) -> Event:
    return Event(
        id=event_id or str(uuid.uuid4()),
        type=DRAW_EXECUTED,
        source="/ssj/draw",
        subject=data.get("draw_id"),
        time=datetime.now(UTC),
        data=data,
    )


async def deliver(sessionmaker: Any, event: Event, deps: Deps) -> bool:
    return await handle_once(sessionmaker, messaging, "inspection", HANDLERS, event, deps)


async def deliver_twice(sessionmaker: Any, event: Event, deps: Deps) -> None:
    """Handle the event, then replay it: the replay must be recognised as a duplicate."""
    assert await deliver(sessionmaker, event, deps) is True
    assert await deliver(sessionmaker, event, deps) is False
