"""Approval rules: an officer not on the inspection team decides; each sector's publication
policy (seed §4); penalties where the sector publishes them; the publication deadline."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from disclosure import sequencer
from disclosure.models import FeedEntry, Release
from shared.testing import auth

from .conftest import OFFICER, READER, TEAM_MEMBER
from .factories import Clock, completed_event, deliver, entity, sanctioned_event

pytestmark = pytest.mark.integration
OF, TM, R = auth(OFFICER[0]), auth(TEAM_MEMBER[0]), auth(READER[0])


async def pending(client, sessionmaker, event=None, **overrides) -> str:
    event = event or completed_event(**overrides)
    await deliver(sessionmaker, event)
    page = (await client.get("/v1/results", params={"status": "pending", "limit": 500}, headers=R)).json()
    return next(r["id"] for r in page["items"] if r["inspection_id"] == event.data["inspection_id"])


async def releases(sessionmaker) -> int:
    async with sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(Release))


@pytest.mark.parametrize(
    ("action", "body"),
    [("approve", {}), ("reject", {"reason": "退回"}), ("withhold", {"reason": "不宜公开"})],
)
async def test_a_member_of_the_inspection_team_may_not_decide(client, sessionmaker, action, body):
    rid = await pending(client, sessionmaker, entity=entity("blasting"))
    r = await client.post(f"/v1/results/{rid}/{action}", json=body, headers=TM)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["type"] == "urn:ssj:problem:involved-officer" and problem["field"] == "caller"
    assert "INS-3" in problem["detail"] and "not involved" in problem["detail"]
    assert (await client.get(f"/v1/results/{rid}", headers=R)).json()["status"] == "pending"
    assert await releases(sessionmaker) == 0


async def test_an_officer_not_on_the_team_approves_and_gets_the_appeal_code_once(client, sessionmaker):
    rid = await pending(client, sessionmaker)
    r = await client.post(f"/v1/results/{rid}/approve", json={}, headers=OF)
    assert r.status_code == 200 and r.json()["decided_by"] == "INS-9" and r.json()["status"] == "published"
    code = r.json()["appeal_code"]
    assert len(code) == 14 and code.count("-") == 2
    again = (await client.get(f"/v1/results/{rid}", headers=R)).json()
    assert again.get("appeal_code") is None and code not in str(again)


async def test_blasting_results_are_published_or_withheld_case_by_case_with_a_reason(client, sessionmaker):
    published, withheld = [await pending(client, sessionmaker, entity=entity("blasting")) for _ in range(2)]
    r = await client.post(f"/v1/results/{published}/approve", json={}, headers=OF)
    assert r.status_code == 422 and r.json()["type"] == "urn:ssj:problem:publication-policy"
    assert r.json()["field"] == "note" and await releases(sessionmaker) == 0
    r = await client.post(f"/v1/results/{published}/approve", json={"note": "隐患已整改，公开"}, headers=OF)
    assert r.status_code == 200
    r = await client.post(f"/v1/results/{withheld}/withhold", json={"reason": "涉及储存库位置"}, headers=OF)
    assert r.status_code == 200 and r.json()["status"] == "withheld" and r.json()["decision_note"] == "涉及储存库位置"
    await sequencer.sequence(sessionmaker)
    assert (await client.get(f"/public/v1/results/{withheld}")).status_code == 404
    assert [i["result_id"] for i in (await client.get("/public/v1/feed")).json()["items"]] == [published]
    r = await client.post(f"/v1/results/{withheld}/approve", json={"note": "x"}, headers=OF)
    assert r.status_code == 409 and r.json()["type"] == "urn:ssj:problem:result-withheld"


async def test_sectors_whose_results_are_all_public_cannot_be_withheld(client, sessionmaker):
    rid = await pending(client, sessionmaker)
    r = await client.post(f"/v1/results/{rid}/withhold", json={"reason": "不想公开"}, headers=OF)
    assert r.status_code == 422 and r.json()["type"] == "urn:ssj:problem:publication-policy"
    assert (await client.get(f"/v1/results/{rid}", headers=R)).json()["status"] == "pending"
    r = await client.post(f"/v1/results/{rid}/withhold", json={"reason": "  "}, headers=OF)
    assert r.status_code == 422 and r.json()["field"] == "reason"


async def test_fire_safety_publishes_penalties_before_and_after_approval(client, sessionmaker):
    completed = completed_event(entity=entity("fire_safety"))
    early = sanctioned_event(completed, note="罚款，负责人张三丰电话13912345678")
    await deliver(sessionmaker, early)  # the sanction may arrive first
    rid = await pending(client, sessionmaker, completed)
    assert (await client.post(f"/v1/results/{rid}/approve", json={}, headers=OF)).status_code == 200
    late = sanctioned_event(completed, sanction="suspension", fine_yuan=None, note="责令停业整顿")
    assert await deliver(sessionmaker, late) and not await deliver(sessionmaker, late)
    await sequencer.sequence(sessionmaker)
    shown = (await client.get(f"/public/v1/results/{rid}")).json()
    first, second = shown["releases"]
    assert [p["sanction"] for p in first["penalties"]] == ["penalty_fine"] and first["penalties"][0][
        "fine_yuan"
    ] == 5000
    assert "13912345678" not in str(shown) and "张三丰" not in str(shown)
    assert second["kind"] == "penalty" and second["refers_to"] == 1 and second["reason"] == "责令停业整顿"
    assert [p["sanction_zh"] for p in shown["current"]["penalties"]] == ["罚款", "责令停业整顿"]
    assert [i["kind"] for i in (await client.get("/public/v1/feed")).json()["items"]] == ["original", "penalty"]


async def test_entertainment_does_not_publish_penalties(client, sessionmaker):
    completed = completed_event()
    rid = await pending(client, sessionmaker, completed)
    await client.post(f"/v1/results/{rid}/approve", json={}, headers=OF)
    await deliver(sessionmaker, sanctioned_event(completed, sanction="penalty_warning", fine_yuan=None))
    async with sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(FeedEntry)) == 1
    await sequencer.sequence(sessionmaker)
    assert (await client.get(f"/public/v1/results/{rid}")).json()["current"]["penalties"] == []


async def test_publication_deadline_and_the_overdue_list(client, app, sessionmaker):
    # Completed Thursday 17 Sep 2026: 20 working days, with Sep 20 worked and 中秋/国庆 off, end on 21 Oct.
    at = datetime(2026, 9, 17, 3, 0, tzinfo=UTC).isoformat()
    late, on_time, done = [await pending(client, sessionmaker, completed_at=at) for _ in range(3)]
    await client.post(f"/v1/results/{done}/approve", json={}, headers=OF)
    assert (await client.get(f"/v1/results/{late}", headers=R)).json()["publication_deadline"] == "2026-10-21"
    app.state.clock = Clock(datetime(2026, 10, 21, 15, 0, tzinfo=UTC))  # 23:00 on 21 Oct in Fushun
    assert (await client.get("/v1/results/overdue", headers=R)).json()["items"] == []
    app.state.clock = Clock(datetime(2026, 10, 21, 16, 30, tzinfo=UTC))  # 00:30 on 22 Oct
    overdue = (await client.get("/v1/results/overdue", headers=R)).json()["items"]
    assert {r["id"] for r in overdue} == {late, on_time}
    page = await client.get("/v1/results/overdue", params={"as_of": "2026-10-21", "limit": 1}, headers=R)
    assert page.json()["items"] == [] and page.json()["next_cursor"] is None
    first = (await client.get("/v1/results/overdue", params={"limit": 1}, headers=R)).json()
    second = await client.get("/v1/results/overdue", params={"limit": 1, "cursor": first["next_cursor"]}, headers=R)
    assert {first["items"][0]["id"], second.json()["items"][0]["id"]} == {late, on_time}
    assert (await client.get("/v1/results/overdue")).status_code == 401
    assert date.fromisoformat(overdue[0]["publication_deadline"]) < date(2026, 10, 22)
