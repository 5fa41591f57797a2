"""The feed under concurrency, on real PostgreSQL with real commits (no rolled-back fixture):
a reader following `next` must see every published item exactly once and in order."""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from disclosure import sequencer
from disclosure.config import Settings
from disclosure.db import messaging
from disclosure.main import create_app
from disclosure.models import FeedEntry, Release, Result
from shared.db import make_engine, make_sessionmaker
from shared.paging import encode_cursor
from shared.testing import app_client, auth, migrated_database

from .conftest import APPROVER, SERVICE_DIR
from .factories import completed_event, deliver

pytestmark = pytest.mark.integration
A = auth(APPROVER[0])
FEED = "/public/v1/feed"


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[tuple[Settings, async_sessionmaker[AsyncSession]]]:
    url = await migrated_database(SERVICE_DIR, "disclosure_feed")
    settings = Settings(
        database_url=url,
        embedded_bus_path=str(tmp_path / "bus.sqlite"),
        callers=[APPROVER[1]],
        log_json=False,
        sequencer_interval_seconds=0.01,
    )
    engine = make_engine(url)
    yield settings, make_sessionmaker(engine)
    await engine.dispose()


async def pending_results(maker: async_sessionmaker[AsyncSession], count: int) -> list[str]:
    for _ in range(count):
        await deliver(maker, completed_event())
    async with maker() as s:
        return list((await s.scalars(select(Result.id).order_by(Result.received_at))).all())


async def follow(client, expected: int, limit: int) -> list[tuple[int, str]]:
    """A reader polling the feed: follows `next` forever, waiting briefly on an empty page."""
    seen: list[tuple[int, str]] = []
    url = f"{FEED}?limit={limit}"
    while len(seen) < expected:
        page = (await client.get(url)).json()
        seen += [(item["position"], item["result_id"]) for item in page["items"]]
        url = page["next"]
        if not page["items"]:
            await asyncio.sleep(0.002)
    return seen


async def test_five_approvers_a_sequencer_and_a_reader(live):
    settings, maker = live
    ids = await pending_results(maker, 50)
    stop = asyncio.Event()
    job = asyncio.create_task(sequencer.sequencer_job(maker, None, settings, stop))
    async with app_client(create_app(settings)) as client:
        reader = asyncio.create_task(follow(client, 50, limit=4))

        async def approver(share: list[str]) -> None:
            for rid in share:
                r = await client.post(f"/v1/results/{rid}/approve", json={}, headers=A)
                assert r.status_code == 200, r.text

        await asyncio.gather(*(approver(ids[i::5]) for i in range(5)))
        seen = await asyncio.wait_for(reader, 30)
    stop.set()
    await job
    assert [position for position, _ in seen] == list(range(1, 51))
    assert sorted(rid for _, rid in seen) == sorted(ids)
    async with maker() as s:
        events = [json.loads(row.data) for row in (await s.execute(select(messaging.outbox))).all()]
    assert sorted((e["feed_position"], e["result_id"]) for e in events) == seen


async def test_concurrent_sequencers_never_hand_out_a_position_twice(live):
    settings, maker = live
    ids = await pending_results(maker, 30)
    quiet = settings.model_copy(update={"feed_sequence_on_approve": False})
    async with app_client(create_app(quiet)) as client:
        for rid in ids:
            assert (await client.post(f"/v1/results/{rid}/approve", headers=A)).status_code == 200
    done = await asyncio.gather(*(sequencer.sequence(maker, batch_size=4) for _ in range(6)))
    assert sum(done) == 30
    async with maker() as s:
        rows = (await s.execute(select(FeedEntry.id, FeedEntry.position).order_by(FeedEntry.id))).all()
    assert [position for _, position in rows] == list(range(1, 31))  # dense, and in id order


async def _when_published(client, rid: str) -> None:
    for _ in range(3000):
        if (await client.get(f"/v1/results/{rid}", headers=A)).json()["status"] == "published":
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"{rid} was never published")


async def test_corrections_and_withdrawals_by_concurrent_writers_reach_the_reader_exactly_once(live):
    """Approvers, correctors and withdrawers write at once; the reader, following `next` from the
    start, sees every release (first, correction, withdrawal) exactly once, in feed order."""
    settings, maker = live
    ids = await pending_results(maker, 30)
    corrected, withdrawn, both = ids[:8], ids[8:14], ids[14:17]
    expected = 30 + len(corrected) + len(withdrawn) + 2 * len(both)
    stop = asyncio.Event()
    job = asyncio.create_task(sequencer.sequencer_job(maker, None, settings, stop))
    async with app_client(create_app(settings)) as client:
        reader = asyncio.create_task(follow(client, expected, limit=4))

        async def approver(share: list[str]) -> None:
            for rid in share:
                assert (await client.post(f"/v1/results/{rid}/approve", json={}, headers=A)).status_code == 200

        async def corrector(share: list[str], then_withdraw: bool = False) -> None:
            for rid in share:
                await _when_published(client, rid)
                body = {"reason": "更正", "outcome": {"type": "no_issues"}}
                assert (await client.post(f"/v1/results/{rid}/corrections", json=body, headers=A)).status_code == 201
                if then_withdraw:
                    r = await client.post(f"/v1/results/{rid}/withdraw", json={"reason": "撤回"}, headers=A)
                    assert r.status_code == 201, r.text

        async def withdrawer(share: list[str]) -> None:
            for rid in share:
                await _when_published(client, rid)
                r = await client.post(f"/v1/results/{rid}/withdraw", json={"reason": "撤回"}, headers=A)
                assert r.status_code == 201, r.text

        writers = [approver(ids[i::4]) for i in range(4)]
        writers += [corrector(corrected[::2]), corrector(corrected[1::2]), corrector(both, then_withdraw=True)]
        writers += [withdrawer(withdrawn[::2]), withdrawer(withdrawn[1::2])]
        await asyncio.gather(*writers)
        seen = await asyncio.wait_for(reader, 30)
        extra = (await client.get(FEED, params={"cursor": _cursor_after(expected)})).json()["items"]
    stop.set()
    await job
    assert extra == []  # nothing beyond what the reader counted
    assert [position for position, _ in seen] == list(range(1, expected + 1))
    async with maker() as s:
        rows = (await s.execute(select(FeedEntry.result_id, Release.number, Release.kind).join(Release))).all()
    assert len(rows) == expected and {r.kind for r in rows} == {"original", "correction", "withdrawal"}
    async with app_client(create_app(settings)) as client:
        final = [i for page in await _pages(client, expected) for i in page]
    assert sorted((i["result_id"], i["release"]) for i in final) == sorted((r.result_id, r.number) for r in rows)
    by_result: dict[str, list[int]] = {}
    for item in final:
        by_result.setdefault(item["result_id"], []).append(item["release"])
    assert all(numbers == sorted(numbers) for numbers in by_result.values())
    assert {i["result_id"] for i in final if i["withdrawn"]} == set(withdrawn) | set(both)


def _cursor_after(position: int) -> str:
    return encode_cursor({"after": position})


async def _pages(client, expected: int) -> list[list[dict]]:
    pages, url, count = [], f"{FEED}?limit=7", 0
    while count < expected:
        page = (await client.get(url)).json()
        pages.append(page["items"])
        count += len(page["items"])
        url = page["next"]
    return pages
