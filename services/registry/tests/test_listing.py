"""GET /v1/entities for the draw: filters, cursor paging and a snapshot that holds still."""

from datetime import UTC, date, datetime

import pytest

from registry import risk
from registry.risk import Signal

from .factories import R, W, all_pages, entity

pytestmark = pytest.mark.integration


async def _load(client, rows):  # type: ignore[no-untyped-def]
    r = await client.post("/v1/entities:batch", json={"entities": rows}, headers=W)
    assert r.status_code == 200, r.text
    return r.json()


async def _ids(client, **params):  # type: ignore[no-untyped-def]
    return [item["id"] for item in await all_pages(client, "/v1/entities", params)]


async def test_every_page_of_a_listing_is_read_at_one_snapshot(client):
    rows = [entity(id=f"SNAP-{i}", grade="ABC"[i % 3]) for i in range(6)]
    await _load(client, rows)
    first = (await client.get("/v1/entities", params={"limit": 2}, headers=R)).json()
    at = first["snapshot"]

    # While the draw pages: one venue renamed, one closed, one opened.
    await _load(client, [rows[4] | {"name": "改名以后"}, rows[5] | {"active": False}, entity(id="SNAP-9")])
    seen = list(first["items"])
    cursor = first["next_cursor"]
    while cursor:
        page = (await client.get("/v1/entities", params={"limit": 2, "cursor": cursor}, headers=R)).json()
        assert page["snapshot"] == at
        seen += page["items"]
        cursor = page["next_cursor"]
    assert [i["id"] for i in seen] == [f"SNAP-{i}" for i in range(6)]
    assert seen[4]["name"] == rows[4]["name"] and seen[5]["active"] is True

    # The same snapshot later still reads the same pool; without it, today's registry.
    again = await all_pages(client, "/v1/entities", {"snapshot": at, "active": "true"})
    assert [(i["id"], i["name"], i["version"]) for i in again] == [(i["id"], i["name"], i["version"]) for i in seen]
    now = await all_pages(client, "/v1/entities", {"active": "true"})
    assert {i["id"] for i in now} == {f"SNAP-{i}" for i in (0, 1, 2, 3, 4, 9)}
    assert next(i for i in now if i["id"] == "SNAP-4")["name"] == "改名以后"
    head = (await client.get("/v1/snapshot", headers=R)).json()["snapshot"]
    assert head > at == seen[0]["seq"] + 5


async def test_filters_the_draw_needs(client, sessionmaker):
    await _load(
        client,
        [
            entity(id="F-A1", grade="A", division_code="210411", flags={"lodging": True}),
            entity(id="F-B1", grade="B", established_date="2025-03-01"),
            entity(id="F-C1", grade="C", closed_date="2024-06-01", active=False, established_date="2019-01-01"),
            entity(
                id="F-F1",
                sector="fire_safety",
                subtype="unit",
                grade=None,
                flags={"key_unit": True, "crowded_place": True},
            ),
            entity(id="F-F2", sector="fire_safety", subtype="unit", grade=None, flags={"key_unit": True}),
            entity(id="F-H1", sector="special_trade", subtype="hotel", grade=None, flags={"lodging": True}),
            entity(id="F-P1", sector="special_trade", subtype="pawn", grade=None),
        ],
    )
    assert await _ids(client, sector="entertainment", grade="A") == ["F-A1"]
    assert await _ids(client, subtype="pawn") == ["F-P1"]
    assert await _ids(client, division="210411") == ["F-A1"]
    assert await _ids(client, sector="fire_safety", flag=["key_unit", "crowded_place"]) == ["F-F1"]
    assert await _ids(client, flag="lodging") == ["F-A1", "F-H1"]
    assert await _ids(client, sector="entertainment", active_on="2023-01-01") == ["F-A1", "F-C1"]
    assert await _ids(client, sector="entertainment", active_on="2026-01-01") == ["F-A1", "F-B1"]
    assert await _ids(client, sector="entertainment", active="false") == ["F-C1"]

    async with sessionmaker() as s, s.begin():
        now = datetime.now(UTC)
        await risk.record(s, "inspection", [("F-F1", Signal("complaint", date(2026, 1, 10), "c1"))], now=now)
        await risk.record(s, "inspection", [("F-F2", Signal("fire", date(2025, 5, 1), "f1"))], now=now)
    assert await _ids(client, risk="complaint", risk_as_of="2026-06-01") == ["F-F1"]
    assert await _ids(client, risk="complaint", risk_as_of="2027-02-01") == []  # older than 12 months
    assert await _ids(client, risk=["complaint", "fire"], risk_as_of="2026-06-01") == ["F-F1", "F-F2"]
    assert await _ids(client, risk="complaint", risk_as_of="2025-12-31") == []  # not yet filed
    page = (
        await client.get("/v1/entities", params={"sector": "fire_safety", "risk_as_of": "2026-06-01"}, headers=R)
    ).json()
    assert page["items"][0]["risk"] == {"complaint": {"count": 1, "last_date": "2026-01-10"}}
    assert page["items"][1]["risk"] == {"fire": {"count": 1, "last_date": "2025-05-01"}}


