import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from inspection.db import messaging
from inspection.models import Finding, Inspection
from inspection.periods import bureau_today
from shared.testing import auth

from .conftest import READER, RECORDER
from .factories import deliver, draw_data, draw_event, entity, fire_unit, selection

pytestmark = pytest.mark.integration
W, R = auth(RECORDER[0]), auth(READER[0])


async def _draw(sessionmaker, deps, *selections: dict[str, Any], **overrides: Any) -> str:  # type: ignore[no-untyped-def]
    data = draw_data(list(selections), **overrides)
    await deliver(sessionmaker, draw_event(data), deps)
    return data["draw_id"]


async def _one_task(client, sessionmaker, deps) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    draw_id = await _draw(sessionmaker, deps, selection(1, ["INS-3", "INS-7"]))
    page = (await client.get("/v1/inspections", params={"draw_id": draw_id}, headers=R)).json()
    return (await client.get(f"/v1/inspections/{page['items'][0]['id']}", headers=R)).json()


def _all(task: dict[str, Any], result: str = "compliant") -> list[dict[str, Any]]:
    return [{"item_code": item["code"], "result": result} for item in task["checklist"]]


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
    r = await client.get("/v1/inspections/i-000000000000", headers=R)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


async def test_complete_records_the_result_and_emits_the_contract_event(client, sessionmaker, deps):
    task = await _one_task(client, sessionmaker, deps)
    findings = _all(task)
    findings[5] = {"item_code": findings[5]["item_code"], "result": "non_compliant", "note": "发现赌博机"}
    findings.reverse()  # any order is accepted; the record keeps the checklist's
    deadline = (bureau_today() + timedelta(days=10)).isoformat()
    outcome = {"type": "rectification_ordered", "rectification_deadline": deadline, "note": "限期整改"}
    r = await client.post(
        f"/v1/inspections/{task['id']}/complete", json={"findings": findings, "outcome": outcome}, headers=W
    )
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "completed" and done["completed_by"] == "field-app"
    assert done["outcome"] == outcome
    assert [f["item_code"] for f in done["findings"]] == [i["code"] for i in task["checklist"]]
    assert (await client.get(f"/v1/inspections/{task['id']}", headers=R)).json() == done

    [row] = await _outbox(sessionmaker)
    assert (row.type, row.source, row.key, row.subject) == (
        "ssj.inspection.completed",
        "/ssj/inspection",
        task["id"],
        task["entity"]["id"],
    )
    data = json.loads(row.data)
    entity_fields = ("id", "name", "credit_code", "sector", "subtype", "division_code")
    assert data == {
        "inspection_id": task["id"],
        "draw_id": task["draw_id"],
        "position": 1,
        "entity": {k: task["entity"][k] for k in entity_fields},
        "team": ["INS-3", "INS-7"],
        "checklist_version": "2015-fushun-v1",
        "findings": [
            {
                "item_code": i["code"],
                "result": "non_compliant" if n == 5 else "compliant",
                "note": "发现赌博机" if n == 5 else "",
            }
            for n, i in enumerate(task["checklist"])
        ],
        "outcome": outcome,
        "completed_at": data["completed_at"],
        "completed_by": "field-app",
    }
    assert data["completed_at"].replace("+00:00", "Z")[:19] == done["completed_at"][:19]


async def test_a_clean_inspection_completes_with_no_issues(client, sessionmaker, deps):
    task = await _one_task(client, sessionmaker, deps)
    body = {"findings": _all(task, "not_applicable"), "outcome": {"type": "no_issues"}}
    r = await client.post(f"/v1/inspections/{task['id']}/complete", json=body, headers=W)
    assert r.status_code == 200
    [row] = await _outbox(sessionmaker)
    assert json.loads(row.data)["outcome"] == {"type": "no_issues", "rectification_deadline": None, "note": ""}


def _missing_last(task, body):  # type: ignore[no-untyped-def]
    body["findings"].pop()
    return body


def _unknown(task, body):  # type: ignore[no-untyped-def]
    body["findings"][2]["item_code"] = "entertainment.casino"
    return body


def _duplicate(task, body):  # type: ignore[no-untyped-def]
    body["findings"].append(dict(body["findings"][0]))
    return body


def _outcome(**outcome):  # type: ignore[no-untyped-def]
    def change(task, body):  # type: ignore[no-untyped-def]
        body["findings"][0]["result"] = "non_compliant" if outcome.pop("violation", False) else "compliant"
        return body | {"outcome": outcome}

    return change


