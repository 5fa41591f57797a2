"""Every fake source system synced end to end on PostgreSQL: paging, 429/5xx, malformed rows,
closures (vanished -> deactivated with a tombstone), changes, risk signals, no-op re-syncs."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from registry.db import messaging
from registry.events import ENTITY_DEACTIVATED, ENTITY_UPSERTED
from registry.fakes import FaultPlan, explosives
from registry.models import EntityVersion, Inspector, RiskSignal
from registry.scheduler import tick
from shared.testing import outbox_events

from .conftest import SOURCES
from .factories import PREFIX, Fakes, R, W, all_pages, day, entity_id, expected_ids, expected_signals, is_valid, sync

pytestmark = pytest.mark.integration


def busy() -> FaultPlan:
    """A provincial system under load: 429 with Retry-After: 3, and 5xx now and then."""
    return FaultPlan(script=[429, 503], rate_limit_every=3, error_every=5, retry_after=3)


async def _active_ids(client, source: str) -> set[str]:  # type: ignore[no-untyped-def]
    items = await all_pages(client, "/v1/entities", {"source": source, "active": "true", "limit": 7})
    return {item["id"] for item in items}


async def _outbox(sessionmaker, event_type: str) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    async with sessionmaker() as s:
        return [e.data for e in await outbox_events(s, messaging) if e.type == event_type]


@pytest.mark.parametrize("source", SOURCES)
async def test_every_source_syncs_end_to_end(source, client, sessionmaker, settings):
    fakes = Fakes()
    fakes.add(source, plan=busy())
    population = fakes.population(source)
    staff = fakes.apps[source].state.inspectors.visible() if source == "fire" else []

    run = await sync(client, sessionmaker, settings, fakes, source)
    valid, invalid = expected_ids(source, population)
    assert run["status"] == "succeeded", run["error"]
    assert run["counts"] == {
        "inserted": len(valid) + len(staff),
        "updated": 0,
        "unchanged": 0,
        "deactivated": 0,
        "rejected": len(invalid),
    }
    assert await _active_ids(client, source) == valid
    assert invalid and {e["source_ref"] for e in run["errors"]} >= {i.removeprefix(PREFIX[source]) for i in invalid}
    assert all(e["field"] and e["reason"] and e["row"] for e in run["errors"])
    # The busy system was waited out: Retry-After honoured, 5xx retried with backoff.
    statuses = {status for _, status in fakes.apps[source].state.fake.answered}
    assert {429, 200} <= statuses and statuses & {500, 502, 503}
    assert 3.0 in fakes.sleeps and 0.5 in fakes.sleeps

    # Risk signals, with the dates the source gave.
    carrying = [m for m in population.visible() if expected_signals(source, population.current(m))]
    member = next(m for m in carrying if is_valid(source, population, m))
    detail = (await client.get(f"/v1/entities/{entity_id(source, population, member)}", headers=R)).json()
    got = {(s["kind"], s["occurred_date"].replace("-", "")) for s in detail["risk_signals"]}
    assert got == expected_signals(source, population.current(member))
    assert all(s["origin"] == f"source:{source}" for s in detail["risk_signals"])


def _staff_versions(fakes: Fakes, source: str) -> dict[str, int]:
    if source != "fire":
        return {}
    library = fakes.apps["fire"].state.inspectors
    library.day = fakes.population("fire").day
    return {f"FI-JC{m.serial:05d}": library.version(m) for m in library.visible()}


def _versions(fakes: Fakes, source: str) -> dict[str, int]:
    """Valid records the source lists today, by our id, with their source version."""
    population = fakes.population(source)
    listed = {
        entity_id(source, population, m): population.version(m)
        for m in population.visible()
        if is_valid(source, population, m)
    }
    return listed | _staff_versions(fakes, source)


@pytest.mark.parametrize("source", SOURCES)
async def test_closures_changes_and_openings_after_a_week(source, client, sessionmaker, settings):
    fakes = Fakes()
    fakes.add(source, plan=FaultPlan(rate_limit_every=5, retry_after=1))
    population = fakes.population(source)
    await sync(client, sessionmaker, settings, fakes, source)
    before = _versions(fakes, source)

    population.advance(8)
    run = await sync(client, sessionmaker, settings, fakes, source)
    after = _versions(fakes, source)
    listed_ids = {entity_id(source, population, m) for m in population.visible()} | set(_staff_versions(fakes, source))
    vanished = set(before) - listed_ids
    assert run["status"] == "succeeded", run["error"]
    assert vanished and set(after) - set(before), "a week should close some units and open others"
    assert run["counts"] == {
        "inserted": len(set(after) - set(before)),
        "updated": sum(1 for i in set(before) & set(after) if before[i] != after[i]),
        "unchanged": sum(1 for i in set(before) & set(after) if before[i] == after[i]),
        "deactivated": len(vanished),
        "rejected": len(expected_ids(source, population)[1]),
    }
    assert await _active_ids(client, source) == {i for i in after if not i.startswith("FI-")}

    # Vanished: kept, inactive, closed today, a 'deactivated' version and a tombstone event.
    today = datetime.now(UTC).astimezone().date()
    tombstones = {e["id"] for e in await _outbox(sessionmaker, ENTITY_DEACTIVATED)}
    gone_entities = {i for i in vanished if not i.startswith("FI-")}
    assert tombstones == gone_entities
    for gone in gone_entities:
        entity = (await client.get(f"/v1/entities/{gone}", headers=R)).json()
        assert entity["active"] is False and entity["closed_date"] is not None
        assert abs((day(entity["closed_date"].replace("-", "")) - today).days) <= 1
        history = (await client.get(f"/v1/entities/{gone}/history", headers=R)).json()["items"]
        assert [v["change"] for v in history][-1] == "deactivated" and history[-1]["active"] is False

    # The same listing again changes nothing and announces nothing.
    events_before = len(await _outbox(sessionmaker, ENTITY_UPSERTED))
    again = await sync(client, sessionmaker, settings, fakes, source)
    assert again["counts"]["inserted"] == again["counts"]["updated"] == again["counts"]["deactivated"] == 0
    assert again["counts"]["unchanged"] == len(after)
    assert len(await _outbox(sessionmaker, ENTITY_UPSERTED)) == events_before


async def test_a_source_that_stays_down_fails_the_run_with_the_reason(client, sessionmaker, settings):
    fakes = Fakes()
    fakes.add("hotel", plan=FaultPlan(script=[503] * 6))
    run = await sync(client, sessionmaker, settings, fakes, "hotel")
    assert run["status"] == "failed" and "gave up after 6 attempts: 503" in run["error"]
    assert fakes.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]
    # A failed run does not block the next one.
    again = await sync(client, sessionmaker, settings, fakes, "hotel")
    assert again["status"] == "succeeded"


async def test_an_error_envelope_is_a_failed_run_not_an_empty_listing(client, sessionmaker, settings):
    fakes = Fakes()
    fakes.add("hotel")
    settings.sources["hotel"].page_size = 500  # the provincial system refuses pages above 200
    run = await sync(client, sessionmaker, settings, fakes, "hotel")
    assert run["status"] == "failed" and "1001" in run["error"]
    assert run["counts"]["inserted"] == 0


async def test_incremental_sync_of_a_since_source_reads_only_what_changed(client, sessionmaker, settings):
    fakes = Fakes()
    fakes.add("explosives")
    population = fakes.population("explosives")
    first = await sync(client, sessionmaker, settings, fakes, "explosives")
    assert first["watermark"] and first["records_seen"] == len(population.visible())

    population.advance(8)
    later = await sync(client, sessionmaker, settings, fakes, "explosives", mode="incremental")
    since = tuple(first["watermark"].split("|"))
    rows = [explosives.render(population, m) for m in population.visible()]
    touched = [r for r in rows if (r["BGSJ"], r["DWBH"]) > since]
    assert later["status"] == "succeeded" and later["since"] == first["watermark"]
    assert later["records_seen"] == len(touched) and 0 < len(touched) < len(rows)
    assert later["counts"]["deactivated"] == 0  # only a full listing can tell what vanished
    full = await sync(client, sessionmaker, settings, fakes, "explosives")
    assert full["counts"]["deactivated"] > 0 and full["counts"]["inserted"] == 0


async def test_two_syncs_of_one_source_never_run_at_once(client, sessionmaker, settings):
    first = await client.post("/v1/sources/netcafe/sync", json={"mode": "full"}, headers=W)
    second = await client.post("/v1/sources/netcafe/sync", json={"mode": "incremental"}, headers=W)
    assert first.status_code == 202
    assert second.status_code == 409 and second.headers["content-type"] == "application/problem+json"
    assert first.json()["id"] in second.json()["detail"] and second.json()["field"] == "source"
    other = await client.post("/v1/sources/hotel/sync", json={}, headers=W)
    assert other.status_code == 202  # another source is independent
    sources = {s["name"]: s for s in (await client.get("/v1/sources", headers=R)).json()["items"]}
    assert sources["netcafe"]["active_run"] == first.json()["id"] and sources["fire"]["active_run"] is None
    assert sources["fire"]["encoding"] == "CSV in GBK" and sources["explosives"]["incremental"] is True


async def test_sync_requests_are_checked(client, settings):
    r = await client.post("/v1/sources/casino/sync", json={}, headers=W)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = await client.post("/v1/sources/hotel/sync", json={"mode": "sometimes"}, headers=W)
    assert r.status_code == 422 and r.json()["field"] == "mode"
    r = await client.post("/v1/sources/hotel/sync", json={}, headers=R)
    assert r.status_code == 403
    assert (await client.get("/v1/sync-runs/run-nope", headers=R)).status_code == 404


async def test_an_unconfigured_source_cannot_be_synced(sessionmaker, settings):
    from registry.main import create_app
    from shared.testing import app_client

    bare = settings.model_copy(update={"sources": {}})
    async with app_client(create_app(bare), sessionmaker) as client:
        r = await client.post("/v1/sources/hotel/sync", json={}, headers=W)
    assert r.status_code == 409 and r.json()["type"] == "urn:ssj:problem:source-not-configured"


async def test_a_listing_missing_most_units_deactivates_nothing(client, sessionmaker, settings):
    fakes = Fakes()
    fakes.add("security", size=40)
    await sync(client, sessionmaker, settings, fakes, "security")
    fakes.add("security", size=3)  # the system now serves a truncated export
    run = await sync(client, sessionmaker, settings, fakes, "security")
    assert run["status"] == "failed" and "refusing to deactivate" in run["error"]
    assert len(await _active_ids(client, "security")) > 30


async def test_the_fire_inspector_library_syncs_with_qualifications_and_recusals(client, sessionmaker, settings):
    fakes = Fakes()
    fakes.add("fire")
    await sync(client, sessionmaker, settings, fakes, "fire")
    staff = await all_pages(client, "/v1/inspectors", {"unit": "fire_supervision"})
    library = fakes.apps["fire"].state.inspectors
    assert len(staff) == len(library.visible())
    recused = [i for i in staff if i["conflicts"]]
    assert recused and all(c.startswith("FIRE-XF") for i in recused for c in i["conflicts"])
    assert all(i["conflict_details"][0]["reason"] for i in recused)
    assert all(i["qualifications"][0]["kind"] == "fire_inspection" for i in staff)
    async with sessionmaker() as s:
        stored = select(func.count()).select_from(Inspector).where(Inspector.source == "fire")
        assert await s.scalar(stored) == len(staff)


async def test_the_abnormal_list_ends_when_the_source_delists_a_cafe(client, sessionmaker, settings):
    fakes = Fakes()
    fakes.add("netcafe", size=60)
    population = fakes.population("netcafe")
    await sync(client, sessionmaker, settings, fakes, "netcafe")
    delisted = [
        m
        for m in population.visible()
        if is_valid("netcafe", population, m)
        and population.current(m)["abnormal"] == "1"
        and any(c.get("abnormal") == "0" for c in m.changes.values())
    ]
    assert delisted, "the fake should delist some cafés within a week"
    population.advance(8)
    await sync(client, sessionmaker, settings, fakes, "netcafe")
    async with sessionmaker() as s:
        for m in delisted:
            ident = entity_id("netcafe", population, m)
            query = select(RiskSignal).where(RiskSignal.entity_id == ident, RiskSignal.kind == "abnormal_list")
            signal = await s.scalar(query)
            assert signal is not None and signal.ended_date is not None
    listed = await all_pages(client, "/v1/entities", {"sector": "internet_cafe", "risk": "abnormal_list"})
    assert not {entity_id("netcafe", population, m) for m in delisted} & {i["id"] for i in listed}


async def test_a_scheduled_sync_runs_when_due(client, sessionmaker, settings):
    fakes = Fakes()
    fakes.add("market")
    settings.sources["market"].full_every_hours = 24
    done = await tick(sessionmaker, fakes.clients, settings, owner="w")
    assert [status for _, status in done] == ["succeeded"]
    assert await tick(sessionmaker, fakes.clients, settings, owner="w") == []  # not due again yet
    runs = (await client.get("/v1/sync-runs", params={"source": "market"}, headers=R)).json()["items"]
    assert [(r["trigger"], r["mode"], r["status"]) for r in runs] == [("schedule", "full", "succeeded")]
    async with sessionmaker() as s:
        versions = await s.scalar(select(func.count()).select_from(EntityVersion))
    assert versions == runs[0]["counts"]["inserted"]
