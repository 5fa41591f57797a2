"""Appeals (申诉) through the API: the code on the notice, the appeal period on the working-day
calendar, decisions by an uninvolved officer, and what each decision publishes."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from disclosure import sequencer
from disclosure.main import create_app
from disclosure.models import Appeal, Result
from shared.testing import app_client, auth

from .conftest import OFFICER, READER, TEAM_MEMBER
from .factories import Clock, completed_event, deliver

pytestmark = pytest.mark.integration
OF, TM, R = auth(OFFICER[0]), auth(TEAM_MEMBER[0]), auth(READER[0])
PUBLISHED_AT = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # appeals until 27 Oct 2026 (15 working days)
FINDINGS = [{"item_code": "internet_cafe.real_name", "result": "non_compliant", "note": "未实名登记"}]
OUTCOME = {"type": "rectification_ordered", "rectification_deadline": "2026-12-31", "note": ""}


async def approved(client, app, sessionmaker) -> tuple[str, str]:
    event = completed_event(findings=FINDINGS, outcome=OUTCOME)
    await deliver(sessionmaker, event)
    page = (await client.get("/v1/results", params={"status": "pending", "limit": 500}, headers=R)).json()
    rid = next(r["id"] for r in page["items"] if r["inspection_id"] == event.data["inspection_id"])
    app.state.clock = Clock(PUBLISHED_AT)
    r = await client.post(f"/v1/results/{rid}/approve", json={}, headers=OF)
    return rid, r.json()["appeal_code"]


async def file(client, rid: str, code: str, statement: str = "我单位已完成整改，请复核。"):  # type: ignore[no-untyped-def]
    return await client.post(f"/public/v1/results/{rid}/appeals", json={"appeal_code": code, "statement": statement})


async def test_upheld_appeal_becomes_a_correction_release(client, app, sessionmaker):
    rid, code = await approved(client, app, sessionmaker)
    app.state.clock = Clock(datetime(2026, 10, 27, 15, 0, tzinfo=UTC))  # 23:00 on the last day
    r = await file(client, rid, code.lower().replace("-", " "))  # as typed from the paper
    assert r.status_code == 201 and r.json()["status"] == "filed" and r.json()["appeal_deadline"] == "2026-10-27"
    appeal_id = r.json()["appeal_id"]
    queue = (await client.get("/v1/appeals", params={"status": "filed"}, headers=R)).json()["items"]
    assert [a["id"] for a in queue] == [appeal_id]
    decision = {
        "decision": "upheld",
        "reason": "申诉成立：实名登记系统当日故障",
        "correction": {
            "findings": [{"item_code": "internet_cafe.real_name", "result": "compliant"}],
            "outcome": {"type": "no_issues"},
        },
    }
    r = await client.post(f"/v1/appeals/{appeal_id}/decide", json=decision, headers=TM)
    assert r.status_code == 403 and r.json()["type"] == "urn:ssj:problem:involved-officer"
    r = await client.post(f"/v1/appeals/{appeal_id}/decide", json=decision, headers=OF)
    assert r.status_code == 200 and r.json()["status"] == "upheld" and r.json()["release_number"] == 2
    assert (await client.post(f"/v1/appeals/{appeal_id}/decide", json=decision, headers=OF)).status_code == 409
    await sequencer.sequence(sessionmaker)
    shown = (await client.get(f"/public/v1/results/{rid}")).json()
    assert shown["current"]["kind"] == "correction" and shown["current"]["outcome"] == "no_issues"
    assert shown["current"]["reason"] == "申诉成立：实名登记系统当日故障" and shown["current"]["statements"] == []


async def test_dismissed_appeal_publishes_the_statement_beside_the_result(client, app, sessionmaker):
    rid, code = await approved(client, app, sessionmaker)
    app.state.clock = Clock(datetime(2026, 10, 9, 2, tzinfo=UTC))
    appeal_id = (await file(client, rid, code, "我单位不认可，负责人王小明电话13912345678")).json()["appeal_id"]
    assert (await file(client, rid, code)).json()["type"] == "urn:ssj:problem:appeal-open"
    r = await client.post(
        f"/v1/appeals/{appeal_id}/decide", json={"decision": "dismissed", "reason": "事实清楚"}, headers=OF
    )
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    await sequencer.sequence(sessionmaker)
    shown = (await client.get(f"/public/v1/results/{rid}")).json()
    current = shown["current"]
    assert (
        current["kind"] == "statement" and current["refers_to"] == 1 and current["outcome"] == "rectification_ordered"
    )
    [statement] = current["statements"]
    assert statement["appeal_id"] == appeal_id and statement["statement"].startswith("我单位不认可")
    assert "13912345678" not in str(shown) and "王小明" not in str(shown) and "事实清楚" not in str(shown)
    assert [i["kind"] for i in (await client.get("/public/v1/feed")).json()["items"]] == ["original", "statement"]


async def test_appeal_period_follows_the_working_day_calendar(client, app, sessionmaker):
    rid, code = await approved(client, app, sessionmaker)
    app.state.clock = Clock(datetime(2026, 10, 27, 16, 0, tzinfo=UTC))  # 00:00 on 28 Oct in Fushun
    r = await file(client, rid, code)
    assert r.status_code == 409 and r.json()["type"] == "urn:ssj:problem:appeal-period-ended"
    assert "2026-10-27" in r.json()["detail"]
    async with sessionmaker() as s:
        assert (await s.scalars(select(Appeal))).all() == []


async def test_wrong_codes_are_refused_and_guessing_is_stopped(settings, sessionmaker):
    strict = settings.model_copy(update={"appeal_code_failures_per_hour": 3})
    app = create_app(strict)
    async with app_client(app, sessionmaker) as client:
        rid, code = await approved(client, app, sessionmaker)
        for _ in range(3):
            r = await file(client, rid, "AAAA-BBBB-CCCC")
            assert r.status_code == 403 and r.json()["field"] == "appeal_code"
        r = await file(client, rid, code)  # even the right code, once guessing was detected
        assert r.status_code == 429 and r.json()["type"] == "urn:ssj:problem:rate-limited"


async def test_only_published_results_can_be_appealed_and_codes_are_stored_hashed(client, app, sessionmaker):
    event = completed_event()
    await deliver(sessionmaker, event)
    async with sessionmaker() as s:
        waiting = (await s.scalars(select(Result.id))).one()
    assert (await file(client, waiting, "AAAA-BBBB-CCCC")).status_code == 404
    rid, code = await approved(client, app, sessionmaker)
    async with sessionmaker() as s:
        stored = (await s.scalars(select(Result.appeal_code_sha256).where(Result.id == rid))).one()
    assert len(stored) == 64 and code.replace("-", "") not in stored
    reissued = (await client.post(f"/v1/results/{rid}/appeal-code", headers=OF)).json()["appeal_code"]
    assert reissued != code
    assert (await file(client, rid, code)).status_code == 403
    app.state.clock = Clock(datetime(2026, 10, 9, 2, tzinfo=UTC))
    assert (await file(client, rid, reissued)).status_code == 201
    r = await client.post(f"/public/v1/results/{rid}/appeals", json={"appeal_code": reissued})
    assert r.status_code == 422 and r.json()["field"] == "statement"
