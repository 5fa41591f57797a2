import gc
import json
import uuid

import pytest
from sqlalchemy import func, select, text

from registry import bulk
from registry.db import messaging
from registry.models import Entity
from shared.testing import auth, outbox_events

from .conftest import READER, WRITER
from .factories import entity, inspector

pytestmark = pytest.mark.integration
W, R = auth(WRITER[0]), auth(READER[0])


async def test_batch_upsert_counts_and_versions(client, sessionmaker):
    first = [entity(), entity(sector="internet_cafe", subtype="cafe", grade=None, flags={"abnormal_list": True})]
    r = await client.post("/v1/entities:batch", json={"entities": first}, headers=W)
    assert r.json() == {"inserted": 2, "updated": 0, "unchanged": 0}
    changed = [first[0] | {"name": "新名字"}, first[1]]
    r = await client.post("/v1/entities:batch", json={"entities": changed}, headers=W)
    assert r.json() == {"inserted": 0, "updated": 1, "unchanged": 1}
    r = await client.get(f"/v1/entities/{first[0]['id']}", headers=R)
    assert r.json()["version"] == 2 and r.json()["name"] == "新名字"
    async with sessionmaker() as s:
        assert len(await outbox_events(s, messaging)) == 3
    assert gc.isenabled()  # batches pause the cyclic collector (dependencies.py) only while they run


async def test_bulk_event_ids_are_unique_uuids(client, sessionmaker):
    """The bulk path numbers a batch's event ids (registry.events.version_events): still UUIDs,
    never two alike."""
    for _ in range(3):
        r = await client.post("/v1/entities:batch", json={"entities": [entity() for _ in range(40)]}, headers=W)
        assert r.json()["inserted"] == 40
    async with sessionmaker() as s:
        ids = [e.id for e in await outbox_events(s, messaging)]
    assert len(ids) == len(set(ids)) == 120
    assert all(str(uuid.UUID(i)) == i and uuid.UUID(i).version == 4 for i in ids)
    assert len({i[:28] for i in ids}) == 3  # one random stem per batch


async def test_a_large_write_is_queued_in_rows_of_at_most_versions_per_row(client, sessionmaker, monkeypatch):
    """An outbox row names at most VERSIONS_PER_ROW versions (bulk.py), so one relay pass never
    holds a whole 50,000-row import; together the rows still stand for every version, in order."""
    monkeypatch.setattr(bulk, "VERSIONS_PER_ROW", 5)
    monkeypatch.setattr(bulk, "UPSERT", text(bulk._statement()))
    rows = [entity() for _ in range(12)]
    assert (await client.post("/v1/entities:batch", json={"entities": rows}, headers=W)).json()["inserted"] == 12
    async with sessionmaker() as s:
        spans = [json.loads(d) for d in (await s.scalars(select(messaging.outbox.c.data))).all()]
        events = await outbox_events(s, messaging)
    assert [span["last_seq"] - span["first_seq"] + 1 for span in spans] == [5, 5, 2]
    assert [e.subject for e in events] == [r["id"] for r in rows]
    assert len({e.id for e in events}) == 12


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"credit_code": "91210400MA0ABCDE10"}, "entities[0].credit_code"),
        ({"division_code": "110101"}, "entities[0].division_code"),
        ({"sector": "casino"}, "entities[0].sector"),
        ({"grade": None}, "entities[0].grade"),
        ({"subtype": "hotel"}, "entities[0].subtype"),
        ({"flags": {"key_unit": True}}, "entities[0].flags.key_unit"),
        ({"id": "bad id"}, "entities[0].id"),
    ],
)
async def test_bad_entity_names_the_field_and_changes_nothing(client, sessionmaker, override, field):
    r = await client.post("/v1/entities:batch", json={"entities": [entity(**override)]}, headers=W)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == field
    async with sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Entity)) == 0
    assert gc.isenabled()  # a refused batch ends its collector pause too


async def test_duplicate_ids_in_one_batch_are_refused(client):
    e = entity()
    r = await client.post("/v1/entities:batch", json={"entities": [e, e]}, headers=W)
    assert r.status_code == 422 and r.json()["field"] == "entities[1].id"


async def test_batch_size_limit(client):
    r = await client.post("/v1/entities:batch", json={"entities": [entity() for _ in range(51)]}, headers=W)
    assert r.status_code == 422 and r.json()["field"] == "entities"


async def test_cursor_paging_walks_every_entity_once(client):
    rows = [entity(sector="blasting", subtype="commercial", grade=None) for _ in range(7)]
    await client.post("/v1/entities:batch", json={"entities": rows}, headers=W)
    seen, cursor = [], None
    while True:
        params = {"sector": "blasting", "limit": 3} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/entities", params=params, headers=R)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(r["id"] for r in rows)


