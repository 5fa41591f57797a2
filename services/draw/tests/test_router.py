import asyncio
import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from draw import events as draw_events
from draw.db import messaging
from draw.events import DRAW_COMMITTED, DRAW_EXECUTED
from draw.main import create_app
from draw.models import Draw, DrawPool, DrawSelection
from draw.pools import local_today
from draw.substitutes import verify_substitutions
from draw.verify import verify_record
from shared.migrations import upgrade
from shared.testing import app_client, auth

from .conftest import COMMITTER, EXECUTOR, SERVICE_DIR, draw_app
from .factories import C, X, cafe, commit, entity, execute, inspector, load, plan, venues_and_team

pytestmark = pytest.mark.integration
RECORD_KEYS = [
    "algorithm",
    "draw_id",
    "commitment",
    "commitment_sha256",
    "pool",
    "inspectors",
    "quotas",
    "team_size",
    "entropy_source",
]
REVEALED = ["server_secret", "external_entropy", "seed", "selections"]


class _Capture(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__()
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


async def _outbox(sessionmaker, event_type: str) -> list[dict]:
    async with sessionmaker() as s:
        rows = await s.execute(select(messaging.outbox.c.data).where(messaging.outbox.c.type == event_type))
        return [json.loads(data) for (data,) in rows]


async def _count(sessionmaker, model) -> int:
    async with sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def test_commit_execute_and_the_record_verifies(client, registry):
    venues, staff = await venues_and_team(registry)
    draw = await commit(client)
    assert draw["status"] == "committed" and draw["id"].startswith("d-") and len(draw["id"]) == 14
    assert draw["quotas"] == {"entertainment/A": 1, "entertainment/B": 1, "entertainment/C": 1}
    assert draw["pool_size"] == 6 and draw["inspector_count"] == 4 and draw["selections"] is None
    r = await execute(client, draw["id"], "round 12345678: 0a1b2c")
    assert r.status_code == 200, r.text
    executed = r.json()
    assert executed["status"] == "executed" and len(executed["selections"]) == 3
    assert all(len(set(s["team"])) == 2 for s in executed["selections"])
    record = (await client.get(f"/v1/draws/{draw['id']}/record")).json()
    assert verify_record(record) is None
    assert list(record) == RECORD_KEYS + REVEALED
    assert record["commitment"] == draw["commitment"] and record["external_entropy"] == "round 12345678: 0a1b2c"
    assert record["selections"] == executed["selections"]
    assert {c["entity_id"] for c in record["pool"]} == {v["id"] for v in venues}
    assert {i["inspector_id"] for i in record["inspectors"]} == {s["id"] for s in staff}
    tampered = record | {"external_entropy": "another value"}
    assert verify_record(tampered) is not None


async def test_record_before_execution_is_the_commitment_only(client, registry, sessionmaker):
    await venues_and_team(registry)
    draw = await commit(client)
    record = (await client.get(f"/v1/draws/{draw['id']}/record")).json()
    assert list(record) == RECORD_KEYS
    async with sessionmaker() as s:
        stored = await s.get(Draw, draw["id"])
    assert record["commitment"] == draw["commitment"] == stored.commitment
    assert record["commitment_sha256"] == draw["commitment_sha256"]
    assert record["commitment"].startswith(f"ssj-draw-v1\ndraw:{draw['id']}\n")
    assert "entropy_source:drand mainnet round 12345678\n" in record["commitment"]


async def test_the_secret_leaves_nothing_before_execution(client, registry, sessionmaker):
    captured: list[str] = []
    handler = _Capture(captured)
    logging.getLogger().addHandler(handler)
    try:
        await venues_and_team(registry)
        r = await client.post("/v1/draws", json=plan(), headers=C)
        draw_id = r.json()["id"]
        seen = [r.text] + [
            (await client.get(path)).text
            for path in ("/v1/draws", f"/v1/draws/{draw_id}", f"/v1/draws/{draw_id}/record")
        ]
    finally:
        logging.getLogger().removeHandler(handler)
    async with sessionmaker() as s:
        secret = (await s.get(Draw, draw_id)).server_secret
        outbox = [data for (data,) in await s.execute(select(messaging.outbox.c.data))]
    assert len(secret) == 64 and any(draw_id in line for line in captured)
    for text in seen + outbox + captured:
        assert secret not in text
    assert (await _outbox(sessionmaker, DRAW_COMMITTED))[0]["commitment"] == r.json()["commitment"]
    executed = await execute(client, draw_id)
    record = (await client.get(f"/v1/draws/{draw_id}/record")).json()
    assert executed.status_code == 200 and record["server_secret"] == secret


async def test_same_entropy_again_returns_the_same_result_and_emits_nothing(client, registry, sessionmaker):
    await venues_and_team(registry)
    draw = await commit(client)
    first, second = await execute(client, draw["id"], "v"), await execute(client, draw["id"], "v")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert len(await _outbox(sessionmaker, DRAW_EXECUTED)) == 1
    assert await _count(sessionmaker, DrawSelection) == 3


async def test_other_entropy_is_a_refused_re_roll(client, registry, sessionmaker):
    await venues_and_team(registry)
    draw = await commit(client)
    first = await execute(client, draw["id"], "the beacon value")
    r = await execute(client, draw["id"], "a value the operator liked better")
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == "external_entropy" and r.json()["type"] == "urn:ssj:problem:re-roll-refused"
    assert "re-rolling is refused" in r.json()["detail"]
    detail = (await client.get(f"/v1/draws/{draw['id']}")).json()
    assert detail["external_entropy"] == "the beacon value" and detail["selections"] == first.json()["selections"]
    assert len(await _outbox(sessionmaker, DRAW_EXECUTED)) == 1


@pytest.mark.parametrize("entropies", [("same", "same"), ("one", "other")])
async def test_concurrent_executes_give_one_execution(durable, registry, entropies):
    client, sessionmaker = durable
    await venues_and_team(registry)
    draw = await commit(client)
    answers = await asyncio.gather(*(execute(client, draw["id"], e) for e in entropies))
    codes = sorted(a.status_code for a in answers)
    if entropies[0] == entropies[1]:
        assert codes == [200, 200] and answers[0].json() == answers[1].json()
    else:
        assert codes == [200, 409]
    assert len(await _outbox(sessionmaker, DRAW_EXECUTED)) == 1
    async with sessionmaker() as s:
        count = select(func.count()).select_from(DrawSelection).where(DrawSelection.draw_id == draw["id"])
        assert await s.scalar(count) == 3


async def test_quota_above_its_stratum_is_refused_and_nothing_is_stored(client, registry, sessionmaker):
    await venues_and_team(registry)
    r = await client.post("/v1/draws", json=plan(quota={"per_stratum": {"entertainment/A": 3}}), headers=C)
    assert r.status_code == 422 and r.json()["field"] == "quota.per_stratum.entertainment/A"
    assert "quota 3 is above the stratum: entertainment/A has only 2 eligible entities" in r.json()["detail"]
    r = await client.post("/v1/draws", json=plan(quota={"per_stratum": {"entertainment/D": 1}}), headers=C)
    assert r.status_code == 422 and r.json()["field"] == "quota.per_stratum.entertainment/D"
    r = await client.post("/v1/draws", json=plan(quota={"percent": 5, "all": True}), headers=C)
    assert r.status_code == 422 and r.json()["field"] == "quota"
    assert await _count(sessionmaker, Draw) == 0 and await _count(sessionmaker, messaging.outbox) == 0


async def test_team_larger_than_the_inspector_pool_is_refused(client, registry, sessionmaker):
    await venues_and_team(registry, inspectors=2)
    r = await client.post("/v1/draws", json=plan(team_size=3), headers=C)
    assert r.status_code == 422 and r.json()["field"] == "team_size"
    assert "team of 3 is larger than the eligible pool of 2 inspectors" in r.json()["detail"]
    r = await client.post("/v1/draws", json=plan(team_size=2, inspector_units=["police_station"]), headers=C)
    assert r.status_code == 422 and r.json()["field"] == "inspector_units"
    assert "no eligible inspectors" in r.json()["detail"]
    assert await _count(sessionmaker, Draw) == 0


async def test_recusals_that_would_leave_no_team_are_refused_at_commit(client, registry):
    venue = entity()
    await load(registry, [venue], [inspector(conflicts=[venue["id"]]), inspector()])
    r = await client.post("/v1/draws", json=plan(quota={"all": True}), headers=C)
    assert r.status_code == 422 and r.json()["field"] == "team_size" and venue["id"] in r.json()["detail"]
    assert (await client.post("/v1/draws", json=plan(quota={"all": True}, team_size=1), headers=C)).status_code == 201


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"sector": "casino"}, "sector"),
        ({"team_size": 11}, "team_size"),
        ({"entropy_source": "round 1\nquota:entertainment/A:6"}, "entropy_source"),
        ({"entropy_source": ""}, "entropy_source"),
        ({"quota": {"percent": 0}}, "quota.percent"),
        ({"period": "Q4"}, "period"),
        ({"period": None}, "period"),
        ({"grades": ["A"], "sector": "internet_cafe"}, "grades"),
        ({"subtypes": ["hotell"], "sector": "special_trade"}, "subtypes[0]"),
        ({"inspector_units": ["traffic"]}, "inspector_units[0]"),
    ],
)
async def test_bad_plans_name_the_field(client, registry, sessionmaker, override, field):
    await load(
        registry,
        [entity(), cafe(), entity(sector="special_trade", subtype="hotel", grade=None, flags={})],
        [inspector(), inspector()],
    )
    r = await client.post("/v1/draws", json=plan(**override), headers=C)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == field
    assert await _count(sessionmaker, Draw) == 0


