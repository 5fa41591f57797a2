"""Appeals end to end on PostgreSQL + Kafka: inspection events go through real Kafka (a unique
topic prefix) into the disclosure worker's shared consume loop; officers approve and decide
through the API; the worker's sequencer numbers the releases and its relay announces them on
Kafka, where a reader finds every release with its kind and the release it refers to."""

import asyncio
import json
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from disclosure.config import Settings
from disclosure.main import create_app
from disclosure.worker import SPEC
from shared.bus import KafkaProducer
from shared.events import Event, encode
from shared.testing import KAFKA_BOOTSTRAP, app_client, auth, migrated_database
from shared.worker import run_worker

from .conftest import OFFICER, SERVICE_DIR, TEAM_MEMBER
from .factories import blacklisted_event, completed_event, entity, sanctioned_event

pytestmark = pytest.mark.integration
OF, TM = auth(OFFICER[0]), auth(TEAM_MEMBER[0])
CONSUMED = ["ssj.inspection.completed", "ssj.inspection.sanctioned", "ssj.inspection.blacklisted"]


async def eventually(probe, what: str, timeout: float = 60):  # type: ignore[no-untyped-def]
    for _ in range(int(timeout / 0.1)):
        value = await probe()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def send(settings: Settings, events: list[Event]) -> None:
    producer = KafkaProducer(settings, [settings.topic(t) for t in CONSUMED])
    await producer.start()
    try:
        await producer.send_all([encode(e, settings.topic(e.type), e.data["inspection_id"]) for e in events])
    finally:
        await producer.stop()


async def published_events(settings: Settings, count: int) -> list[dict]:
    consumer = AIOKafkaConsumer(
        settings.topic("ssj.disclosure.result.published"),
        bootstrap_servers=KAFKA_BOOTSTRAP,
        group_id=f"reader-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    seen: list[dict] = []
    try:
        for _ in range(100):
            batches = await consumer.getmany(timeout_ms=500)
            seen += [json.loads(r.value) for records in batches.values() for r in records]
            if len(seen) >= count:
                break
    finally:
        await consumer.stop()
    return seen


@pytest.fixture
async def kafka_settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=await migrated_database(SERVICE_DIR, "disclosure_kafka"),
        bus="kafka",
        kafka_bootstrap=KAFKA_BOOTSTRAP,
        kafka_partitions=2,
        topic_prefix=f"d{uuid.uuid4().hex[:8]}.",
        callers=[OFFICER[1], TEAM_MEMBER[1]],
        log_json=False,
        relay_interval_seconds=0.05,
        sequencer_interval_seconds=0.05,
        export_dir=tmp_path / "exports",
    )


async def test_appeal_paths_end_to_end_through_kafka(kafka_settings: Settings):
    settings = kafka_settings
    cafe = completed_event(
        entity=entity("internet_cafe"),
        findings=[{"item_code": "internet_cafe.real_name", "result": "non_compliant", "note": "冒用身份证登记"}],
        outcome={"type": "blacklisted", "rectification_deadline": None, "note": ""},
    )
    venue = completed_event(
        findings=[{"item_code": "entertainment.filing", "result": "non_compliant", "note": "未备案"}],
        outcome={"type": "rectification_ordered", "rectification_deadline": "2026-12-31", "note": ""},
    )
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, SPEC, stop))
    try:
        await send(settings, [cafe, venue, sanctioned_event(cafe), blacklisted_event(cafe), cafe, venue])
        async with app_client(create_app(settings)) as client:

            async def pending() -> list[dict]:
                items = (await client.get("/v1/results", params={"status": "pending"}, headers=OF)).json()["items"]
                return items if len(items) == 2 else []

            results = {r["inspection_id"]: r["id"] for r in await eventually(pending, "two pending results")}
            cafe_id, venue_id = results[cafe.data["inspection_id"]], results[venue.data["inspection_id"]]
            codes = {}
            for rid in (cafe_id, venue_id):
                assert (await client.post(f"/v1/results/{rid}/approve", json={}, headers=TM)).status_code == 403
                approved = await client.post(f"/v1/results/{rid}/approve", json={}, headers=OF)
                codes[rid] = approved.json()["appeal_code"]
            appeal = {}
            for rid, statement in ((cafe_id, "我店已整改，不应列入黑名单"), (venue_id, "开业时已备案，附备案回执")):
                filed = await client.post(
                    f"/public/v1/results/{rid}/appeals", json={"appeal_code": codes[rid], "statement": statement}
                )
                assert filed.status_code == 201, filed.text
                appeal[rid] = filed.json()["appeal_id"]
            dismissed = {"decision": "dismissed", "reason": "证据确凿"}
            upheld = {
                "decision": "upheld",
                "reason": "申诉成立：开业时已备案",
                "correction": {
                    "findings": [{"item_code": "entertainment.filing", "result": "compliant"}],
                    "outcome": {"type": "no_issues"},
                },
            }
            assert (
                await client.post(f"/v1/appeals/{appeal[cafe_id]}/decide", json=dismissed, headers=TM)
            ).status_code == 403
            assert (
                await client.post(f"/v1/appeals/{appeal[cafe_id]}/decide", json=dismissed, headers=OF)
            ).status_code == 200
            assert (
                await client.post(f"/v1/appeals/{appeal[venue_id]}/decide", json=upheld, headers=OF)
            ).status_code == 200

            async def feed() -> list[dict]:
                items = (await client.get("/public/v1/feed")).json()["items"]
                return items if len(items) == 4 else []

            items = await eventually(feed, "four releases in the feed")
            assert sorted((i["result_id"], i["release"], i["kind"]) for i in items) == sorted(
                [
                    (cafe_id, 1, "original"),
                    (cafe_id, 2, "statement"),
                    (venue_id, 1, "original"),
                    (venue_id, 2, "correction"),
                ]
            )
            cafe_view = (await client.get(f"/public/v1/results/{cafe_id}")).json()
            assert cafe_view["current"]["statements"][0]["statement"] == "我店已整改，不应列入黑名单"
            assert [p["sanction"] for p in cafe_view["current"]["penalties"]] == ["penalty_fine"]
            assert cafe_view["credit"][0]["persons"] == [{"name": "张*", "role": "网吧业主"}]
            venue_view = (await client.get(f"/public/v1/results/{venue_id}")).json()
            assert venue_view["current"]["outcome"] == "no_issues" and venue_view["current"]["refers_to"] == 1
            listing = (await client.get("/public/v1/blacklist")).json()["items"]
            assert [b["entity"]["name"] for b in listing] == [cafe.data["entity"]["name"]]
        announced = await published_events(settings, 4)
    finally:
        stop.set()
        await asyncio.wait_for(worker, 30)
    assert sorted((e["result_id"], e["release"], e["kind"], e["refers_to"]) for e in announced) == sorted(
        [
            (cafe_id, 1, "original", None),
            (cafe_id, 2, "statement", 1),
            (venue_id, 1, "original", None),
            (venue_id, 2, "correction", 1),
        ]
    )
    assert sorted(e["feed_position"] for e in announced) == [1, 2, 3, 4]
