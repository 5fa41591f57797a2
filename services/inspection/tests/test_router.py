from typing import Any

import pytest
from sqlalchemy import select

from inspection.db import messaging
from inspection.models import Inspection
from shared.testing import auth

from .conftest import OFFICERS, READER
from .factories import (
    as_officer,
    deliver,
    draw_data,
    draw_event,
    entity,
    findings,
    finish,
    fire_unit,
    result,
    selection,
)

pytestmark = pytest.mark.integration
W, R = auth(OFFICERS["INS-3"][0]), auth(READER[0])


async def _draw(sessionmaker, deps, *selections: dict[str, Any], **overrides: Any) -> str:  # type: ignore[no-untyped-def]
    data = draw_data(list(selections), **overrides)
    await deliver(sessionmaker, draw_event(data), deps)
    return data["draw_id"]


async def _one_task(client, sessionmaker, deps) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    draw_id = await _draw(sessionmaker, deps, selection(1, ["INS-3", "INS-7"]))
    page = (await client.get("/v1/inspections", params={"draw_id": draw_id}, headers=R)).json()
    return (await client.get(f"/v1/inspections/{page['items'][0]['id']}", headers=R)).json()


async def _outbox(sessionmaker) -> list[Any]:  # type: ignore[no-untyped-def]
    async with sessionmaker() as s:
        return list((await s.execute(select(messaging.outbox))).all())


async def test_list_by_inspector_status_draw_and_sector(client, sessionmaker, deps):
    draw_id = await _draw(
        sessionmaker,
        deps,
        selection(1, ["INS-A", "INS-B"]),
        selection(2, ["INS-C", "INS-D"]),
        selection(3, ["INS-E", "INS-A"]),
        selection(4, ["INS-A"], fire_unit()),
    )
    other = await _draw(sessionmaker, deps, selection(1, ["INS-A"]), due_date="2026-11-30")

    def ids(page: dict[str, Any]) -> list[tuple[str, int]]:
        return [(i["draw_id"], i["position"]) for i in page["items"]]

    mine = (await client.get("/v1/inspections", params={"inspector": "INS-A"}, headers=R)).json()
    assert ids(mine) == [(other, 1), (draw_id, 1), (draw_id, 3), (draw_id, 4)]  # soonest due first
    assert all("INS-A" in i["team"] for i in mine["items"]) and mine["next_cursor"] is None
    fire = (
        await client.get("/v1/inspections", params={"inspector": "INS-A", "sector": "fire_safety"}, headers=R)
    ).json()
    assert ids(fire) == [(draw_id, 4)]
    assert ids((await client.get("/v1/inspections", params={"inspector": "INS-C"}, headers=R)).json()) == [(draw_id, 2)]
    assert len((await client.get("/v1/inspections", params={"draw_id": draw_id}, headers=R)).json()["items"]) == 4
    assert (await client.get("/v1/inspections", params={"status": "completed"}, headers=R)).json()["items"] == []


async def test_lists_for_a_unit_and_by_status(client, sessionmaker, deps):
    venue = entity()
    first = await _draw(sessionmaker, deps, selection(1, ["INS-3", "INS-7"], venue), checking_body="police_station")
    again = await _draw(sessionmaker, deps, selection(2, ["INS-1", "INS-2"], venue), check_type="online_patrol")
    await _draw(sessionmaker, deps, selection(1, ["INS-3", "INS-7"]))

    async def listed(**params: str) -> list[tuple[str, int]]:
        page = (await client.get("/v1/inspections", params=params, headers=R)).json()
        return [(i["draw_id"], i["position"]) for i in page["items"]]

    assert sorted(await listed(entity_id=venue["id"])) == sorted([(first, 1), (again, 2)])  # same due date
    assert await listed(entity_id=venue["id"], checking_body="police_station") == [(first, 1)]
    assert await listed(entity_id=venue["id"], check_type="online_patrol") == [(again, 2)]
    task = (await client.get("/v1/inspections", params={"draw_id": first}, headers=R)).json()["items"][0]
    detail = (await client.get(f"/v1/inspections/{task['id']}", headers=R)).json()
    await finish(client, detail, result(detail, {"type": "no_issues"}))
    assert await listed(inspector="INS-3", status="completed") == [(first, 1)]
    assert len(await listed(inspector="INS-3", status="assigned")) == 1


