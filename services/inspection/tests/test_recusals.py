"""Recusal at the door against the real draw service (and the real registry behind it), each on
its own PostgreSQL database: the substitute is drawn from the draw's seed, replayable from the
public record, and nothing here picks it."""

import hashlib
import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from draw.db import messaging as draw_messaging
from draw.substitutes import record_substitutions, verify_substitutions
from draw.verify import verify_record
from inspection.consumers import Deps
from registry.codes import CREDIT_CHARSET, credit_check_char
from shared.events import Event
from shared.testing import auth

from .conftest import PLANNER, REGISTRY_SYNC, DrawStack
from .factories import R, as_officer, confirm, deliver, outbox, result, submit

pytestmark = pytest.mark.integration


def _credit_code(n: int) -> str:
    body = "9121040" + "".join(CREDIT_CHARSET[(n // 31**i) % 31] for i in range(10))
    return body + credit_check_char(body)


async def _load(stack: DrawStack, inspectors: int, conflicts: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """One venue and a county inspector pool, through the registry's own batch API."""
    venue = {
        "id": "ENT-RECUSE",
        "sector": "entertainment",
        "subtype": "venue",
        "name": "回避测试KTV",
        "credit_code": _credit_code(7),
        "division_code": "210402",
        "grade": "A",
        "flags": {"lodging": False},
    }
    expires = (date.today() + timedelta(days=365)).isoformat()
    staff = [
        {
            "id": f"RI-{n:02d}",
            "name": f"检查员{n}",
            "unit": "county_public_order",
            "jurisdiction": "210402",
            "qualification_expires_date": expires,
            "conflicts": (conflicts or {}).get(f"RI-{n:02d}", []),
        }
        for n in range(1, inspectors + 1)
    ]
    headers = auth(REGISTRY_SYNC[0])
    for path, key, rows in (("/v1/entities:batch", "entities", [venue]), ("/v1/inspectors:batch", "inspectors", staff)):
        r = await stack.registry.post(path, json={key: rows}, headers=headers)
        assert r.status_code == 200, r.text
    return venue


async def _executed_draw(stack: DrawStack) -> dict[str, Any]:
    """Commit and execute through the draw API; the executed event is read from the draw's outbox."""
    plan = {
        "title": "回避测试",
        "sector": "entertainment",
        "quota": {"all": True},
        "team_size": 2,
        "entropy_source": "test beacon",
        "period": "2026-Q4",
        "due_date": "2026-12-31",
        "checking_body": "county_public_order",
    }
    r = await stack.draw.post("/v1/draws", json=plan, headers=auth(PLANNER[0]))
    assert r.status_code == 201, r.text
    draw_id = r.json()["id"]
    r = await stack.draw.post(f"/v1/draws/{draw_id}/execute", json={"external_entropy": "42"}, headers=auth(PLANNER[0]))
    assert r.status_code == 200, r.text
    outbox_table = draw_messaging.outbox
    async with stack.sessionmaker() as s:
        query = select(outbox_table).where(outbox_table.c.type == "ssj.draw.executed", outbox_table.c.key == draw_id)
        row = (await s.execute(query)).one()
    return json.loads(row.data)


async def _task(client, sessionmaker, deps: Deps, stack: DrawStack, inspectors: int = 5, **conflicts: list[str]):  # type: ignore[no-untyped-def]
    await _load(stack, inspectors, {k.replace("_", "-"): v for k, v in conflicts.items()})
    data = await _executed_draw(stack)
    event = Event("e-" + data["draw_id"], "ssj.draw.executed", "/ssj/draw", data["draw_id"], None, data)
    assert await deliver(sessionmaker, event, deps)
    page = (await client.get("/v1/inspections", params={"draw_id": data["draw_id"]}, headers=R)).json()
    return (await client.get(f"/v1/inspections/{page['items'][0]['id']}", headers=R)).json()


def _recuse(client, task: dict[str, Any], who: str, reason: str = "被检查单位负责人系其近亲属"):  # type: ignore[no-untyped-def]
    return client.post(f"/v1/inspections/{task['id']}/recusals", json={"reason": reason}, headers=as_officer(who))


def _literal_substitute(record: dict[str, Any], entity_id: str, n: int, team: list[str], recused: list[str]) -> str:
    """The rule transcribed from the module text, independently of its implementation."""
    eligible = sorted(
        i["inspector_id"]
        for i in record["inspectors"]
        if i["inspector_id"] not in team and i["inspector_id"] not in recused and entity_id not in i["conflicts"]
    )
    digest = hashlib.sha256(
        bytes.fromhex(record["seed"]) + b"S" + entity_id.encode() + b"\x00" + n.to_bytes(4, "big")
    ).digest()
    return eligible[int.from_bytes(digest, "big") % len(eligible)]


async def test_a_recused_officer_is_replaced_by_a_drawn_substitute(recusal_client, sessionmaker, deps, draw_stack):
    client = recusal_client
    task = await _task(client, sessionmaker, deps, draw_stack)
    first, second = task["team"]
    r = await _recuse(client, task, first)
    assert r.status_code == 200, r.text
    record = (await draw_stack.draw.get(f"/v1/draws/{task['draw_id']}/record")).json()
    substitute = _literal_substitute(record, task["entity"]["id"], 0, task["team"], [first])
    assert r.json()["team"] == [substitute, second]  # the substitute takes the recused seat

    r = await _recuse(client, r.json(), second, "曾在该单位任职")
    assert r.status_code == 200, r.text
    again = _literal_substitute(record, task["entity"]["id"], 1, [substitute, second], [first, second])
    assert r.json()["team"] == [substitute, again]

    async with draw_stack.sessionmaker() as s:
        record["substitutions"] = await record_substitutions(s, task["draw_id"])
    assert verify_record(record) is None and verify_substitutions(record) is None
    assert [e["recused_inspector_id"] for e in record["substitutions"]] == [first, second]
    forged = record | {"substitutions": [record["substitutions"][0] | {"substitute_inspector_id": second}]}
    assert verify_substitutions(forged) is not None

    recusals = (await client.get(f"/v1/inspections/{task['id']}/recusals", headers=R)).json()
    assert [(x["recused_inspector_id"], x["substitute_inspector_id"], x["seat"]) for x in recusals] == [
        (first, substitute, 0),
        (second, again, 1),
    ]
    history = (await client.get(f"/v1/inspections/{task['id']}/history", headers=R)).json()["items"]
    assert [(h["action"], h["inspector_id"], h["detail"].get("substitute")) for h in history[1:]] == [
        ("recused", first, substitute),
        ("recused", second, again),
    ]
    gone = await client.post(
        f"/v1/inspections/{task['id']}/complete", json=result(task, {"type": "no_issues"}), headers=as_officer(first)
    )
    assert gone.status_code == 403  # off the team for good
    kinds = [k for k, _ in await _draw_outbox(draw_stack)]
    assert kinds.count("ssj.draw.substitute_drawn") == 2


async def _draw_outbox(stack: DrawStack) -> list[tuple[str, dict[str, Any]]]:
    async with stack.sessionmaker() as s:
        rows = (await s.execute(select(draw_messaging.outbox.c.type, draw_messaging.outbox.c.data))).all()
    return [(t, json.loads(d)) for t, d in rows]


async def test_the_substitute_must_also_confirm_a_pending_draft(recusal_client, sessionmaker, deps, draw_stack):
    client = recusal_client
    task = await _task(client, sessionmaker, deps, draw_stack)
    first, second = task["team"]
    draft = (await submit(client, task, result(task, {"type": "no_issues"}), second)).json()["draft"]
    substitute = (await _recuse(client, task, first)).json()["team"][0]
    awaiting = (await client.get(f"/v1/inspections/{task['id']}", headers=R)).json()["draft"]
    assert (awaiting["confirmed_by"], awaiting["awaiting"]) == ([second], [substitute])
    done = await confirm(client, task, draft["sha256"], substitute)
    assert done.status_code == 200 and done.json()["team"] == [substitute, second]
    [(_, completed)] = await outbox(sessionmaker, "ssj.inspection.completed")
    assert completed["team"] == [substitute, second] and completed["confirmed_by"] == [substitute, second]


async def test_the_draw_answers_a_repeated_recusal_with_the_same_substitute(
    recusal_client, sessionmaker, deps, draw_stack
):
    task = await _task(recusal_client, sessionmaker, deps, draw_stack)
    body = {"entity_id": task["entity"]["id"], "recused_inspector_id": task["team"][0], "team": task["team"]}
    url = f"/v1/draws/{task['draw_id']}/substitutes"
    first = await draw_stack.draw.post(url, json=body, headers=auth(PLANNER[0]))
    repeat = await draw_stack.draw.post(url, json=body, headers=auth(PLANNER[0]))
    assert (first.status_code, repeat.status_code) == (201, 200)
    assert first.json() == repeat.json()
    stale = await draw_stack.draw.post(
        url, json=body | {"recused_inspector_id": task["team"][1]}, headers=auth(PLANNER[0])
    )
    assert stale.status_code == 409 and stale.json()["field"] == "team"  # the team has changed since


async def test_no_eligible_substitute_changes_nothing(recusal_client, sessionmaker, deps, draw_stack):
    """Three inspectors, one recused from the venue at commit: after a recusal nobody is left."""
    client = recusal_client
    task = await _task(client, sessionmaker, deps, draw_stack, inspectors=3, RI_03=["ENT-RECUSE"])
    assert sorted(task["team"]) == ["RI-01", "RI-02"]
    r = await _recuse(client, task, task["team"][0])
    assert r.status_code == 422 and r.json()["type"] == "urn:ssj:problem:substitute-refused", r.text
    assert "ENT-RECUSE" in r.json()["detail"]
    after = (await client.get(f"/v1/inspections/{task['id']}", headers=R)).json()
    assert after["team"] == task["team"]
    assert [
        h["action"] for h in (await client.get(f"/v1/inspections/{task['id']}/history", headers=R)).json()["items"]
    ] == ["assigned"]


async def test_an_unreachable_draw_service_changes_nothing(client, sessionmaker, deps, draw_stack):
    """The plain client's draw URL points nowhere: 503, the team stays as drawn."""
    task = await _task(client, sessionmaker, deps, draw_stack)
    r = await _recuse(client, task, task["team"][0])
    assert r.status_code == 503 and r.json()["type"] == "urn:ssj:problem:draw-unavailable"
    assert (await client.get(f"/v1/inspections/{task['id']}", headers=R)).json()["team"] == task["team"]


async def test_a_completed_inspection_takes_no_recusal(recusal_client, sessionmaker, deps, draw_stack):
    client = recusal_client
    task = await _task(client, sessionmaker, deps, draw_stack)
    body = result(task, {"type": "no_issues"})
    sha = (await submit(client, task, body, task["team"][0])).json()["draft"]["sha256"]
    assert (await confirm(client, task, sha, task["team"][1])).status_code == 200
    r = await _recuse(client, task, task["team"][0])
    assert r.status_code == 409 and r.json()["type"] == "urn:ssj:problem:inspection-completed"
