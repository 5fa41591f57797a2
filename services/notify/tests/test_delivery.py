"""The delivery job against a real HTTP receiver on 127.0.0.1 that verifies every signature."""

import asyncio
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from notify import attempts, enqueue, service
from notify.attempts import Result
from notify.consumers import HANDLERS
from notify.db import messaging
from notify.delivery import UNFINISHED, claim_due, deliver_forever, delivery_deps
from notify.models import Delivery, Subscription
from shared.db import make_engine, make_sessionmaker
from shared.messaging import handle_once
from shared.migrations import upgrade

from .conftest import SERVICE_DIR
from .delivering import dead_letters, hooked, hooked_delivery, load, settled, until, workers
from .factories import inspection_completed
from .receiver import Reply

pytestmark = pytest.mark.integration


async def test_success_is_signed_and_carries_the_cloudevent(committed, box, settings, receiver):
    sub, [delivery_id] = await hooked_delivery(committed, box, receiver)
    async with workers(committed, settings):
        await until(settled(committed, delivery_id))
    delivery, log = await load(committed, delivery_id)
    [got] = receiver.received
    assert got.verified and got.webhook_id == delivery_id and got.user_agent == "ssj-notify/1.0"
    assert got.body == delivery.payload and got.body["specversion"] == "1.0"
    assert delivery.status == "delivered" and delivery.attempts == 1 and delivery.last_status == 200
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    assert [(a.attempt, a.status_code, a.error) for a in log] == [(1, 200, None)]
    assert await dead_letters(committed) == []


async def test_500_then_success_retries_with_the_same_webhook_id(committed, box, settings, receiver):
    _, [delivery_id] = await hooked_delivery(committed, box, receiver, Reply(500))
    async with workers(committed, settings):
        await until(settled(committed, delivery_id))
    delivery, log = await load(committed, delivery_id)
    assert [r.webhook_id for r in receiver.received] == [delivery_id, delivery_id]
    assert all(r.verified for r in receiver.received)
    assert delivery.status == "delivered" and delivery.attempts == 2
    assert [(a.attempt, a.status_code) for a in log] == [(1, 500), (2, 200)]


async def test_timeout_then_success(committed, box, settings, receiver):
    _, [delivery_id] = await hooked_delivery(committed, box, receiver, Reply(200, delay=1.5))
    async with workers(committed, settings):
        await until(settled(committed, delivery_id))
    delivery, log = await load(committed, delivery_id)
    assert delivery.status == "delivered" and delivery.attempts == 2
    assert log[0].status_code is None and log[0].error.startswith("timeout")
    assert 450 <= log[0].duration_ms < 1400
    assert log[1].status_code == 200


async def test_429_waits_for_retry_after(committed, box, settings, receiver):
    _, [delivery_id] = await hooked_delivery(committed, box, receiver, Reply(429, headers={"Retry-After": "1"}))
    async with workers(committed, settings):
        await until(settled(committed, delivery_id))
    first, second = receiver.received
    assert second.at - first.at >= 1.0  # the schedule alone would have retried after 0.1 s
    delivery, log = await load(committed, delivery_id)
    assert delivery.status == "delivered" and [a.status_code for a in log] == [429, 200]


async def test_410_disables_the_subscription_and_kills_the_delivery(committed, box, settings, receiver):
    sub, [delivery_id] = await hooked_delivery(committed, box, receiver, Reply(410))
    async with workers(committed, settings):
        await until(settled(committed, delivery_id))
        await asyncio.sleep(0.3)  # a retry would have come by now
    delivery, _ = await load(committed, delivery_id)
    async with committed() as s:
        stored = await s.get(Subscription, sub.id)
    assert len(receiver.received) == 1
    assert delivery.status == "dead" and delivery.attempts == 1 and delivery.last_status == 410
    assert not stored.enabled and "410" in stored.disabled_reason
    assert [d["last_status"] for d in await dead_letters(committed)] == [410]


async def test_exhausted_schedule_is_dead_lettered_once_and_manual_retry_starts_over(
    committed,
    box,
    settings,
    receiver,
):
    _, [delivery_id] = await hooked_delivery(committed, box, receiver, Reply(500), Reply(500), Reply(500))
    async with workers(committed, settings):
        await until(settled(committed, delivery_id))
        await asyncio.sleep(0.3)
    delivery, log = await load(committed, delivery_id)
    assert len(receiver.received) == 3 and delivery.status == "dead" and delivery.attempts == 3
    assert [a.status_code for a in log] == [500, 500, 500]
    assert await dead_letters(committed) == [
        {
            "delivery_id": delivery_id,
            "department": "market_regulation",
            "subscription_id": delivery.subscription_id,
            "event_id": delivery.event_id,
            "event_type": "ssj.inspection.completed",
            "rule_id": "R1",
            "rule_version": 1,
            "attempts": 3,
            "last_status": 500,
            "last_error": None,
            "_key": delivery_id,
        }
    ]

    receiver.scripts[receiver.received[0].endpoint] = [Reply(500), Reply(500)]
    async with committed() as s, s.begin():
        await enqueue.retry_delivery(s, delivery=await s.get(Delivery, delivery_id))
    async with workers(committed, settings):
        await until(settled(committed, delivery_id))
    delivery, log = await load(committed, delivery_id)
    assert delivery.status == "delivered" and delivery.attempts == 6
    assert [a.attempt for a in log] == [1, 2, 3, 4, 5, 6] and len(await dead_letters(committed)) == 1


