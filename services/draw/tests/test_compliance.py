"""Compliance: per rule, body and stratum, required / drawn / completed / overdue, from the plan,
the executed draws and the replayed `ssj.inspection.completed` events; per unit; as CSV."""

import csv
import io
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from draw.consumers import HANDLERS, INSPECTION_COMPLETED
from draw.db import messaging
from draw.models import Completion
from shared.events import Event
from shared.messaging import PermanentEventError, handle_once

from .factories import C, R, X, entity, inspector, load

pytestmark = pytest.mark.integration
RULES = ["entertainment-county-A", "internet-cafe"]


def completed_event(draw_id: str, selection: dict[str, Any], inspection_id: str | None = None) -> Event:
    data = {
        "inspection_id": inspection_id or f"i-{uuid.uuid4().hex[:12]}",
        "draw_id": draw_id,
        "position": selection["position"],
        "entity": {"id": selection["entity_id"], "name": "n", "sector": "x"},
        "team": selection["team"],
        "check_type": "on_site",
        "completed_at": "2026-11-02T03:00:00+00:00",
        "version": 1,
    }
    return Event(
        str(uuid.uuid4()), INSPECTION_COMPLETED, "/ssj/inspection", data["inspection_id"], datetime.now(UTC), data
    )


async def deliver_twice(sessionmaker, event: Event) -> None:
    assert await handle_once(sessionmaker, messaging, "draw", HANDLERS, event, None)
    assert not await handle_once(sessionmaker, messaging, "draw", HANDLERS, event, None)


async def _executed_plan(client, registry) -> list[dict[str, Any]]:
    venues = [entity(grade="A", division_code="210402") for _ in range(2)]
    cafes = [entity(sector="internet_cafe", subtype="cafe", grade=None, flags={}) for _ in range(20)]
    staff = [inspector(unit=unit) for unit in ("county_public_order", "network_security") for _ in range(2)]
    await load(registry, venues + cafes, staff)
    await client.post("/v1/plans:generate", json={"period": "2026-Q4", "rules": RULES}, headers=C)
    body = {"period": "2026-Q4", "entropy_source": "beacon"}
    results = (await client.post("/v1/plan-items:commit", json=body, headers=C)).json()["results"]
    return [
        (await client.post(f"/v1/draws/{r['draw_id']}/execute", json={"external_entropy": "e"}, headers=X)).json()
        for r in results
    ]


def _row(rows: list[dict[str, Any]], rule: str, period: str) -> dict[str, Any]:
    (row,) = [r for r in rows if r["rule_code"] == rule and r["rule_period"] == period]
    return row


async def test_required_drawn_completed_and_overdue(client_with, registry, sessionmaker):
    async with client_with(counties=["210402"]) as client:
        draws = await _executed_plan(client, registry)
        venue_draw = next(d for d in draws if d["rule_code"] == "entertainment-county-A")
        october = [d for d in draws if d["rule_code"] == "internet-cafe" and d["period"] == "2026-10"]
        await deliver_twice(sessionmaker, completed_event(venue_draw["id"], venue_draw["selections"][0]))
        for d in october:
            for s in d["selections"]:
                await deliver_twice(sessionmaker, completed_event(d["id"], s))
        mid = (
            await client.get("/v1/compliance", params={"period": "2026-Q4", "as_of": "2026-11-15"}, headers=R)
        ).json()
        late = (
            await client.get("/v1/compliance", params={"period": "2026-Q4", "as_of": "2027-01-05"}, headers=R)
        ).json()
        await deliver_twice(sessionmaker, completed_event(venue_draw["id"], venue_draw["selections"][1]))
        done = (
            await client.get("/v1/compliance", params={"period": "2026-Q4", "as_of": "2027-01-05"}, headers=R)
        ).json()
    venue = _row(mid["items"], "entertainment-county-A", "2026-Q4")
    assert (venue["required"], venue["drawn"], venue["completed"], venue["overdue"]) == (2, 2, 1, [])
    assert (venue["status"], venue["jurisdiction"], venue["checking_body"]) == (
        "in_progress",
        "210402",
        "county_public_order",
    )
    assert _row(mid["items"], "internet-cafe", "2026-10")["status"] == "met"
    november = _row(mid["items"], "internet-cafe", "2026-11")
    first_round = next(d for d in draws if d["rule_code"] == "internet-cafe" and d["due_date"] == "2026-11-10")
    assert november["required"] == 3 * 1 and november["drawn"] == 3 and november["status"] == "overdue"
    assert november["overdue"] == [s["entity_id"] for s in first_round["selections"]]
    late_venue = _row(late["items"], "entertainment-county-A", "2026-Q4")
    assert late_venue["status"] == "overdue" and late_venue["overdue"] == [venue_draw["selections"][1]["entity_id"]]
    assert _row(done["items"], "entertainment-county-A", "2026-Q4")["status"] == "met"
    fire = next(r for r in done["items"] if r["rule_code"] == "fire-safety")
    assert (fire["status"], fire["required"], fire["rounds_planned"]) == ("missed", None, 0)
    async with sessionmaker() as s:
        count = await s.scalar(select(func.count()).select_from(Completion))
    assert count == 2 + sum(len(d["selections"]) for d in october)


