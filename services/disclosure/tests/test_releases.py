"""Immutable releases: a correction or withdrawal is a new release referring to the earlier one;
the public result shows every release and the compiled view; withdrawn results become tombstones."""

import json
import random

import pytest
from sqlalchemy import select

from disclosure import sequencer
from disclosure.db import messaging
from disclosure.models import Release
from shared.testing import auth

from .conftest import OFFICER, READER, TEAM_MEMBER
from .factories import completed_event, deliver, id_number

pytestmark = pytest.mark.integration
OF, TM, R = auth(OFFICER[0]), auth(TEAM_MEMBER[0]), auth(READER[0])
FINDINGS = [
    {"item_code": "entertainment.filing", "result": "non_compliant", "note": "未备案"},
    {"item_code": "entertainment.crime", "result": "compliant", "note": ""},
]
OUTCOME = {"type": "rectification_ordered", "rectification_deadline": "2026-12-31", "note": ""}


async def published(client, sessionmaker) -> str:
    event = completed_event(findings=FINDINGS, outcome=OUTCOME)
    await deliver(sessionmaker, event)
    page = (await client.get("/v1/results", params={"status": "pending", "limit": 500}, headers=R)).json()
    rid = next(r["id"] for r in page["items"] if r["inspection_id"] == event.data["inspection_id"])
    assert (await client.post(f"/v1/results/{rid}/approve", json={}, headers=OF)).status_code == 200
    return rid


async def test_a_correction_is_release_2_referring_to_1_and_becomes_the_compiled_view(client, sessionmaker):
    rid = await published(client, sessionmaker)
    person = id_number(random.Random(4))
    body = {
        "reason": f"复核更正，联系人身份证{person}",
        "findings": [{"item_code": "entertainment.filing", "result": "compliant", "note": "已于检查前备案"}],
        "outcome": {"type": "no_issues"},
    }
    r = await client.post(f"/v1/results/{rid}/corrections", json=body, headers=OF)
    assert r.status_code == 201 and r.json()["release"] == 2 and r.json()["status"] == "published"
    await sequencer.sequence(sessionmaker)
    shown = (await client.get(f"/public/v1/results/{rid}")).json()
    first, second = shown["releases"]
    assert first["outcome"] == "rectification_ordered" and first["findings"][0]["result"] == "non_compliant"
    assert second["kind"] == "correction" and second["refers_to"] == 1 and second["kind_zh"] == "更正"
    assert second["reason"].startswith("复核更正") and person not in str(shown)
    assert second["outcome"] == "no_issues" and [f["result"] for f in second["findings"]] == ["compliant"] * 2
    assert shown["current"] == {k: v for k, v in second.items() if k != "position"}
    assert [i["release"] for i in (await client.get("/public/v1/feed")).json()["items"]] == [1, 2]
    internal = (await client.get(f"/v1/results/{rid}", headers=R)).json()
    assert internal["findings"][0]["result"] == "non_compliant"  # the inspection record is untouched
    async with sessionmaker() as s:
        events = [json.loads(row.data) for row in (await s.execute(select(messaging.outbox))).all()]
        frozen = (await s.scalars(select(Release.content).where(Release.number == 1))).one()
    assert [(e["release"], e["kind"], e["refers_to"]) for e in events] == [(1, "original", None), (2, "correction", 1)]
    assert frozen["outcome"] == "rectification_ordered"


async def test_a_withdrawal_leaves_tombstones_and_is_final(client, sessionmaker):
    rid = await published(client, sessionmaker)
    other = await published(client, sessionmaker)
    await sequencer.sequence(sessionmaker)
    r = await client.post(f"/v1/results/{rid}/withdraw", json={"reason": "误发布，予以撤回"}, headers=OF)
    assert r.status_code == 201 and r.json()["status"] == "withdrawn" and r.json()["release"] == 2
    await sequencer.sequence(sessionmaker)
    items = (await client.get("/public/v1/feed")).json()["items"]
    assert [(i["position"], i["result_id"], i["kind"], i["withdrawn"]) for i in items] == [
        (1, rid, "original", True),
        (2, other, "original", False),
        (3, rid, "withdrawal", True),
    ]
    tomb = items[0]
    assert tomb["entity"] is None and tomb["findings"] is None and tomb["outcome"] is None
    assert items[2]["refers_to"] == 1 and items[2]["reason"] == "误发布，予以撤回"
    shown = (await client.get(f"/public/v1/results/{rid}")).json()
    assert shown["status"] == "withdrawn" and shown["current"]["kind"] == "withdrawal"
    assert all(rel["entity"] is None for rel in shown["releases"])
    assert "金色年华" not in (await client.get("/public/v1/feed")).text.split(other)[0]
    hits = (await client.get("/public/v1/results", params={"entity_name": "金色年华"})).json()["items"]
    assert [h["result_id"] for h in hits] == [other]
    for action, body in [
        ("withdraw", {"reason": "再撤"}),
        ("corrections", {"reason": "x", "outcome": {"type": "no_issues"}}),
    ]:
        r = await client.post(f"/v1/results/{rid}/{action}", json=body, headers=OF)
        assert r.status_code == 409 and r.json()["type"] == "urn:ssj:problem:result-withdrawn"


async def test_corrections_need_a_published_result_an_uninvolved_officer_and_known_items(client, sessionmaker):
    rid = await published(client, sessionmaker)
    body = {"reason": "更正", "findings": [{"item_code": "entertainment.lodging", "result": "compliant"}]}
    r = await client.post(f"/v1/results/{rid}/corrections", json=body, headers=OF)
    assert r.status_code == 422 and r.json()["field"] == "findings[0].item_code"
    r = await client.post(f"/v1/results/{rid}/corrections", json={"reason": "更正"}, headers=OF)
    assert r.status_code == 422
    r = await client.post(
        f"/v1/results/{rid}/corrections", json={"reason": "x", "outcome": {"type": "no_issues"}}, headers=TM
    )
    assert r.status_code == 403 and r.json()["type"] == "urn:ssj:problem:involved-officer"
    r = await client.post(f"/v1/results/{rid}/withdraw", json={"reason": "x"}, headers=TM)
    assert r.status_code == 403
    await deliver(sessionmaker, event := completed_event())
    page = (await client.get("/v1/results", params={"status": "pending"}, headers=R)).json()
    waiting = next(p["id"] for p in page["items"] if p["inspection_id"] == event.data["inspection_id"])
    r = await client.post(
        f"/v1/results/{waiting}/corrections", json={"reason": "x", "outcome": {"type": "no_issues"}}, headers=OF
    )
    assert r.status_code == 409 and r.json()["type"] == "urn:ssj:problem:result-pending"
    async with sessionmaker() as s:
        assert [n for n in (await s.scalars(select(Release.number).where(Release.result_id == rid))).all()] == [1]
