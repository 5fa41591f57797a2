"""Plans through the API: generation, manual campaigns and joint checks, batch commits."""

import json

import pytest
from sqlalchemy import func, select

from draw.db import messaging
from draw.events import DRAW_EXECUTED
from draw.models import Draw, PlanItem
from draw.rules import RULES_VERSION

from .factories import C, R, X, entity, execute, inspector, load

pytestmark = pytest.mark.integration
TWO = ["210402", "210421"]


async def _count(sessionmaker, model) -> int:
    async with sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def test_generation_is_idempotent_and_covers_the_rule_periods(client_with, sessionmaker):
    async with client_with(counties=TWO) as client:
        first = await client.post("/v1/plans:generate", json={"period": "2026-11"}, headers=C)
        again = await client.post("/v1/plans:generate", json={"period": "2026-11"}, headers=C)
        quarter = await client.post("/v1/plans:generate", json={"period": "2026-Q4"}, headers=C)
    assert first.status_code == 200 and first.json()["rules_version"] == RULES_VERSION
    items = first.json()["items"]
    assert first.json()["created"] == len(items) and again.json()["created"] == 0
    assert [i["id"] for i in again.json()["items"]] == [i["id"] for i in items]
    periods = {i["rule_period"] for i in items}
    assert periods == {"2026-11", "2026-Q4", "2026-H2", "2026"}  # the month, and the periods it lies in
    cafes = [i for i in items if i["rule_code"] == "internet-cafe"]
    assert [i["due_date"] for i in cafes] == ["2026-11-10", "2026-11-20", "2026-11-30"]
    assert {i["spec"]["team_size"] for i in cafes} == {2} and cafes[0]["spec"]["quota"] == {"percent": 5.0}
    b_county = sorted(
        (i for i in items if i["rule_code"] == "entertainment-county-B" and i["jurisdiction"] == "210421"),
        key=lambda i: i["round"],
    )
    assert [i["spec"]["check_type"] for i in b_county] == ["on_site", "online_patrol"]
    assert b_county[0]["spec"]["divisions"] == ["210421"] == b_county[0]["spec"]["jurisdictions"]
    new_in_quarter = quarter.json()["created"]
    assert new_in_quarter == len(quarter.json()["items"]) - len(items)  # October and December only
    assert await _count(sessionmaker, PlanItem) == len(quarter.json()["items"])


@pytest.mark.parametrize(
    ("body", "field", "kind"),
    [
        ({"period": "2026-Q4", "rules": ["casino-weekly"]}, "rules[0]", "unknown-rule"),
        ({"period": "2026-Q5"}, "period", "validation"),
        ({"period": "2026-Q4", "extra": 1}, "extra", "validation"),
    ],
)
async def test_bad_generation_requests_name_the_field(client, sessionmaker, body, field, kind):
    r = await client.post("/v1/plans:generate", json=body, headers=C)
    assert r.status_code == 422 and r.json()["field"] == field and r.json()["type"] == f"urn:ssj:problem:{kind}"
    if kind == "unknown-rule":
        assert "casino-weekly" in r.json()["detail"] and "internet-cafe" in r.json()["detail"]
    assert await _count(sessionmaker, PlanItem) == 0


async def test_only_chosen_rules_and_the_public_rule_table(client_with):
    async with client_with(counties=TWO) as client:
        r = await client.post("/v1/plans:generate", json={"period": "2026-Q4", "rules": ["fire-safety"]}, headers=C)
        table = (await client.get("/public/v1/rules")).json()
    assert [i["rule_code"] for i in r.json()["items"]] == ["fire-safety"]
    assert table["version"] == RULES_VERSION and table["counties"] == TWO
    escort = next(rule for rule in table["rules"] if rule["code"] == "security-armed-escort")
    assert (escort["period"], escort["percent"], escort["coverage"]) == ("quarter", 20.0, False)


async def test_a_batch_commit_reports_each_item(client_with, registry, sessionmaker):
    cafes = [entity(sector="internet_cafe", subtype="cafe", grade=None, flags={}) for _ in range(30)]
    venues = [entity(grade="A", division_code="210402")]
    staff = [inspector(unit="network_security") for _ in range(3)] + [inspector(unit="county_public_order")]
    await load(registry, cafes + venues, staff)
    async with client_with(counties=TWO) as client:
        await client.post("/v1/plans:generate", json={"period": "2026-Q4"}, headers=C)
        body = {"period": "2026-10", "due_by": "2026-10-31", "entropy_source": "beacon round 5"}
        results = (await client.post("/v1/plan-items:commit", json=body, headers=C)).json()["results"]
        again = (await client.post("/v1/plan-items:commit", json=body, headers=C)).json()["results"]
        listed = await client.get("/v1/plan-items", params={"period": "2026-10", "status": "committed"}, headers=R)
    by_rule: dict[str, list[dict]] = {}
    async with sessionmaker() as s:
        items = {i.id: i for i in (await s.scalars(select(PlanItem))).all()}
    for result in results:
        by_rule.setdefault(items[result["item_id"]].rule_code or "", []).append(result)
    assert [r["status"] for r in by_rule["internet-cafe"]] == ["committed"] * 3
    station_c = by_rule["entertainment-station-C"]  # October's check of C venues: none in either county
    assert {r["status"] for r in station_c} == {"empty"}
    assert again == []  # nothing planned is left for October
    assert {i["status"] for i in listed.json()["items"]} == {"committed"} and len(listed.json()["items"]) == 3
    assert await _count(sessionmaker, Draw) == 3


