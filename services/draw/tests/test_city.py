"""The generated plan of a synthetic city, committed and executed through the API, meets every
rule of mission.md §2 — for a quarter and for a year.

The rules are transcribed here from mission.md §2, not imported from draw.rules: what is checked
is what the executed draws selected, entity by entity and window by window.
"""

import math
from datetime import date
from typing import Any

import httpx
import pytest

from draw.periods import parse, periods_of
from draw.verify import verify_record

from . import city as synthetic
from .factories import C, X

pytestmark = pytest.mark.integration

# (sector, subtype, grade, checking unit, level, window, checks per window for every entity)
COVERAGE = [
    ("entertainment", "venue", "A", "county_public_order", "county", "quarter", 1),
    ("entertainment", "venue", "B", "county_public_order", "county", "quarter", 2),
    ("entertainment", "venue", "C", "county_public_order", "county", "quarter", 2),
    ("entertainment", "venue", "A", "police_station", "county", "quarter", 1),
    ("entertainment", "venue", "B", "police_station", "county", "quarter", 2),
    ("entertainment", "venue", "C", "police_station", "county", "month", 1),
    ("blasting", "commercial", None, "blasting_supervision", "city", "half", 1),
    ("blasting", "commercial", None, "blasting_supervision", "county", "quarter", 1),
    ("blasting", "non_commercial", None, "blasting_supervision", "city", "year", 1),
    ("blasting", "non_commercial", None, "blasting_supervision", "county", "half", 1),
]
# (sector, subtypes, checking unit, level, window, draws per window, minimum share of each subtype
# per draw); hotels, seal engraving and pawn shops: "double-random draws" at a configurable
# frequency, here the default (one per half-year and county)
SAMPLING = [
    ("security_service", ("company", "training"), "city_public_order", "city", "half", 1, 0.05),
    ("fire_safety", ("unit",), "fire_supervision", "city", "quarter", 1, 0.0),
    ("internet_cafe", ("cafe",), "network_security", "city", "month", 3, 0.05),
    ("special_trade", ("hotel",), "county_public_order", "county", "half", 1, 0.0),
    ("special_trade", ("seal_engraving",), "county_public_order", "county", "half", 1, 0.0),
    ("special_trade", ("pawn",), "county_public_order", "county", "half", 1, 0.0),
]


async def _run_the_plan(client: httpx.AsyncClient, period: str) -> list[dict[str, Any]]:
    generated = await client.post("/v1/plans:generate", json={"period": period}, headers=C)
    assert generated.status_code == 200, generated.text
    assert generated.json()["created"] == len(generated.json()["items"]) > 0
    body = {"period": period, "entropy_source": f"drand quicknet, first round of {period}"}
    committed = (await client.post("/v1/plan-items:commit", json=body, headers=C)).json()["results"]
    assert {r["status"] for r in committed} == {"committed"}, [r for r in committed if r["status"] != "committed"]
    draws = []
    for result in committed:
        executed = await client.post(
            f"/v1/draws/{result['draw_id']}/execute",
            json={"external_entropy": f"round of {result['draw_id']}"},
            headers=X,
        )
        assert executed.status_code == 200, executed.text
        record = (await client.get(f"/v1/draws/{result['draw_id']}/record")).json()
        assert verify_record(record) is None
        draws.append(executed.json())
    return draws


def _in(draw: dict[str, Any], window: Any) -> bool:
    return window.start <= date.fromisoformat(draw["due_date"]) <= window.end


def _bodies(level: str) -> list[str]:
    return [synthetic.CITY] if level == "city" else synthetic.COUNTIES


def _check_coverage(city: synthetic.City, draws: list[dict[str, Any]], period: str) -> None:
    for sector, subtype, grade, unit, level, window_kind, checks in COVERAGE:
        for window in periods_of(window_kind, parse(period)):
            for body in _bodies(level):
                mine = [d for d in draws if (d["checking_body"], d["jurisdiction"]) == (unit, body) and _in(d, window)]
                area = None if level == "city" else body
                for entity_id in city.of(sector, subtype, grade, area):
                    hits = [d for d in mine if entity_id in {s["entity_id"] for s in d["selections"]}]
                    assert len(hits) >= checks, (sector, subtype, grade, unit, body, window.code, entity_id)
                    assert any(d["check_type"] == "on_site" for d in hits)  # an online patrol replaces one at most


def _check_sampling(city: synthetic.City, draws: list[dict[str, Any]], period: str) -> None:
    for sector, subtypes, unit, level, window_kind, per_window, share in SAMPLING:
        for window in periods_of(window_kind, parse(period)):
            for body in _bodies(level):
                mine = [d for d in draws if d["checking_body"] == unit and d["jurisdiction"] == body]
                strata = {f"{sector}/{subtype}" for subtype in subtypes}
                mine = [d for d in mine if d["sector"] == sector and strata <= set(d["quotas"]) and _in(d, window)]
                assert len(mine) >= per_window, (sector, unit, body, window.code)
                for d in mine:
                    for subtype in subtypes:
                        size = len(city.of(sector, subtype, None, None if body == synthetic.CITY else body))
                        drawn = sum(1 for s in d["selections"] if s["stratum"] == f"{sector}/{subtype}")
                        assert drawn >= max(1, math.ceil(share * size)), (sector, subtype, window.code, drawn, size)


def _check_armed_escort(city: synthetic.City, draws: list[dict[str, Any]], period: str) -> None:
    """Higher frequency and ratio than security companies: every quarter, above 5 %."""
    escorts = len(city.of("security_service", "armed_escort"))
    for quarter in periods_of("quarter", parse(period)):
        mine = [d for d in draws if d["sector"] == "security_service" and _in(d, quarter)]
        drawn = [sum(1 for s in d["selections"] if s["stratum"] == "security_service/armed_escort") for d in mine]
        assert max(drawn, default=0) / escorts > 0.05, quarter.code


def _check_teams(city: synthetic.City, draws: list[dict[str, Any]]) -> None:
    officers = {i["id"]: i for i in city.inspectors}
    for d in draws:
        for s in d["selections"]:
            team = s["team"]
            assert len(team) == d["team_size"] == 2 and len(set(team)) == 2
            for member in team:
                officer = officers[member]
                assert s["entity_id"] not in officer.get("conflicts", []), (member, s["entity_id"])
                assert officer["unit"] == d["checking_body"]
                if d["sector"] not in ("fire_safety", "internet_cafe"):
                    assert officer["jurisdiction"] == d["jurisdiction"]


@pytest.mark.parametrize("period", ["2026-Q4", "2026"])
async def test_the_generated_plan_meets_every_rule(client_with, registry, period):
    city = await synthetic.loaded(registry)
    async with client_with(counties=synthetic.COUNTIES) as client:
        draws = await _run_the_plan(client, period)
        again = await client.post("/v1/plans:generate", json={"period": period}, headers=C)
    assert again.json()["created"] == 0 and len(again.json()["items"]) == len(draws)
    _check_coverage(city, draws, period)
    _check_sampling(city, draws, period)
    _check_armed_escort(city, draws, period)
    _check_teams(city, draws)
    cafes = [d for d in draws if d["sector"] == "internet_cafe"]
    assert len(cafes) == 3 * len(periods_of("month", parse(period)))
