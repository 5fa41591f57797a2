"""The delivery worker against a real HTTP receiver on 127.0.0.1 that verifies every signature."""

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest
from sqlalchemy import select

from notify import service
from notify.consumers import HANDLERS
from notify.db import messaging
from notify.delivery import DeliveryDeps, deliver_forever, delivery_deps
from notify.models import Delivery, DeliveryAttempt, Subscription
from notify.secretbox import SecretBox
from shared.db import make_engine, make_sessionmaker
from shared.messaging import handle_once
from shared.migrations import upgrade

from .conftest import SERVICE_DIR
from .factories import inspection_completed, subscription
from .receiver import Reply

pytestmark = pytest.mark.integration


@asynccontextmanager
async def workers(committed, settings, *agents: str) -> AsyncIterator[None]:
    """Delivery jobs running in the background: one built by delivery_deps, or one per user agent."""
    stop = asyncio.Event()
    async with AsyncExitStack() as stack:
        if agents:
            box = SecretBox(settings.secret_key)
            clients = [await stack.enter_async_context(httpx.AsyncClient(headers={"user-agent": a})) for a in agents]
            all_deps = [DeliveryDeps(client, box) for client in clients]
        else:
            all_deps = [await stack.enter_async_context(delivery_deps(settings))]
        tasks = [asyncio.create_task(deliver_forever(committed, deps, settings, stop)) for deps in all_deps]
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks)


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def load(committed, delivery_id: str) -> tuple[Delivery, list[DeliveryAttempt]]:
    async with committed() as s:
        delivery = await s.get(Delivery, delivery_id)
        log = await service.attempt_log(s, delivery=delivery)
        return delivery, log


def settled(committed, delivery_id: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await load(committed, delivery_id))[0].status != "pending"

    return check


async def hooked_delivery(committed, box, receiver, *replies: Reply, events: int = 1) -> tuple[Subscription, list[str]]:
    """A market-regulation subscription on a fresh receiver endpoint, and the deliveries of `events` results."""
    name = uuid.uuid4().hex[:8]
    sub, secret = await subscription(
        committed, box, department="market_regulation", url=receiver.endpoint(name, *replies)
    )
    receiver.secrets[name] = secret
    for _ in range(events):
        await handle_once(committed, messaging, "notify", HANDLERS, inspection_completed("entertainment"), None)
    async with committed() as s:
        ids = list(await s.scalars(select(Delivery.id).where(Delivery.subscription_id == sub.id)))
    assert len(ids) == events
    return sub, ids


async def dead_letters(committed) -> list[dict]:
    async with committed() as s:
        rows = (await s.execute(select(messaging.outbox))).all()
    assert {r.type for r in rows} <= {"ssj.notify.delivery.dead_lettered"}
    return [json.loads(r.data) | {"_key": r.key} for r in rows]


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
            "event_id": delivery.event_id,
            "attempts": 3,
            "last_status": 500,
            "_key": delivery_id,
        }
    ]

    receiver.scripts[receiver.received[0].endpoint] = [Reply(500), Reply(500)]
    async with committed() as s, s.begin():
        await service.retry_delivery(s, delivery=await s.get(Delivery, delivery_id))
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


async def test_two_workers_never_send_one_delivery_twice(committed, box, settings, receiver):
    settings = settings.model_copy(update={"delivery_batch": 4})
    _, ids = await hooked_delivery(committed, box, receiver, *[Reply(delay=0.05)] * 60, events=30)

    async def all_delivered() -> bool:
        async with committed() as s:
            statuses = list(await s.scalars(select(Delivery.status).where(Delivery.id.in_(ids))))
        return statuses == ["delivered"] * len(ids)

    async with workers(committed, settings, "worker-a", "worker-b"):
        await until(all_delivered, timeout=15)
    sent = [r.webhook_id for r in receiver.received]
    assert sorted(sent) == sorted(ids)  # every delivery exactly once
    assert all(r.verified for r in receiver.received)
    assert {r.user_agent for r in receiver.received} == {"worker-a", "worker-b"}  # both really worked
    async with committed() as s:
        assert set(await s.scalars(select(Delivery.attempts).where(Delivery.id.in_(ids)))) == {1}


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
