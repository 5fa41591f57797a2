"""Plain functions that build draw.executed events, tasks made from them by the real consumer,
and results confirmed through the API by the team's own credentials."""

import itertools
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from inspection.consumers import HANDLERS, Deps
from inspection.db import messaging
from inspection.events import DRAW_EXECUTED
from inspection.idnumbers import check_character
from shared.events import Event
from shared.messaging import handle_once
from shared.testing import auth

from .conftest import GATEWAY, OFFICERS, READER

_serial = itertools.count(1)
R = auth(READER[0])
TODAY = date(2026, 11, 10)


def as_officer(inspector_id: str) -> dict[str, str]:
    """The officer's own credential if they have one, else the field gateway speaking for them."""
    if inspector_id in OFFICERS:
        return auth(OFFICERS[inspector_id][0])
    return auth(GATEWAY[0]) | {"X-Inspector-Id": inspector_id}


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


def cafe() -> dict[str, Any]:
    return entity(sector="internet_cafe", subtype="cafe", grade=None)


def blasting_unit() -> dict[str, Any]:
    return entity(sector="blasting", subtype="commercial", grade=None)


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


async def task(
    client: httpx.AsyncClient,
    sessionmaker: Any,
    deps: Deps,
    ent: dict[str, Any] | None = None,
    team: list[str] | None = None,
    **draw: Any,
) -> dict[str, Any]:
    """One task made by the real consumer, as GET shows it."""
    data = draw_data([selection(1, team or ["INS-3", "INS-7"], ent)], **draw)
    await deliver(sessionmaker, draw_event(data), deps)
    page = (await client.get("/v1/inspections", params={"draw_id": data["draw_id"]}, headers=R)).json()
    return (await client.get(f"/v1/inspections/{page['items'][0]['id']}", headers=R)).json()


def findings(task: dict[str, Any], result: str = "compliant", violations: dict[int, str] | None = None) -> list[Any]:
    """A finding for every item; `violations` maps checklist positions to a non_compliant note."""
    violations = violations or {}
    return [
        {"item_code": item["code"], "result": "non_compliant", "note": violations[n]}
        if n in violations
        else {"item_code": item["code"], "result": result}
        for n, item in enumerate(task["checklist"])
    ]


def result(task: dict[str, Any], outcome: dict[str, Any], violations: dict[int, str] | None = None) -> dict[str, Any]:
    return {"findings": findings(task, violations=violations), "outcome": outcome}


def days(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


def id_number(birth: str = "19850312", serial: str = "123") -> str:
    first17 = "210402" + birth + serial
    return first17 + check_character(first17)


async def submit(client: httpx.AsyncClient, task: dict[str, Any], body: dict[str, Any], by: str) -> httpx.Response:
    return await client.post(f"/v1/inspections/{task['id']}/complete", json=body, headers=as_officer(by))


async def confirm(client: httpx.AsyncClient, task: dict[str, Any], sha: str, by: str) -> httpx.Response:
    url = f"/v1/inspections/{task['id']}/confirmations"
    return await client.post(url, json={"draft_sha256": sha}, headers=as_officer(by))


async def finish(client: httpx.AsyncClient, task: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """First officer submits (202, awaiting the second), second confirms the digest (200)."""
    first, second = task["team"][0], task["team"][1]
    r = await submit(client, task, body, first)
    assert r.status_code == 202, r.text
    assert r.json()["draft"]["awaiting"] == [second]
    r = await confirm(client, task, r.json()["draft"]["sha256"], second)
    assert r.status_code == 200, r.text
    return r.json()


async def outbox(sessionmaker: Any, event_type: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(type, data) of every queued event, oldest first."""
    query = select(messaging.outbox.c.type, messaging.outbox.c.data).order_by(messaging.outbox.c.id)
    async with sessionmaker() as s:
        rows = (await s.execute(query)).all()
    return [(t, json.loads(d)) for t, d in rows if event_type is None or t == event_type]