async def test_an_empty_pool_is_refused(client, registry):
    await load(registry, [entity(grade="A"), cafe(active=False)], [inspector(), inspector()])
    for body in (plan(sector="internet_cafe"), plan(grades=["C"])):
        r = await client.post("/v1/draws", json=body, headers=C)
        assert r.status_code == 422 and r.json()["field"] == "sector" and "empty" in r.json()["detail"]


async def test_filters_and_strata(client, registry):
    hotels = [entity(sector="special_trade", subtype="hotel", grade=None, flags={}) for _ in range(3)]
    pawns = [entity(sector="special_trade", subtype="pawn", grade=None, flags={}) for _ in range(2)]
    net = [inspector(unit="network_security") for _ in range(2)]
    await load(registry, hotels + pawns, [*net, inspector(unit="police_station")])
    draw = await commit(client, sector="special_trade", quota={"all": True}, inspector_units=["network_security"])
    assert draw["quotas"] == {"special_trade/hotel": 3, "special_trade/pawn": 2}
    record = (await client.get(f"/v1/draws/{draw['id']}/record")).json()
    assert [i["inspector_id"] for i in record["inspectors"]] == sorted(i["id"] for i in net)
    only_pawns = await commit(client, sector="special_trade", subtypes=["pawn"], quota={"per_stratum": {}})
    assert only_pawns["quotas"] == {"special_trade/pawn": 0} and only_pawns["pool_size"] == 2