PAST, TODAY, SOON = (bureau_today() + timedelta(days=d) for d in (-1, 0, 7))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_missing_last, "findings"),
        (_unknown, "findings[2].item_code"),
        (_duplicate, "findings[8].item_code"),
        (_outcome(type="no_issues", violation=True), "outcome.type"),
        (_outcome(type="penalty_fine"), "outcome.type"),
        (_outcome(type="blacklisted"), "outcome.type"),
        (_outcome(type="rectification_ordered", violation=True), "outcome.rectification_deadline"),
        (
            _outcome(type="rectification_ordered", violation=True, rectification_deadline=PAST.isoformat()),
            "outcome.rectification_deadline",
        ),
        (
            _outcome(type="rectification_ordered", violation=True, rectification_deadline=TODAY.isoformat()),
            "outcome.rectification_deadline",
        ),
        (_outcome(type="no_issues", rectification_deadline=SOON.isoformat()), "outcome.rectification_deadline"),
        (_outcome(type="closed_down", violation=True), "outcome.type"),
        (lambda task, body: body["findings"][0].update(result="fine") or body, "findings[0].result"),
        (lambda task, body: {"findings": body["findings"]}, "outcome"),
    ],
    ids=[
        "missing",
        "unknown-code",
        "duplicate",
        "clean-with-violation",
        "fine-without-violation",
        "blacklist-without-violation",
        "no-deadline",
        "past-deadline",
        "deadline-today",
        "deadline-on-no-issues",
        "unknown-outcome",
        "unknown-result",
        "no-outcome",
    ],
)
async def test_invalid_completion_names_the_field_and_changes_nothing(client, sessionmaker, deps, change, field):
    task = await _one_task(client, sessionmaker, deps)
    body = change(task, {"findings": _all(task), "outcome": {"type": "no_issues"}})
    r = await client.post(f"/v1/inspections/{task['id']}/complete", json=body, headers=W)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == field
    async with sessionmaker() as s:
        assert (await s.get(Inspection, task["id"])).status == "assigned"
        assert await s.scalar(select(func.count()).select_from(Finding)) == 0
    assert await _outbox(sessionmaker) == []


async def test_missing_items_are_listed(client, sessionmaker, deps):
    task = await _one_task(client, sessionmaker, deps)
    body = {"findings": _all(task)[:6], "outcome": {"type": "no_issues"}}
    problem = (await client.post(f"/v1/inspections/{task['id']}/complete", json=body, headers=W)).json()
    assert problem["errors"][0]["missing"] == ["entertainment.lodging_registration", "entertainment.other"]
    assert "entertainment.other" in problem["detail"]


async def test_completed_inspections_are_immutable(client, sessionmaker, deps):
    task = await _one_task(client, sessionmaker, deps)
    url = f"/v1/inspections/{task['id']}/complete"
    assert (
        await client.post(url, json={"findings": _all(task), "outcome": {"type": "no_issues"}}, headers=W)
    ).status_code == 200
    findings = _all(task, "non_compliant")
    r = await client.post(url, json={"findings": findings, "outcome": {"type": "penalty_warning"}}, headers=W)
    assert r.status_code == 409 and r.json()["type"] == "urn:ssj:problem:inspection-completed"
    after = (await client.get(f"/v1/inspections/{task['id']}", headers=R)).json()
    assert after["outcome"]["type"] == "no_issues" and {f["result"] for f in after["findings"]} == {"compliant"}
    assert len(await _outbox(sessionmaker)) == 1


async def test_complete_unknown_inspection_is_404(client):
    body = {"findings": [], "outcome": {"type": "no_issues"}}
    r = await client.post("/v1/inspections/i-000000000000/complete", json=body, headers=W)
    assert r.status_code == 404


async def test_scopes(client, sessionmaker, deps):
    task = await _one_task(client, sessionmaker, deps)
    body = {"findings": _all(task), "outcome": {"type": "no_issues"}}
    url = f"/v1/inspections/{task['id']}/complete"
    assert (await client.get("/v1/inspections")).status_code == 401
    assert (await client.get(f"/v1/inspections/{task['id']}")).status_code == 401
    assert (await client.post(url, json=body)).status_code == 401
    assert (await client.post(url, json=body, headers=auth("nope"))).status_code == 401
    r = await client.post(url, json=body, headers=R)
    assert r.status_code == 403 and r.json()["type"] == "urn:ssj:problem:forbidden"
    async with sessionmaker() as s:
        assert (await s.get(Inspection, task["id"])).status == "assigned"
    assert await _outbox(sessionmaker) == []


async def test_entity_snapshot_is_kept_as_drawn(client, sessionmaker, deps):
    venue = entity(name="原名KTV", flags={"lodging": True})
    await _draw(sessionmaker, deps, selection(1, ["INS-9"], venue))
    [item] = (await client.get("/v1/inspections", params={"inspector": "INS-9"}, headers=R)).json()["items"]
    assert item["entity"] == venue
