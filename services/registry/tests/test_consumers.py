"""Inspection outcomes become risk signals; every event is replayed to prove it is recorded once."""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from registry.consumers import HANDLERS
from registry.db import messaging
from registry.events import RISK_SIGNAL_RECORDED
from registry.models import RiskSignal
from shared.events import Event
from shared.messaging import PermanentEventError, handle_once

from .factories import R, W, all_pages, entity

pytestmark = pytest.mark.integration
AT = "2026-10-20T03:00:00+00:00"


def event(kind: str, data: dict[str, Any]) -> Event:
    return Event(
        str(uuid.uuid4()), f"ssj.inspection.{kind}", "/ssj/inspection", data["entity"]["id"], datetime.now(UTC), data
    )


def follow_up(entity_id: str, inspection_id: str = "i-1", **fields: Any) -> dict[str, Any]:
    return {"inspection_id": inspection_id, "entity": {"id": entity_id, "name": "x"}, "at": AT} | fields


async def deliver_twice(sessionmaker, e: Event) -> None:  # type: ignore[no-untyped-def]
    assert await handle_once(sessionmaker, messaging, "registry", HANDLERS, e, None) is True
    assert await handle_once(sessionmaker, messaging, "registry", HANDLERS, e, None) is False


async def _signals(sessionmaker, entity_id: str) -> list[tuple[str, str, str | None]]:  # type: ignore[no-untyped-def]
    async with sessionmaker() as s:
        rows = (
            await s.scalars(select(RiskSignal).where(RiskSignal.entity_id == entity_id).order_by(RiskSignal.id))
        ).all()
    return [(r.kind, r.occurred_date.isoformat(), r.ended_date.isoformat() if r.ended_date else None) for r in rows]


async def _recorded_events(sessionmaker) -> int:  # type: ignore[no-untyped-def]
    async with sessionmaker() as s:
        query = (
            select(func.count()).select_from(messaging.outbox).where(messaging.outbox.c.type == RISK_SIGNAL_RECORDED)
        )
        return int(await s.scalar(query))


async def test_non_compliant_findings_are_a_hidden_hazard_until_rectified(sessionmaker):
    findings = [
        {"item_code": "fire_safety.exits_lanes", "result": "non_compliant"},
        {"item_code": "x", "result": "compliant"},
    ]
    done = {"inspection_id": "i-7", "entity": {"id": "E-1"}, "findings": findings, "completed_at": AT}
    await deliver_twice(sessionmaker, event("completed", done))
    # The order describes the same hazard: still one signal.
    await deliver_twice(sessionmaker, event("rectification_ordered", follow_up("E-1", "i-7", deadline="2026-11-20")))
    assert await _signals(sessionmaker, "E-1") == [("hidden_hazard", "2026-10-20", None)]
    closed = follow_up("E-1", "i-7", rectified=True, reinspection_id="i-8") | {"at": "2026-11-15T01:00:00+00:00"}
    await deliver_twice(sessionmaker, event("rectification_closed", closed))
    assert await _signals(sessionmaker, "E-1") == [("hidden_hazard", "2026-10-20", "2026-11-15")]
    assert await _recorded_events(sessionmaker) == 1


async def test_clean_inspections_record_nothing(sessionmaker):
    done = {"inspection_id": "i-9", "entity": {"id": "E-2"}, "findings": [], "completed_at": AT}
    await deliver_twice(sessionmaker, event("completed", done))
    unrectified = follow_up("E-2", "i-9", rectified=False, reinspection_id=None)
    await deliver_twice(sessionmaker, event("rectification_closed", unrectified))
    assert await _signals(sessionmaker, "E-2") == []