async def test_five_percent_of_cafes_rounds_up(client, registry):
    await load(registry, [cafe() for _ in range(21)], [inspector(unit="network_security") for _ in range(2)])
    draw = await commit(client, sector="internet_cafe", quota={"percent": 5})
    assert draw["quotas"] == {"internet_cafe/cafe": 2}


async def test_expired_and_inactive_inspectors_are_left_out(client, registry):
    today = local_today()
    kept = [inspector(qualification_expires_date=today.isoformat()), inspector(qualification_expires_date=None)]
    dropped = [inspector(qualification_expires_date=(today - timedelta(days=1)).isoformat()), inspector(active=False)]
    await load(registry, [entity()], kept + dropped)
    draw = await commit(client, quota={"all": True})
    record = (await client.get(f"/v1/draws/{draw['id']}/record")).json()
    assert [i["inspector_id"] for i in record["inspectors"]] == sorted(i["id"] for i in kept)


async def test_the_executed_event_follows_the_contract(client, registry, sessionmaker):
    venues, _ = await venues_and_team(registry)
    draw = await commit(client)
    executed = (await execute(client, draw["id"])).json()
    (event,) = await _outbox(sessionmaker, DRAW_EXECUTED)
    assert set(event) == {
        "draw_id",
        "title",
        "sector",
        "checking_body",
        "period",
        "due_date",
        "team_size",
        "jurisdiction",
        "check_type",
        "joint_departments",
        "plan_item_id",
        "rule_code",
        "risk_policy",
        "executed_at",
        "record_url",
        "part",
        "parts",
        "selections_total",
        "selections",
    }
    assert (event["part"], event["parts"], event["selections_total"]) == (1, 1, len(executed["selections"]))
    assert (event["check_type"], event["joint_departments"], event["risk_policy"]) == ("on_site", [], "risk-v1")
    assert (event["draw_id"], event["sector"], event["checking_body"], event["period"], event["due_date"]) == (
        draw["id"],
        "entertainment",
        "county_public_order",
        "2026-Q4",
        "2026-12-31",
    )
    assert event["record_url"] == f"/v1/draws/{draw['id']}/record" and event["team_size"] == 2
    by_id = {v["id"]: v for v in venues}
    for selection, shown in zip(event["selections"], executed["selections"], strict=True):
        assert {k: selection[k] for k in ("position", "entity_id", "stratum", "team")} == shown
        source = by_id[selection["entity_id"]]
        assert selection["entity"] == {
            k: source[k] for k in ("id", "name", "credit_code", "sector", "subtype", "division_code", "grade", "flags")
        }
    async with sessionmaker() as s:
        outbox = (await s.execute(select(messaging.outbox).where(messaging.outbox.c.type == DRAW_EXECUTED))).one()
    assert (outbox.key, outbox.subject, outbox.source) == (draw["id"], draw["id"], "/ssj/draw")