async def test_history_keeps_every_version(client):
    venue = entity(id="HIS-1")
    await _load(client, [venue])
    await _load(client, [venue | {"grade": "C"}])
    await _load(client, [venue | {"grade": "C", "active": False, "closed_date": "2026-11-01"}])
    history = (await client.get("/v1/entities/HIS-1/history", headers=R)).json()["items"]
    assert [(v["version"], v["change"], v["grade"], v["active"]) for v in history] == [
        (1, "created", "A", True),
        (2, "updated", "C", True),
        (3, "updated", "C", False),
    ]
    assert history[0]["superseded_seq"] == history[1]["seq"] and history[2]["superseded_seq"] is None
    assert history[0]["source"] == "api"
    assert (await client.get("/v1/entities/NOPE/history", headers=R)).status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"snapshot": 10**9}, "snapshot"),
        ({"snapshot": -1}, "snapshot"),
        ({"flag": "vip"}, "flag"),
        ({"division": "110101"}, "division"),
        ({"risk": "gossip"}, "risk[0]"),
        ({"active_on": "yesterday"}, "active_on"),
        ({"cursor": "eyJhZnRlciI6IkEifQ"}, "cursor"),
    ],
)
async def test_bad_listing_parameters_name_the_parameter(client, params, field):
    r = await client.get("/v1/entities", params=params, headers=R)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == field


async def test_a_cursor_belongs_to_its_snapshot(client):
    await _load(client, [entity(id=f"CUR-{i}") for i in range(3)])
    page = (await client.get("/v1/entities", params={"limit": 1}, headers=R)).json()
    r = await client.get(
        "/v1/entities", params={"cursor": page["next_cursor"], "snapshot": page["snapshot"] - 1}, headers=R
    )
    assert r.status_code == 422 and r.json()["field"] == "snapshot"


async def test_an_entity_shows_its_risk_signals_and_masks_the_id_number(client, sessionmaker):
    await _load(client, [entity(id="RISKY", legal_rep_name="王五", legal_rep_id_number="210402198001010033")])
    async with sessionmaker() as s, s.begin():
        today = datetime.now(UTC)
        signals = [("RISKY", Signal("penalty", today.date(), "p1", {"sanction": "penalty_fine"}))]
        await risk.record(s, "inspection", signals, now=today)
    detail = (await client.get("/v1/entities/RISKY", headers=R)).json()
    assert detail["legal_rep_id_masked"] == "210402***********3" and "legal_rep_id_number" not in detail
    assert detail["risk"]["penalty"]["count"] == 1
    assert [(s["kind"], s["origin"], s["detail"]) for s in detail["risk_signals"]] == [
        ("penalty", "inspection", {"sanction": "penalty_fine"})
    ]


async def test_the_bulk_export_is_the_listing_as_copy_text_at_one_snapshot(client, sessionmaker):
    await _load(
        client,
        [
            entity(id="X-1", name="甲\t乙\\丙", flags={"lodging": True}),
            entity(id="X-2", sector="blasting", subtype="commercial", grade=None),
            entity(id="X-3", active=False),
        ],
    )
    async with sessionmaker() as s, s.begin():
        await risk.record(s, "inspection", [("X-1", Signal("fire", date(2026, 1, 5), "f"))], now=datetime.now(UTC))
    r = await client.get("/v1/entities:export", params={"active": "true", "risk_as_of": "2026-06-01"}, headers=R)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/tab-separated-values")
    header, *lines = r.text.rstrip("\n").split("\n")
    assert header.split("\t") == [
        *("id", "sector", "subtype", "name", "credit_code", "division_code", "grade", "flags", "active"),
        *("version", "seq", "risk"),
    ]
    first, second = (line.split("\t") for line in lines)
    assert first[:4] == ["X-1", "entertainment", "venue", "甲\\t乙\\\\丙"]
    assert (first[7], first[8], first[9]) == ('{"lodging":true}', "t", "1")
    assert first[11] == '{"fire":{"count":1,"last_date":"2026-01-05"}}'
    assert (second[0], second[6], second[11]) == ("X-2", "\\N", "{}")
    at = int(r.headers["x-snapshot"])
    await _load(client, [entity(id="X-4")])
    again = await client.get("/v1/entities:export", params={"active": "true", "snapshot": at}, headers=R)
    assert [line.split("\t")[0] for line in again.text.splitlines()[1:]] == ["X-1", "X-2"]
    assert (await client.get("/v1/entities:export")).status_code == 401


async def test_the_bulk_export_refuses_an_unknown_flag_before_it_starts_streaming(client):
    r = await client.get("/v1/entities:export", params={"flag": "AAA"}, headers=R)
    assert r.status_code == 422 and r.json()["field"] == "flag"