async def test_sanctions_overdue_rectification_listing_and_blacklist(sessionmaker):
    await deliver_twice(sessionmaker, event("sanctioned", follow_up("E-3", sanction="penalty_fine", fine_yuan=5000)))
    await deliver_twice(sessionmaker, event("sanctioned", follow_up("E-3", "i-2", sanction="licence_revoked")))
    overdue = follow_up("E-3", "i-3", deadline="2026-10-01", escalation="suspension")
    await deliver_twice(sessionmaker, event("rectification_overdue", overdue))
    await deliver_twice(
        sessionmaker, event("listed_supervision_reported", follow_up("E-3", "i-4", hazard="消防通道堵塞"))
    )
    persons = [{"name": "张三", "id_number": "210402198001010033", "role": "owner"}]
    banned = follow_up("E-3", "i-5", until="2027-10-20", restrictions=["internet_access"], persons=persons)
    await deliver_twice(sessionmaker, event("blacklisted", banned))
    assert await _signals(sessionmaker, "E-3") == [
        ("penalty", "2026-10-20", None),
        ("penalty", "2026-10-20", None),
        ("serious_violation", "2026-10-20", None),
        ("serious_violation", "2026-10-20", None),
        ("hidden_hazard", "2026-10-20", None),
        ("serious_violation", "2026-10-20", "2027-10-20"),
    ]
    async with sessionmaker() as s:
        blacklist = await s.scalar(select(RiskSignal).where(RiskSignal.ref == "i-5:blacklist"))
    assert blacklist.detail == {"blacklist": True, "until": "2027-10-20", "restrictions": ["internet_access"]}
    assert await _recorded_events(sessionmaker) == 6


async def test_signals_from_inspections_drive_the_risk_filter(client, sessionmaker):
    await client.post("/v1/entities:batch", json={"entities": [entity(id="E-4"), entity(id="E-5")]}, headers=W)
    banned = follow_up("E-4", "i-6", until="2027-01-31", restrictions=["industry_ban"])
    await deliver_twice(sessionmaker, event("blacklisted", banned))
    listed = await all_pages(client, "/v1/entities", {"risk": "serious_violation", "risk_as_of": "2026-12-01"})
    assert [i["id"] for i in listed] == ["E-4"]
    assert await all_pages(client, "/v1/entities", {"risk": "serious_violation", "risk_as_of": "2027-02-01"}) == []
    detail = (await client.get("/v1/entities/E-4", headers=R)).json()
    assert detail["risk_signals"][0]["origin"] == "inspection" and detail["risk_signals"][0]["ref"] == "i-6:blacklist"


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("sanctioned", {"inspection_id": "i-1", "entity": {"id": "E"}, "at": AT}),
        ("blacklisted", {"inspection_id": "i-1", "entity": {"id": "E"}, "at": "not a time", "until": "2027-01-01"}),
        ("completed", {"inspection_id": "i-1", "findings": [], "completed_at": AT}),
    ],
)
async def test_malformed_events_are_rejected_permanently(sessionmaker, kind, data):
    e = Event(str(uuid.uuid4()), f"ssj.inspection.{kind}", "/ssj/inspection", None, None, data)
    with pytest.raises(PermanentEventError):
        await handle_once(sessionmaker, messaging, "registry", HANDLERS, e, None)
    async with sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(RiskSignal)) == 0


async def test_a_corrected_result_retracts_what_only_the_earlier_version_stated(client, sessionmaker):
    await client.post("/v1/entities:batch", json={"entities": [entity(id="E-6")]}, headers=W)
    risky = {"risk": ["hidden_hazard", "penalty"], "risk_as_of": "2026-11-01"}
    wrong = [{"item_code": "fire_safety.exits_lanes", "result": "non_compliant"}]
    v1 = {"inspection_id": "i-20", "entity": {"id": "E-6"}, "findings": wrong, "completed_at": AT, "version": 1}
    v1["outcome"] = {"type": "penalty_fine"}
    await deliver_twice(sessionmaker, event("completed", v1))
    await deliver_twice(sessionmaker, event("sanctioned", follow_up("E-6", "i-20", sanction="penalty_fine", version=1)))
    await deliver_twice(sessionmaker, event("rectification_overdue", follow_up("E-6", "i-20", deadline="2026-10-10")))
    assert [i["id"] for i in await all_pages(client, "/v1/entities", risky)] == ["E-6"]
    corrected = v1 | {"version": 2, "findings": [], "outcome": {"type": "no_issues"}}
    await deliver_twice(sessionmaker, event("completed", corrected))
    assert await _signals(sessionmaker, "E-6") == [
        ("hidden_hazard", "2026-10-20", "2026-10-20"),
        ("penalty", "2026-10-20", "2026-10-20"),
        ("serious_violation", "2026-10-20", None),  # the overdue rectification stays a fact
    ]
    assert await all_pages(client, "/v1/entities", risky) == []