async def test_garbage_cursor_is_a_clear_error(client):
    r = await client.get("/v1/entities", params={"cursor": "%%%"}, headers=R)
    assert r.status_code == 422 and r.json()["field"] == "cursor"


async def test_scopes(client):
    assert (await client.get("/v1/entities")).status_code == 401
    assert (await client.get("/v1/entities", headers=auth("nope"))).status_code == 401
    r = await client.post("/v1/entities:batch", json={"entities": [entity()]}, headers=R)
    assert r.status_code == 403 and r.json()["type"] == "urn:ssj:problem:forbidden"


async def test_inspectors_upsert_and_filter(client):
    rows = [inspector(conflicts=["ENT-9", "ENT-1", "ENT-9"]), inspector(unit="police_station")]
    r = await client.post("/v1/inspectors:batch", json={"inspectors": rows}, headers=W)
    assert r.json()["inserted"] == 2
    page = (await client.get("/v1/inspectors", params={"unit": "county_public_order"}, headers=R)).json()
    assert [i["id"] for i in page["items"]] == [rows[0]["id"]]
    assert page["items"][0]["conflicts"] == ["ENT-1", "ENT-9"]


async def test_catalog_is_public_and_fire_extras_follow_flags(client):
    catalog = (await client.get("/v1/catalog")).json()
    assert {s["code"] for s in catalog["sectors"]} >= {"entertainment", "fire_safety", "internet_cafe"}
    plain = (await client.get("/v1/catalog/fire_safety/checklist")).json()["items"]
    both = (
        await client.get("/v1/catalog/fire_safety/checklist", params={"key_unit": True, "crowded_place": True})
    ).json()["items"]
    assert len(plain) == 10 and len(both) == 10 + 1 + 4 + 1


async def test_catalog_is_versioned_data(client):
    catalog = (await client.get("/v1/catalog")).json()
    assert catalog["version"] == "2015-fushun-v1" and catalog["current"] is True
    assert catalog["versions"] == ["2015-fushun-v1"] and "实施细则" in catalog["basis"]
    fire = next(s for s in catalog["sectors"] if s["code"] == "fire_safety")
    assert fire["flags"]["key_unit"] == {"name_zh": "消防安全重点单位", "required": True}
    assert set(fire["flag_items"]) == {"crowded_place", "key_unit", "key_unit+crowded_place"}
    same = (await client.get("/v1/catalog", params={"version": "2015-fushun-v1"})).json()
    assert same == catalog
    r = await client.get("/v1/catalog", params={"version": "1999-v0"})
    assert r.status_code == 422 and r.json()["field"] == "version"
    r = await client.get("/v1/catalog/blasting/checklist", params={"version": "1999-v0"})
    assert r.status_code == 422 and r.json()["field"] == "version"


async def test_a_batch_that_is_not_json_is_a_clear_error(client, sessionmaker):
    r = await client.post(
        "/v1/entities:batch", content=b'{"entities": [', headers=W | {"Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["field"] == "body" and "not valid JSON" in r.json()["detail"]
    r = await client.post("/v1/entities:batch", json={"entities": []}, headers=W)
    assert r.status_code == 422 and r.json()["field"] == "entities"
    bad_id = entity(legal_rep_id_number="110105194912310021")
    r = await client.post("/v1/entities:batch", json={"entities": [bad_id]}, headers=W)
    assert r.status_code == 422 and r.json()["field"] == "entities[0].legal_rep_id_number"
    async with sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Entity)) == 0


async def test_the_docs_show_the_bodies_the_routes_read_themselves(client):
    spec = (await client.get("/openapi.json")).json()
    assert {"EntityBatch", "EntityIn"} <= set(spec["components"]["schemas"])
    batch = spec["paths"]["/v1/entities:batch"]["post"]["requestBody"]["content"]["application/json"]
    assert batch["schema"] == {"$ref": "#/components/schemas/EntityBatch"}
    assert set(spec["paths"]["/v1/entities:import"]["post"]["requestBody"]["content"]) == {
        "text/csv",
        "application/json",
    }


@pytest.mark.parametrize("body", [b"[null, null]", b"null", b'"entities"', b"{}", b'{"entities": [null]}'])
async def test_a_batch_of_the_wrong_shape_is_a_422_not_a_crash(client, body):
    r = await client.post("/v1/entities:batch", content=body, headers=W | {"Content-Type": "application/json"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] in ("body", "entities", "entities[0]")
