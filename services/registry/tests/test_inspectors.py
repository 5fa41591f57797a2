"""The inspector directory: units, jurisdiction, qualifications with expiry, status, recusals,
all versioned and readable at a snapshot."""

import pytest

from .factories import R, W, all_pages, inspector

pytestmark = pytest.mark.integration


async def _load(client, rows):  # type: ignore[no-untyped-def]
    r = await client.post("/v1/inspectors:batch", json={"inspectors": rows}, headers=W)
    assert r.status_code == 200, r.text
    return r.json()


async def _eligible(client, day: str, **params):  # type: ignore[no-untyped-def]
    return [i["id"] for i in await all_pages(client, "/v1/inspectors", {"eligible_on": day} | params)]


async def test_an_expired_qualification_makes_the_inspector_ineligible_from_the_next_day(client):
    await _load(
        client,
        [
            inspector(id="Q-1", qualifications=[{"kind": "law_enforcement", "expires_date": "2026-12-31"}]),
            inspector(
                id="Q-2",
                qualifications=[
                    {"kind": "law_enforcement", "number": "LN-2", "expires_date": "2028-06-30"},
                    {"kind": "fire_inspection", "expires_date": "2027-03-31"},
                ],
            ),
            inspector(id="Q-3", active=False),
            inspector(id="Q-4"),
        ],
    )
    assert await _eligible(client, "2026-12-31") == ["Q-1", "Q-2", "Q-4"]
    assert await _eligible(client, "2027-01-01") == ["Q-2", "Q-4"]
    assert await _eligible(client, "2027-04-01") == ["Q-4"]  # the earliest qualification decides
    q2 = (await client.get("/v1/inspectors/Q-2", headers=R)).json()
    assert q2["qualification_expires_date"] == "2027-03-31"
    assert [q["kind"] for q in q2["qualifications"]] == ["fire_inspection", "law_enforcement"]


async def test_declared_conflicts_are_kept_with_their_reasons(client):
    declared = [
        {"entity_id": "ENT-9", "reason": "配偶任法定代表人", "declared_date": "2026-03-01"},
        {"entity_id": "ENT-2", "reason": "曾在该单位任职"},
    ]
    await _load(client, [inspector(id="C-1", conflicts=["ENT-5", "ENT-2"], conflict_details=declared)])
    found = (await client.get("/v1/inspectors/C-1", headers=R)).json()
    assert found["conflicts"] == ["ENT-2", "ENT-5", "ENT-9"]
    assert [d["entity_id"] for d in found["conflict_details"]] == ["ENT-2", "ENT-9"]
    assert found["conflict_details"][1]["declared_date"] == "2026-03-01"


async def test_every_change_is_a_version_and_the_old_state_stays_readable(client):
    officer = inspector(id="V-1", unit="police_station", jurisdiction="210403")
    await _load(client, [officer])
    before = (await client.get("/v1/inspectors", params={"unit": "police_station"}, headers=R)).json()
    moved = officer | {"unit": "county_public_order", "unit_name": "东洲分局治安大队"}
    assert (await _load(client, [moved]))["updated"] == 1
    assert (await _load(client, [moved]))["unchanged"] == 1
    history = (await client.get("/v1/inspectors/V-1/history", headers=R)).json()["items"]
    assert [(v["version"], v["unit"], v["change"]) for v in history] == [
        (1, "police_station", "created"),
        (2, "county_public_order", "updated"),
    ]
    then = (await client.get("/v1/inspectors", params={"snapshot": before["snapshot"]}, headers=R)).json()
    assert [(i["id"], i["unit"]) for i in then["items"]] == [("V-1", "police_station")]
    now = (await client.get("/v1/inspectors", params={"jurisdiction": "210403"}, headers=R)).json()
    assert now["items"][0]["unit_name"] == "东洲分局治安大队" and now["items"][0]["version"] == 2


async def test_bad_inspectors_name_the_field(client):
    r = await client.post(
        "/v1/inspectors:batch",
        json={"inspectors": [inspector(qualifications=[{"kind": "law_enforcement", "expires_date": "soon"}])]},
        headers=W,
    )
    assert r.status_code == 422 and r.json()["field"] == "inspectors[0].qualifications[0].expires_date"
    r = await client.post("/v1/inspectors:batch", json={"inspectors": [inspector(jurisdiction="110101")]}, headers=W)
    assert r.status_code == 422 and r.json()["field"] == "inspectors[0].jurisdiction"
    assert (await client.get("/v1/inspectors/NOPE", headers=R)).status_code == 404
    assert (await client.get("/v1/inspectors/NOPE/history", headers=R)).status_code == 404
