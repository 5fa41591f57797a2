from datetime import date

import httpx
import pytest
from sqlalchemy import func, select, update

from draw import commit, frozen, service
from draw.algorithm import Candidate, Inspector
from draw.clients import RegistryClient
from draw.db import messaging
from draw.exceptions import NoInspectorLeft
from draw.models import Draw, DrawPool, DrawSelection
from draw.schemas import DrawCreate
from shared.problems import ProblemError
from shared.testing import auth

from .conftest import DRAW_SERVICE
from .factories import entity, inspector, load, plan, stored_draw

pytestmark = pytest.mark.integration


@pytest.fixture
async def registry_client(registry_app):  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(registry_app[0])
    async with httpx.AsyncClient(
        transport=transport, base_url="http://registry", headers=auth(DRAW_SERVICE[0])
    ) as http:
        yield RegistryClient(http)


async def _counts(sessionmaker, draw_id: str) -> tuple[str, int, int]:
    async with sessionmaker() as s:
        status = (await s.get(Draw, draw_id)).status
        selections = await s.scalar(
            select(func.count()).select_from(DrawSelection).where(DrawSelection.draw_id == draw_id)
        )
        events = await s.scalar(select(func.count()).select_from(messaging.outbox))
    return status, selections, events


async def test_no_eligible_inspector_fails_the_execution_and_the_draw_stays_committed(sessionmaker, signer):
    pool = [Candidate("E1", "entertainment/A"), Candidate("E2", "entertainment/A")]
    inspectors = [Inspector("I1", ("E1",)), Inspector("I2", ("E1",)), Inspector("I3", ())]
    async with sessionmaker() as s, s.begin():
        draw = await stored_draw(s, pool, inspectors, {"entertainment/A": 2}, 2)
    with pytest.raises(NoInspectorLeft) as failure:
        async with sessionmaker() as s, s.begin():
            await service.execute_draw(s, draw_id=draw.id, external_entropy="x", caller="op", signer=signer)
    assert failure.value.status == 422 and "no eligible inspector for E1" in failure.value.detail
    assert await _counts(sessionmaker, draw.id) == ("committed", 0, 0)


async def test_an_altered_frozen_pool_is_caught_before_it_is_drawn_or_published(sessionmaker, signer):
    async with sessionmaker() as s, s.begin():
        draw = await stored_draw(s, [Candidate("E1", "s"), Candidate("E2", "s")], [Inspector("I1")], {"s": 1}, 1)
        altered = frozen.encode_pool("E1\ts\t1\nE2\ts\t1000\n")
        await s.execute(update(DrawPool).where(DrawPool.draw_id == draw.id).values(pool_text=altered))
    calls = (
        lambda s: service.execute_draw(s, draw_id=draw.id, external_entropy="", caller="op", signer=signer),
        lambda s: service.public_record(s, draw),
    )
    for call in calls:
        with pytest.raises(ProblemError) as failure:
            async with sessionmaker() as s, s.begin():
                await call(s)
        assert failure.value.status == 500 and failure.value.slug == "commitment-mismatch"
    assert await _counts(sessionmaker, draw.id) == ("committed", 0, 0)


async def test_qualification_is_judged_on_the_day_of_the_freeze(sessionmaker, registry, registry_client, signer):
    await load(registry, [entity()], [inspector(qualification_expires_date="2026-12-31"), inspector()])
    body = DrawCreate.model_validate(plan(team_size=1, quota={"all": True}))
    async with sessionmaker() as s, s.begin():
        on_the_day = await commit.commit_draw(
            s, body=body, registry=registry_client, caller="planner", signer=signer, today=date(2026, 12, 31)
        )
        day_after = await commit.commit_draw(
            s, body=body, registry=registry_client, caller="planner", signer=signer, today=date(2027, 1, 1)
        )
    assert (on_the_day.inspector_count, day_after.inspector_count) == (2, 1)
    assert on_the_day.committed_by == "planner" and on_the_day.server_secret != day_after.server_secret


async def test_the_pool_is_frozen_at_commit(sessionmaker, registry, registry_client, signer):
    venue = entity(name="旧名称")
    await load(registry, [venue], [inspector(), inspector()])
    body = DrawCreate.model_validate(plan(quota={"all": True}))
    async with sessionmaker() as s, s.begin():
        draw = await commit.commit_draw(s, body=body, registry=registry_client, caller="planner", signer=signer)
    await load(registry, [venue | {"name": "新名称", "grade": "C"}, entity()])
    async with sessionmaker() as s, s.begin():
        _, selections = await service.execute_draw(s, draw_id=draw.id, external_entropy="e", caller="op", signer=signer)
        record = await service.public_record(s, draw)
    assert [sel.entity_id for sel in selections] == [venue["id"]] and selections[0].stratum == "entertainment/A"
    assert record["pool"] == [{"entity_id": venue["id"], "stratum": "entertainment/A", "weight": 1}]
    async with sessionmaker() as s:
        (data,) = (
            await s.execute(select(messaging.outbox.c.data).where(messaging.outbox.c.type == "ssj.draw.executed"))
        ).one()
    assert "旧名称" in data and "新名称" not in data
