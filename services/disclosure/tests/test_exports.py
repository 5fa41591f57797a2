"""The daily JSON Lines export: written by the worker's job once a local day has ended (a
controllable clock), served as files, with later withdrawals shown as tombstones."""

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from disclosure import exports, sequencer
from disclosure.models import FeedEntry
from shared.testing import auth

from .conftest import OFFICER, READER
from .factories import completed_event, deliver

pytestmark = pytest.mark.integration
OF, R = auth(OFFICER[0]), auth(READER[0])


async def published(client, sessionmaker, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        event = completed_event()
        await deliver(sessionmaker, event)
        page = (await client.get("/v1/results", params={"status": "pending", "limit": 500}, headers=R)).json()
        rid = next(r["id"] for r in page["items"] if r["inspection_id"] == event.data["inspection_id"])
        assert (await client.post(f"/v1/results/{rid}/approve", json={}, headers=OF)).status_code == 200
        ids.append(rid)
    await sequencer.sequence(sessionmaker)
    return ids


async def place(sessionmaker, position: int, at: datetime) -> None:
    async with sessionmaker() as s, s.begin():
        await s.execute(update(FeedEntry).where(FeedEntry.position == position).values(positioned_at=at))


async def test_each_local_day_is_written_once_after_it_ends_and_served(client, settings, sessionmaker):
    ids = await published(client, sessionmaker, 3)
    await place(sessionmaker, 1, datetime(2026, 11, 20, 15, 59, 59, tzinfo=UTC))  # 23:59:59 on 20 Nov in Fushun
    await place(sessionmaker, 2, datetime(2026, 11, 20, 16, 0, 0, tzinfo=UTC))  # 00:00 on 21 Nov
    await place(sessionmaker, 3, datetime(2026, 11, 21, 2, 0, 0, tzinfo=UTC))
    folder = settings.export_dir
    written = await exports.write_due(sessionmaker, folder, now=datetime(2026, 11, 21, 12, 0, tzinfo=UTC))
    assert written == [date(2026, 11, 20)]
    assert (await client.get("/public/v1/exports/2026-11-21.jsonl")).status_code == 404  # the day is not over
    written = await exports.write_due(sessionmaker, folder, now=datetime(2026, 11, 21, 16, 0, 1, tzinfo=UTC))
    assert written == [date(2026, 11, 21)]
    assert await exports.write_due(sessionmaker, folder, now=datetime(2026, 11, 23, 1, tzinfo=UTC)) == [
        date(2026, 11, 22)
    ]
    first = await client.get("/public/v1/exports/2026-11-20.jsonl")
    assert first.status_code == 200 and first.headers["content-type"].startswith("application/jsonl")
    assert [json.loads(line)["result_id"] for line in first.text.splitlines()] == [ids[0]]
    second = await client.get("/public/v1/exports/2026-11-21.jsonl")
    lines = [json.loads(line) for line in second.text.splitlines()]
    assert [(item["position"], item["result_id"]) for item in lines] == [(2, ids[1]), (3, ids[2])]
    assert lines[0]["entity"]["credit_code"].startswith("91210400MA") and "team" not in second.text
    assert (await client.get("/public/v1/exports/2026-11-22.jsonl")).text == ""
    tag = second.headers["etag"]
    assert (await client.get("/public/v1/exports/2026-11-21.jsonl", headers={"If-None-Match": tag})).status_code == 304
    assert (folder / "2026-11-21.jsonl").exists() and not list(folder.glob("*.tmp"))


async def test_a_later_withdrawal_shows_as_a_tombstone_in_the_served_export(client, settings, sessionmaker):
    ids = await published(client, sessionmaker, 2)
    await place(sessionmaker, 1, datetime(2026, 11, 20, 2, tzinfo=UTC))
    await place(sessionmaker, 2, datetime(2026, 11, 20, 3, tzinfo=UTC))
    await exports.write_due(sessionmaker, settings.export_dir, now=datetime(2026, 11, 21, 2, tzinfo=UTC))
    before = await client.get("/public/v1/exports/2026-11-20.jsonl")
    assert (
        await client.post(f"/v1/results/{ids[0]}/withdraw", json={"reason": "误发布"}, headers=OF)
    ).status_code == 201
    after = await client.get("/public/v1/exports/2026-11-20.jsonl", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    tomb, kept = [json.loads(line) for line in after.text.splitlines()]
    assert tomb["result_id"] == ids[0] and tomb["withdrawn"] is True and tomb["entity"] is None
    assert kept["result_id"] == ids[1] and kept["withdrawn"] is False and kept["entity"] is not None


@pytest.mark.parametrize("day", ["2026-13-01", "yesterday", "2026-11-20x"])
async def test_a_bad_date_names_the_field(client, day):
    r = await client.get(f"/public/v1/exports/{day}.jsonl")
    assert r.status_code == 422 and r.json()["field"] == "date"


async def test_nothing_to_export_before_the_feed_has_an_item(settings, sessionmaker):
    assert await exports.write_due(sessionmaker, settings.export_dir, now=datetime(2026, 12, 1, tzinfo=UTC)) == []
