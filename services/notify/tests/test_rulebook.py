"""Routing rules edited through the API: every change is a new version, and deliveries name the
version that routed them."""

import pytest
from sqlalchemy import func, select

from notify.consumers import HANDLERS
from notify.db import messaging
from notify.models import Delivery, RoutingRule
from shared.messaging import handle_once
from shared.testing import auth

from .conftest import ADMIN
from .factories import follow_up, inspection_completed, subscription_in

pytestmark = pytest.mark.integration
A = auth(ADMIN[0])
R6 = {
    "id": "R6",
    "event_types": ["ssj.inspection.rectification_overdue"],
    "sectors": ["blasting"],
    "departments": ["work_safety"],
    "description_zh": "爆破作业单位逾期未整改，通报安监部门",
}
R2_WIDER = {
    "event_types": ["ssj.inspection.completed"],
    "sectors": ["security_service"],
    "departments": ["market_regulation", "culture_enforcement"],
    "description_zh": "保安服务业抽查结果通报工商和文化执法部门",
}


async def rule_rows(sessionmaker) -> int:
    async with sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(RoutingRule))


async def routed(client, sessionmaker, event) -> list[tuple[str, str, int]]:
    await handle_once(sessionmaker, messaging, "notify", HANDLERS, event, None)
    async with sessionmaker() as s:
        rows = await s.scalars(select(Delivery).where(Delivery.event_id == event.id).order_by(Delivery.department))
        return [(d.department, d.rule_id, d.rule_version) for d in rows]


async def subscribe(client, *departments: str) -> None:
    for department in departments:
        r = await client.post("/v1/subscriptions", json=subscription_in(department=department), headers=A)
        assert r.status_code == 201


async def test_rules_in_force_are_the_seed(client):
    rules = (await client.get("/v1/routing-rules", headers=A)).json()["items"]
    assert [(r["id"], r["version"], r["event_types"], r["departments"], r["to_participants"]) for r in rules] == [
        ("R1", 1, ["ssj.inspection.completed"], ["market_regulation", "culture_enforcement"], False),
        ("R2", 1, ["ssj.inspection.completed"], ["market_regulation"], False),
        ("R3", 2, ["ssj.inspection.blacklisted"], ["market_regulation", "culture_enforcement"], False),
        ("R4", 2, ["ssj.inspection.listed_supervision_reported"], ["government"], False),
        ("R5", 1, ["ssj.inspection.completed"], [], True),
    ]
    assert rules[4]["check_types"] == ["joint"] and rules[2]["sectors"] == ["internet_cafe"]


async def test_a_new_rule_routes_at_once(client, sessionmaker):
    await subscribe(client, "work_safety")
    overdue = "ssj.inspection.rectification_overdue"
    event = follow_up(overdue, "blasting", deadline="2026-12-01", escalation="suspension")
    assert await routed(client, sessionmaker, event) == []
    r = await client.post("/v1/routing-rules", json=R6, headers=A)
    assert r.status_code == 201
    assert r.json() | {"created_at": None} == R6 | {
        "version": 1,
        "outcomes": None,
        "check_types": None,
        "to_participants": False,
        "active": True,
        "created_at": None,
        "created_by": "ops-console",
    }
    again = follow_up(overdue, "blasting", deadline="2026-12-01", escalation=None)
    assert await routed(client, sessionmaker, again) == [("work_safety", "R6", 1)]
    r = await client.post("/v1/routing-rules", json=R6, headers=A)
    assert r.status_code == 409 and r.json()["field"] == "id"


async def test_revising_makes_a_new_version_and_deliveries_name_theirs(client, sessionmaker):
    await subscribe(client, "market_regulation", "culture_enforcement")
    before = await routed(client, sessionmaker, inspection_completed("security_service"))
    r = await client.put("/v1/routing-rules/R2", json=R2_WIDER, headers=A)
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["active"] is True
    after = await routed(client, sessionmaker, inspection_completed("security_service"))
    assert before == [("market_regulation", "R2", 1)]
    assert after == [("culture_enforcement", "R2", 2), ("market_regulation", "R2", 2)]
    versions = (await client.get("/v1/routing-rules/R2/versions", headers=A)).json()["items"]
    assert [(v["version"], v["active"], v["departments"]) for v in versions] == [
        (1, False, ["market_regulation"]),
        (2, True, ["market_regulation", "culture_enforcement"]),
    ]
    in_force = (await client.get("/v1/routing-rules", headers=A)).json()["items"]
    assert [(r["id"], r["version"]) for r in in_force if r["id"] == "R2"] == [("R2", 2)]


async def test_retiring_is_a_version_too(client, sessionmaker):
    await subscribe(client, "market_regulation")
    r = await client.put("/v1/routing-rules/R2", json=R2_WIDER | {"active": False}, headers=A)
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["active"] is False
    assert "R2" not in [r["id"] for r in (await client.get("/v1/routing-rules", headers=A)).json()["items"]]
    assert await routed(client, sessionmaker, inspection_completed("security_service")) == []
    r = await client.put("/v1/routing-rules/R2", json=R2_WIDER, headers=A)
    assert r.json()["version"] == 3 and r.json()["active"] is True


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"departments": ["police"]}, "departments[0]"),
        ({"departments": ["work_safety", "forestry"]}, "departments[1]"),
        ({"departments": []}, "departments"),
        ({"departments": ["Bad Code"]}, "departments[0]"),
        ({"sectors": ["karaoke"]}, "sectors[0]"),
        ({"sectors": []}, "sectors"),
        ({"outcomes": ["fined"]}, "outcomes[0]"),
        ({"check_types": ["raid"]}, "check_types[0]"),
        ({"event_types": ["ssj.draw.executed"]}, "event_types[0]"),
        ({"event_types": []}, "event_types"),
        ({"description_zh": ""}, "description_zh"),
        ({"priority": 1}, "priority"),
    ],
)
async def test_bad_rule_names_the_field_and_changes_nothing(client, sessionmaker, change, field):
    rows = await rule_rows(sessionmaker)
    created = await client.post("/v1/routing-rules", json=R6 | change, headers=A)
    revised = await client.put("/v1/routing-rules/R2", json=R2_WIDER | change, headers=A)
    for r in (created, revised):
        assert r.status_code == 422 and r.json()["field"] == field, r.text
    assert await rule_rows(sessionmaker) == rows
    in_force = (await client.get("/v1/routing-rules", headers=A)).json()["items"]
    assert [(r["id"], r["version"]) for r in in_force] == [("R1", 1), ("R2", 1), ("R3", 2), ("R4", 2), ("R5", 1)]


async def test_bad_rule_id_and_unknown_rules(client):
    r = await client.post("/v1/routing-rules", json=R6 | {"id": "6 R"}, headers=A)
    assert r.status_code == 422 and r.json()["field"] == "id"
    assert (await client.put("/v1/routing-rules/R9", json=R2_WIDER, headers=A)).status_code == 404
    assert (await client.get("/v1/routing-rules/R9/versions", headers=A)).status_code == 404