async def test_a_large_draw_is_announced_in_parts_under_the_message_limit(client, registry, sessionmaker, monkeypatch):
    monkeypatch.setattr(draw_events, "SELECTIONS_PER_EVENT", 2)
    await venues_and_team(registry, venues=9)
    draw = await commit(client, quota={"all": True})
    executed = (await execute(client, draw["id"])).json()
    async with sessionmaker() as s:
        rows = (
            await s.execute(
                select(messaging.outbox.c.key, messaging.outbox.c.data)
                .where(messaging.outbox.c.type == DRAW_EXECUTED)
                .order_by(messaging.outbox.c.id)
            )
        ).all()
    parts = [json.loads(data) for _, data in rows]
    assert {key for key, _ in rows} == {draw["id"]}  # one key: one partition, in order
    assert [(p["part"], p["parts"], p["selections_total"]) for p in parts] == [(n, 5, 9) for n in range(1, 6)]
    assert [len(p["selections"]) for p in parts] == [2, 2, 2, 2, 1]
    shown = [{k: s[k] for k in ("position", "entity_id", "stratum", "team")} for p in parts for s in p["selections"]]
    assert shown == executed["selections"]
    assert all(p["draw_id"] == draw["id"] and p["record_url"] == parts[0]["record_url"] for p in parts)


async def test_scopes(client, registry):
    await venues_and_team(registry)
    assert (await client.post("/v1/draws", json=plan())).status_code == 401
    assert (await client.post("/v1/draws", json=plan(), headers=auth("nope"))).status_code == 401
    r = await client.post("/v1/draws", json=plan(), headers=X)
    assert r.status_code == 403 and r.json()["type"] == "urn:ssj:problem:forbidden"
    draw = await commit(client)
    path = f"/v1/draws/{draw['id']}/execute"
    assert (await client.post(path, json={"external_entropy": ""})).status_code == 401
    assert (await client.post(path, json={"external_entropy": ""}, headers=C)).status_code == 403
    assert (await client.get(f"/v1/draws/{draw['id']}")).json()["status"] == "committed"
    assert COMMITTER[1].scopes == ["draw:commit"] and EXECUTOR[1].scopes == ["draw:execute"]


