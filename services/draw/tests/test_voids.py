"""Voids (draw-algorithm.md §4): a reason, a second person, published and logged, a new draw."""

import json

import pytest
from sqlalchemy import select

from draw.db import messaging
from draw.events import DRAW_VOIDED
from draw.models import PlanItem
from draw.verify import verify_record

from .factories import A, C, R, V, X, commit, entity, execute, inspector, load, venues_and_team

pytestmark = pytest.mark.integration
REASON = {"reason": "检查人员名录未同步最新资格变更"}


async def _voided_events(sessionmaker) -> list[dict]:
    async with sessionmaker() as s:
        rows = await s.execute(select(messaging.outbox.c.data).where(messaging.outbox.c.type == DRAW_VOIDED))
        return [json.loads(data) for (data,) in rows]


@pytest.mark.parametrize("executed_first", [False, True])
async def test_a_void_needs_a_second_person_and_leads_to_a_new_draw(client, registry, sessionmaker, executed_first):
    await venues_and_team(registry)
    draw = await commit(client)
    if executed_first:
        assert (await execute(client, draw["id"])).status_code == 200
    asked = await client.post(f"/v1/draws/{draw['id']}/void-request", json=REASON, headers=V)
    assert asked.status_code == 200 and asked.json()["void_requested_by"] == "duty-officer"
    assert asked.json()["status"] == ("executed" if executed_first else "committed")
    alone = await client.post(f"/v1/draws/{draw['id']}/void-approval", json={"entropy_source": "round 9"}, headers=V)
    assert alone.status_code == 403 and alone.json()["type"] == "urn:ssj:problem:second-person-required"
    approved = await client.post(f"/v1/draws/{draw['id']}/void-approval", json={"entropy_source": "round 9"}, headers=A)
    assert approved.status_code == 200, approved.text
    voided, replacement = approved.json()["voided"], approved.json()["replacement"]
    assert voided["status"] == "voided" and voided["voided_by"] == "deputy-director"
    assert voided["replaced_by"] == replacement["id"] != draw["id"] and replacement["replaces"] == draw["id"]
    assert replacement["status"] == "committed" and replacement["commitment"] != draw["commitment"]
    assert replacement["entropy_source"] == "round 9" and replacement["quotas"] == draw["quotas"]
    refused = await execute(client, draw["id"])
    assert refused.status_code == 409 and replacement["id"] in refused.json()["detail"]
    (event,) = await _voided_events(sessionmaker)
    assert event["reason"] == REASON["reason"] and event["replacement_draw_id"] == replacement["id"]
    assert (event["requested_by"], event["approved_by"]) == ("duty-officer", "deputy-director")
    assert event["status_before"] == ("executed" if executed_first else "committed")
    record = (await client.get(f"/v1/draws/{draw['id']}/record")).json()
    assert ("selections" in record) == executed_first  # a void never unpublishes what ran
    if executed_first:
        assert verify_record(record) is None
    entries = (await client.get(f"/public/v1/audit/draws/{draw['id']}")).json()["entries"]
    kinds = [e["kind"] for e in entries]
    assert kinds == ["draw.committed", *(["draw.executed"] if executed_first else []), "draw.voided"]
    assert json.loads(entries[-1]["data"])["reason"] == REASON["reason"]


async def test_void_requests_are_refused_when_the_state_does_not_allow_them(client, registry):
    await venues_and_team(registry)
    draw = await commit(client)
    path = f"/v1/draws/{draw['id']}"
    no_request = await client.post(f"{path}/void-approval", json={"entropy_source": "r"}, headers=A)
    assert no_request.status_code == 409 and "no void request" in no_request.json()["detail"]
    short = await client.post(f"{path}/void-request", json={"reason": "x"}, headers=V)
    assert short.status_code == 422 and short.json()["field"] == "reason"
    assert (await client.post(f"{path}/void-request", json=REASON, headers=V)).status_code == 200
    twice = await client.post(f"{path}/void-request", json=REASON, headers=A)
    assert twice.status_code == 409 and "awaiting approval" in twice.json()["detail"]
    assert (await client.post(f"{path}/void-approval", json={"entropy_source": "r"}, headers=A)).status_code == 200
    again = await client.post(f"{path}/void-request", json=REASON, headers=V)
    assert again.status_code == 409 and "already voided" in again.json()["detail"]
    for headers in (C, X, R):
        assert (await client.post(f"{path}/void-request", json=REASON, headers=headers)).status_code == 403
    assert (await client.get(path)).json()["void_reason"] == REASON["reason"]


async def test_a_void_repoints_the_plan_item_to_its_replacement(client_with, registry, sessionmaker):
    await load(registry, [entity(grade="A", division_code="210402")], [inspector(), inspector()])
    async with client_with(counties=["210402"]) as client:
        body = {"period": "2026-Q4", "rules": ["entertainment-county-A"]}
        (item,) = (await client.post("/v1/plans:generate", json=body, headers=C)).json()["items"]
        commit_body = {"item_ids": [item["id"]], "entropy_source": "b"}
        (result,) = (await client.post("/v1/plan-items:commit", json=commit_body, headers=C)).json()["results"]
        await client.post(f"/v1/draws/{result['draw_id']}/void-request", json=REASON, headers=V)
        approved = await client.post(
            f"/v1/draws/{result['draw_id']}/void-approval", json={"entropy_source": "b2"}, headers=A
        )
    replacement = approved.json()["replacement"]
    assert replacement["plan_item_id"] == item["id"] and replacement["rule_code"] == "entertainment-county-A"
    async with sessionmaker() as s:
        stored = await s.get(PlanItem, item["id"])
    assert stored.draw_id == replacement["id"]