async def test_cursor_paging_walks_every_task_once(client, sessionmaker, deps):
    await _draw(sessionmaker, deps, *[selection(p, ["INS-P"]) for p in range(1, 6)])
    await _draw(sessionmaker, deps, *[selection(p, ["INS-P"]) for p in range(1, 3)], due_date="2026-11-01")
    seen, cursor = [], None
    while True:
        params = {"inspector": "INS-P", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/inspections", params=params, headers=R)).json()
        seen += [(i["due_date"], i["draw_id"], i["position"]) for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(set(seen)) == 7 and seen == sorted(seen)


@pytest.mark.parametrize("cursor", ["%%%", "eyJ4IjoxfQ", "WzFd"])  # garbage, {"x":1}, [1]
async def test_garbage_cursor_is_a_clear_error(client, cursor):
    r = await client.get("/v1/inspections", params={"cursor": cursor}, headers=R)
    assert r.status_code == 422 and r.json()["field"] == "cursor"


async def test_detail_shows_checklist_and_no_result_yet(client, sessionmaker, deps):
    task = await _one_task(client, sessionmaker, deps)
    assert task["status"] == "assigned" and task["team"] == ["INS-3", "INS-7"]
    assert len(task["checklist"]) == 8 and task["checklist_version"] == "2015-fushun-v1"
    assert task["findings"] == [] and task["outcome"] is None and task["completed_by"] is None
    assert (task["draft"], task["rectification"], task["version"], task["check_type"]) == (None, None, 0, "on_site")
    r = await client.get("/v1/inspections/i-000000000000", headers=R)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


async def test_scopes(client, sessionmaker, deps):
    task = await _one_task(client, sessionmaker, deps)
    body = {"findings": findings(task), "outcome": {"type": "no_issues"}}
    url = f"/v1/inspections/{task['id']}/complete"
    assert (await client.get("/v1/inspections")).status_code == 401
    assert (await client.get(f"/v1/inspections/{task['id']}")).status_code == 401
    assert (await client.post(url, json=body)).status_code == 401
    assert (await client.post(url, json=body, headers=auth("nope"))).status_code == 401
    assert (await client.get(f"/v1/inspections/{task['id']}/history")).status_code == 401
    r = await client.post(url, json=body, headers=R)
    assert r.status_code == 403 and r.json()["type"] == "urn:ssj:problem:forbidden"
    async with sessionmaker() as s:
        assert (await s.get(Inspection, task["id"])).status == "assigned"
    assert await _outbox(sessionmaker) == []
    assert (await client.post(url, json=body, headers=W)).status_code == 202  # the team member's own credential


async def test_entity_snapshot_is_kept_as_drawn(client, sessionmaker, deps):
    venue = entity(name="原名KTV", flags={"lodging": True})
    await _draw(sessionmaker, deps, selection(1, ["INS-9"], venue))
    [item] = (await client.get("/v1/inspections", params={"inspector": "INS-9"}, headers=R)).json()["items"]
    assert item["entity"] == venue


async def test_history_pages_through_every_step(client, sessionmaker, deps):
    task = await _one_task(client, sessionmaker, deps)
    await finish(client, task, result(task, {"type": "no_issues"}))
    url = f"/v1/inspections/{task['id']}/history"
    everything = (await client.get(url, headers=R)).json()
    assert [h["action"] for h in everything["items"]] == [
        "assigned",
        "draft_submitted",
        "confirmed",
        "confirmed",
        "completed",
    ]
    assert [h["inspector_id"] for h in everything["items"]] == [None, "INS-3", "INS-3", "INS-7", "INS-7"]
    seen, cursor = [], None
    while True:
        page = (await client.get(url, params={"limit": 2} | ({"cursor": cursor} if cursor else {}), headers=R)).json()
        seen += page["items"]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == everything["items"]
    r = await client.get(url, params={"cursor": "WzFd"}, headers=R)
    assert r.status_code == 422 and r.json()["field"] == "cursor"
    assert (await client.get("/v1/inspections/i-000000000000/history", headers=R)).status_code == 404


async def test_an_officer_reads_their_own_tasks(client, sessionmaker, deps):
    task = await _one_task(client, sessionmaker, deps)
    mine = (await client.get("/v1/inspections", params={"inspector": "INS-7"}, headers=as_officer("INS-7"))).json()
    assert [i["id"] for i in mine["items"]] == [task["id"]]