async def test_bad_executes(client, registry):
    await venues_and_team(registry)
    draw = await commit(client)
    path = f"/v1/draws/{draw['id']}/execute"
    for body in ({"external_entropy": "x" * 4097}, {}):
        r = await client.post(path, json=body, headers=X)
        assert r.status_code == 422 and r.json()["field"] == "external_entropy"
    r = await client.post("/v1/draws/d-000000000000/execute", json={"external_entropy": ""}, headers=X)
    assert r.status_code == 404
    assert (await client.get(f"/v1/draws/{draw['id']}")).json()["status"] == "committed"
    assert (await execute(client, draw["id"], "")).status_code == 200


async def test_list_is_newest_first_with_cursor_paging_and_public(client, registry, sessionmaker):
    await venues_and_team(registry)
    ids = [(await commit(client, title=f"draw {n}"))["id"] for n in range(5)]
    await execute(client, ids[0])
    seen, cursor = [], None
    while True:
        page = (await client.get("/v1/draws", params={"limit": 2} | ({"cursor": cursor} if cursor else {}))).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    executed = (await client.get("/v1/draws", params={"status": "executed"})).json()["items"]
    assert [d["id"] for d in executed] == [ids[0]]
    assert (await client.get("/v1/draws", params={"cursor": "%%%"})).json()["field"] == "cursor"
    assert (await client.get("/v1/draws/d-nope")).status_code == 404
    assert (await client.get("/v1/draws/d-nope/record")).status_code == 404
    assert await _count(sessionmaker, DrawPool) == 5


async def test_registry_failures_are_clear_and_store_nothing(settings, sessionmaker, registry_app):
    await venues_and_team(registry_app[1])
    wrong_token = settings.model_copy(update={"registry_token": settings.registry_token.__class__("wrong")})
    async with app_client(draw_app(wrong_token, registry_app[0]), sessionmaker) as client:
        r = await client.post("/v1/draws", json=plan(), headers=C)
    assert r.status_code == 502 and "DRAW_REGISTRY_TOKEN" in r.json()["detail"]
    unreachable = settings.model_copy(update={"registry_url": "http://127.0.0.1:9"})
    async with app_client(create_app(unreachable), sessionmaker) as client:
        r = await client.post("/v1/draws", json=plan(), headers=C)
    assert r.status_code == 503 and r.json()["type"] == "urn:ssj:problem:registry-unavailable"
    assert await _count(sessionmaker, Draw) == 0


async def test_the_embedded_sqlite_default_commits_executes_and_verifies(settings, registry_app, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'draw.db'}"
    upgrade(SERVICE_DIR, url)
    await venues_and_team(registry_app[1])
    async with app_client(draw_app(settings.model_copy(update={"database_url": url}), registry_app[0])) as client:
        draw = await commit(client)
        first, again = await execute(client, draw["id"]), await execute(client, draw["id"])
        refused = await execute(client, draw["id"], "other")
        record = (await client.get(f"/v1/draws/{draw['id']}/record")).json()
        second = await commit(client)
        listed = (await client.get("/v1/draws", params={"limit": 1})).json()
        rest = (await client.get("/v1/draws", params={"limit": 1, "cursor": listed["next_cursor"]})).json()
    assert first.status_code == 200 and refused.status_code == 409
    assert first.json() == again.json()
    assert verify_record(record) is None
    assert [listed["items"][0]["id"], rest["items"][0]["id"], rest["next_cursor"]] == [second["id"], draw["id"], None]


async def test_the_record_carries_substitutes_drawn_at_the_door(client, registry):
    await venues_and_team(registry, inspectors=5)
    draw = await commit(client)
    selection = (await execute(client, draw["id"])).json()["selections"][0]
    recusal = {
        "entity_id": selection["entity_id"],
        "recused_inspector_id": selection["team"][0],
        "team": selection["team"],
    }
    assert (await client.post(f"/v1/draws/{draw['id']}/substitutes", json=recusal, headers=X)).status_code == 201
    record = (await client.get(f"/v1/draws/{draw['id']}/record")).json()
    assert verify_record(record) is None and verify_substitutions(record) is None
    assert [s["recused_inspector_id"] for s in record["substitutions"]] == [selection["team"][0]]