async def test_paused_subscription_holds_its_deliveries_until_enabled(committed, box, settings, receiver):
    sub, [delivery_id] = await hooked_delivery(committed, box, receiver)
    async with committed() as s, s.begin():
        await service.set_enabled(s, subscription=await s.get(Subscription, sub.id), enabled=False, by="ops")
    async with workers(committed, settings):
        await asyncio.sleep(0.3)
        assert receiver.received == [] and (await load(committed, delivery_id))[0].status == "pending"
        async with committed() as s, s.begin():
            await service.set_enabled(s, subscription=await s.get(Subscription, sub.id), enabled=True, by="ops")
        await until(settled(committed, delivery_id))
    assert [r.webhook_id for r in receiver.received] == [delivery_id]


async def test_a_worker_keeps_its_concurrency_limit_and_slow_replies_overlap(committed, box, settings, receiver):
    settings = settings.model_copy(update={"delivery_concurrency": 3, "delivery_timeout_seconds": 2.0})
    sub, ids = await hooked_delivery(committed, box, receiver, *[Reply(delay=0.3)] * 9, events=9)
    started = time.monotonic()
    async with workers(committed, settings):
        await until(settled(committed, *ids))
    elapsed = time.monotonic() - started
    name = receiver.received[0].endpoint
    assert receiver.most_in_flight[name] == 3 and sorted(receiver.processed) == sorted(ids)
    assert elapsed >= 0.85  # three rounds of three at 0.3 s: never more than three at once


async def test_queued_deliveries_wake_the_job_without_waiting_for_the_poll(committed, box, settings, receiver):
    settings = settings.model_copy(update={"delivery_poll_seconds": 30.0})
    sub, name, _ = await hooked(committed, box, receiver)
    stop = asyncio.Event()
    async with delivery_deps(settings) as deps:
        job = asyncio.create_task(deliver_forever(committed, deps, settings, stop))
        await asyncio.sleep(0.2)  # the job has looked once, found nothing, and sleeps for 30 s
        event = inspection_completed("security_service")
        assert await handle_once(committed, messaging, "notify", HANDLERS, event, deps)
        started = time.monotonic()
        await until(lambda: _arrived(receiver, name), timeout=10)
        woke_after = time.monotonic() - started
        stop.set()
        await job
    assert woke_after < 5.0 and receiver.at(name)[0].body["id"] == event.id  # the poll would take 30 s


async def _arrived(receiver, name: str) -> bool:
    return bool(receiver.at(name))


async def test_embedded_sqlite_default_delivers_and_retries(box, settings, receiver, tmp_path):
    """`make run` uses SQLite: the same claim, lease and retry path must work there."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'notify.db'}"
    upgrade(SERVICE_DIR, url)
    engine = make_engine(url)
    try:
        local = make_sessionmaker(engine)
        _, [delivery_id] = await hooked_delivery(local, box, receiver, Reply(503))
        async with workers(local, settings.model_copy(update={"database_url": url})):
            await until(settled(local, delivery_id))
        delivery, log = await load(local, delivery_id)
    finally:
        await engine.dispose()
    assert delivery.status == "delivered" and [a.status_code for a in log] == [503, 200]
    assert [r.webhook_id for r in receiver.received] == [delivery_id, delivery_id]


async def _claim_all(committed, settings, box) -> list:
    async with delivery_deps(settings) as deps:
        return await claim_due(committed, settings, deps, 10)


async def test_a_result_that_comes_back_after_its_lease_only_logs(committed, box, settings, receiver):
    _, [delivery_id] = await hooked_delivery(committed, box, receiver)
    [first] = await _claim_all(committed, settings, box)
    async with committed() as s, s.begin():  # the lease runs out; another worker claims it again
        await s.execute(update(Delivery).where(Delivery.id == delivery_id).values(next_attempt_at=datetime.now(UTC)))
    [second] = await _claim_all(committed, settings, box)
    late = Result(datetime.now(UTC), 200, None, None, 12)
    await attempts.record(committed, [attempts.outcome(first, late, settings)])
    delivery, log = await load(committed, delivery_id)
    assert (first.attempt, second.attempt) == (1, 2) and first.delivery_id == second.delivery_id
    assert delivery.status == "pending" and delivery.attempts == 2 and delivery.last_status is None
    assert [(a.attempt, a.status_code, a.error) for a in log] == [(1, 200, None), (2, None, UNFINISHED)]


async def test_results_written_together_each_take_their_own_course(committed, box, settings, receiver):
    _, ids = await hooked_delivery(committed, box, receiver, events=3)
    claims = sorted(await _claim_all(committed, settings, box), key=lambda c: ids.index(c.delivery_id))
    now = datetime.now(UTC)
    results = [Result(now, 204, None, None, 5), Result(now, 503, None, None, 5), Result(now, 410, None, None, 5)]
    await attempts.record(committed, [attempts.outcome(c, r, settings) for c, r in zip(claims, results, strict=True)])
    states = [(d.status, d.last_status) for d in [(await load(committed, i))[0] for i in ids]]
    assert states == [("delivered", 204), ("pending", 503), ("dead", 410)]
    async with committed() as s:
        assert (await s.get(Subscription, (await load(committed, ids[0]))[0].subscription_id)).enabled is False
    assert [d["delivery_id"] for d in await dead_letters(committed)] == [ids[2]]