async def test_an_item_that_cannot_be_drawn_stays_planned_with_the_reason(client_with, registry):
    await load(registry, [entity(grade="A", division_code="210402")], [inspector(unit="county_public_order")])
    async with client_with(counties=["210402"]) as client:
        items = (
            await client.post(
                "/v1/plans:generate", json={"period": "2026-Q4", "rules": ["entertainment-county-A"]}, headers=C
            )
        ).json()["items"]
        body = {"item_ids": [items[0]["id"]], "entropy_source": "beacon"}
        (result,) = (await client.post("/v1/plan-items:commit", json=body, headers=C)).json()["results"]
        unknown = await client.post(
            "/v1/plan-items:commit", json={"item_ids": ["p-nope"], "entropy_source": "b"}, headers=C
        )
        both = await client.post(
            "/v1/plan-items:commit", json={"item_ids": ["x"], "period": "2026", "entropy_source": "b"}, headers=C
        )
    assert result["status"] == "planned" and result["error"]["field"] == "team_size"
    assert "larger than the eligible pool of 1" in result["error"]["detail"]
    assert unknown.status_code == 422 and unknown.json()["field"] == "item_ids[0]"
    assert both.status_code == 422 and both.json()["field"] == "period"


async def test_a_joint_plan_reaches_inspection_as_a_joint_check(client, registry, sessionmaker):
    units = [entity(sector="fire_safety", subtype="unit", grade=None, flags={"crowded_place": True}) for _ in range(4)]
    await load(registry, units, [inspector(unit="fire_supervision") for _ in range(2)])
    plan = {
        "kind": "joint",
        "title": "国庆前学校周边消防联合抽查",
        "reason": "联合教育部门开展",
        "period": "2026-Q4",
        "joint_departments": ["education", "health"],
        "items": [
            {
                "title": "人员密集场所",
                "sector": "fire_safety",
                "flags": ["crowded_place"],
                "inspector_units": ["fire_supervision"],
                "quota": {"percent": 50},
                "period": "2026-Q4",
                "checking_body": "fire_supervision",
            }
        ],
    }
    created = await client.post("/v1/plans", json=plan, headers=C)
    assert created.status_code == 201, created.text
    (item,) = created.json()["items"]
    assert item["spec"]["check_type"] == "joint" and item["spec"]["joint_departments"] == ["education", "health"]
    body = {"item_ids": [item["id"]], "entropy_source": "beacon"}
    (result,) = (await client.post("/v1/plan-items:commit", json=body, headers=C)).json()["results"]
    assert (await execute(client, result["draw_id"])).status_code == 200
    shown = (await client.get(f"/v1/plans/{created.json()['id']}", headers=R)).json()
    assert shown["items"][0]["draw_id"] == result["draw_id"] and shown["kind"] == "joint"
    async with sessionmaker() as s:
        (data,) = (
            await s.execute(select(messaging.outbox.c.data).where(messaging.outbox.c.type == DRAW_EXECUTED))
        ).one()
    event = json.loads(data)
    assert (event["check_type"], event["joint_departments"]) == ("joint", ["education", "health"])
    assert event["plan_item_id"] == item["id"] and len(event["selections"]) == 2


async def test_manual_plans_name_bad_fields(client):
    base = {"kind": "campaign", "title": "t", "reason": "r", "period": "2026-Q4", "items": []}
    r = await client.post("/v1/plans", json=base, headers=C)
    assert r.status_code == 422 and r.json()["field"] == "items"
    r = await client.post("/v1/plans", json=base | {"kind": "joint"}, headers=C)
    assert r.status_code == 422 and r.json()["field"] == "joint_departments"
    item = {"title": "t", "sector": "internet_cafe", "quota": {"percent": 5}, "period": "2026-Q4", "team_size": 3}
    r = await client.post("/v1/plans", json=base | {"items": [item]}, headers=C)
    assert r.status_code == 422 and r.json()["field"] == "items[0].team_size"
    assert "exactly two" in r.json()["detail"]


async def test_plans_need_their_scopes(client):
    assert (await client.post("/v1/plans:generate", json={"period": "2026"}, headers=X)).status_code == 403
    assert (await client.get("/v1/plan-items", headers=C)).status_code == 403
    assert (await client.get("/v1/plan-items", headers=R)).status_code == 200
