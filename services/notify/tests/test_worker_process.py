"""Real `python -m notify.worker` processes: one SIGKILLed while the receiver holds its requests
open loses nothing, and two at once never send one delivery twice."""

import socket
from pathlib import Path

import pytest
from sqlalchemy import select

from notify import service
from notify.config import Settings
from notify.delivery import UNFINISHED
from notify.models import Delivery, DeliveryAttempt, Subscription
from notify.routing import COMPLETED
from shared.embedded_bus import EmbeddedProducer
from shared.events import encode

from .delivering import hooked, hooked_delivery, settled, until, worker_processes
from .factories import inspection_completed
from .receiver import Reply

pytestmark = pytest.mark.integration


@pytest.fixture
def process_settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(
        update={
            "embedded_bus_path": str(tmp_path / "bus.sqlite"),
            "delivery_timeout_seconds": 2.0,
            "delivery_lease_margin_seconds": 0.5,
            "delivery_poll_seconds": 0.05,
        }
    )


async def publish(settings: Settings, count: int) -> list[str]:
    """Inspection results on the event log, as the inspection service's relay puts them there."""
    events = [inspection_completed("entertainment") for _ in range(count)]
    producer = EmbeddedProducer(settings.embedded_bus_path)
    await producer.start()
    await producer.send_all([encode(e, settings.topic(COMPLETED), e.data["inspection_id"]) for e in events])
    await producer.stop()
    return [e.id for e in events]


async def attempt_logs(committed, ids: list[str]) -> dict[str, list[DeliveryAttempt]]:
    async with committed() as s:
        rows = await s.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(ids)))
        logs: dict[str, list[DeliveryAttempt]] = {i: [] for i in ids}
        for row in sorted(rows, key=lambda a: a.attempt):
            logs[row.delivery_id].append(row)
    return logs


async def test_worker_killed_mid_delivery_loses_nothing_and_the_receiver_dedupes(
    committed, box, process_settings, receiver, tmp_path
):
    sub, name, _ = await hooked(committed, box, receiver, *[Reply(200, delay=10)] * 3)
    await publish(process_settings, 3)
    with worker_processes(process_settings, tmp_path, 1) as [first]:
        await first.running()
        await until(lambda: _count(receiver, name, 3), timeout=20)  # all three held open by the receiver
        first.kill()
    async with committed() as s:
        ids = list(await s.scalars(select(Delivery.id).where(Delivery.subscription_id == sub.id)))
        statuses = set(await s.scalars(select(Delivery.status).where(Delivery.id.in_(ids))))
    assert len(ids) == 3 and statuses == {"pending"}

    with worker_processes(process_settings, tmp_path, 1) as [second]:
        await second.running()
        await until(settled(committed, *ids), timeout=20)

    arrived = [g.webhook_id for g in receiver.at(name)]
    assert sorted(arrived) == sorted(ids * 2) and all(g.verified for g in receiver.at(name))
    assert set(receiver.processed) == set(ids) and receiver.duplicates == 3
    host = socket.gethostname()
    for delivery_id, log in (await attempt_logs(committed, ids)).items():
        assert [(a.attempt, a.status_code, a.error) for a in log] == [(1, None, UNFINISHED), (2, 200, None)], (
            delivery_id
        )
        assert [a.worker for a in log] == [f"{host}:{first.proc.pid}", f"{host}:{second.proc.pid}"]
    async with committed() as s:
        done = list(await s.scalars(select(Delivery).where(Delivery.id.in_(ids))))
    assert {(d.status, d.attempts) for d in done} == {("delivered", 2)}


async def _count(receiver, name: str, n: int) -> bool:
    return len(receiver.at(name)) >= n


async def test_two_worker_processes_never_send_one_delivery_twice(committed, box, process_settings, receiver, tmp_path):
    settings = process_settings.model_copy(update={"delivery_concurrency": 4, "delivery_batch": 4})
    sub, ids = await hooked_delivery(committed, box, receiver, *[Reply(delay=0.1)] * 60, events=60)
    await _set_enabled(committed, sub.id, False)  # held back until both workers are up
    with worker_processes(settings, tmp_path, 2) as processes:
        for process in processes:
            await process.running()
        await _set_enabled(committed, sub.id, True)
        await until(settled(committed, *ids), timeout=30)
    assert sorted(g.webhook_id for g in receiver.received) == sorted(ids)  # every delivery exactly once
    assert all(g.verified for g in receiver.received)
    logs = await attempt_logs(committed, ids)
    assert all([(a.attempt, a.status_code) for a in log] == [(1, 200)] for log in logs.values())
    workers = {log[0].worker for log in logs.values()}
    assert workers == {f"{socket.gethostname()}:{p.proc.pid}" for p in processes}  # both really worked


async def _set_enabled(committed, subscription_id: str, enabled: bool) -> None:
    async with committed() as s, s.begin():
        subscription = await s.get(Subscription, subscription_id)
        await service.set_enabled(s, subscription=subscription, enabled=enabled, by="test")