async def test_the_unit_report_and_csv_export(client_with, registry, sessionmaker):
    async with client_with(counties=["210402"]) as client:
        await _executed_plan(client, registry)
        params = {"period": "2026-Q4", "as_of": "2026-11-15"}
        units = (await client.get("/v1/compliance/units", params=params, headers=R)).json()["items"]
        exported = await client.get("/v1/compliance", params=params | {"format": "csv"}, headers=R)
        unit_csv = await client.get("/v1/compliance/units", params=params | {"format": "csv"}, headers=R)
        one_rule = (await client.get("/v1/compliance", params=params | {"rule": "internet-cafe"}, headers=R)).json()
        rows = (await client.get("/v1/compliance", params=params, headers=R)).json()["items"]
    cafes = next(u for u in units if u["checking_body"] == "network_security")
    assert cafes["jurisdiction"] == "210400" and cafes["status"] == "behind" and cafes["overdue"] >= 1
    assert cafes["required"] == 9 and cafes["drawn"] == 9 and cafes["completed"] == 0
    assert exported.headers["content-type"].startswith("text/csv") and exported.text.startswith("\ufeff")
    assert "attachment" in exported.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert {
        "rule_code",
        "checking_body",
        "jurisdiction",
        "stratum",
        "required",
        "drawn",
        "completed",
        "overdue",
    } <= set(table[0])
    assert len(table) == len(rows) and any("网吧" in row["rule_title"] for row in table)
    assert "completion_rate" in unit_csv.text.splitlines()[0]
    assert {r["rule_code"] for r in one_rule["items"]} == {"internet-cafe"} and len(one_rule["items"]) == 3


@pytest.mark.parametrize(
    ("params", "field", "kind"),
    [
        ({"period": "2026-Q5"}, "period", "validation"),
        ({}, "period", "validation"),
        ({"period": "2026", "rule": "casino"}, "rule", "unknown-rule"),
        ({"period": "2026", "format": "xml"}, "format", "validation"),
    ],
)
async def test_bad_report_requests_name_the_field(client, params, field, kind):
    r = await client.get("/v1/compliance", params=params, headers=R)
    assert r.status_code == 422 and r.json()["field"] == field and r.json()["type"] == f"urn:ssj:problem:{kind}"


async def test_compliance_is_internal(client):
    assert (await client.get("/v1/compliance", params={"period": "2026"})).status_code == 401
    assert (await client.get("/v1/compliance", params={"period": "2026"}, headers=C)).status_code == 403


async def test_a_malformed_completion_is_rejected_permanently(sessionmaker):
    event = Event("e-1", INSPECTION_COMPLETED, "/ssj/inspection", None, None, {"inspection_id": "i-1"})
    with pytest.raises(PermanentEventError, match="invalid payload"):
        await handle_once(sessionmaker, messaging, "draw", HANDLERS, event, None)
