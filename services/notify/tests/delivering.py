"""Running delivery jobs in tests (in-process, or as real `python -m notify.worker` processes) and
waiting for what they do."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from sqlalchemy import select

from notify.config import Settings
from notify.consumers import HANDLERS
from notify.db import messaging
from notify.delivery import deliver_forever, delivery_deps
from notify.models import Delivery, DeliveryAttempt, Subscription
from notify.secretbox import SecretBox
from notify.service import attempt_log
from shared.events import Event
from shared.messaging import handle_once

from .factories import inspection_completed, subscription
from .receiver import Receiver, Reply


@asynccontextmanager
async def workers(committed, settings: Settings, count: int = 1) -> AsyncIterator[None]:
    """Delivery jobs running in the background of this process, as the worker runs them."""
    stop = asyncio.Event()
    async with delivery_deps(settings) as deps:
        tasks = [asyncio.create_task(deliver_forever(committed, deps, settings, stop)) for _ in range(count)]
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
        log = await attempt_log(s, delivery=delivery)
        return delivery, log


def settled(committed, *delivery_ids: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        async with committed() as s:
            statuses = list(await s.scalars(select(Delivery.status).where(Delivery.id.in_(delivery_ids))))
        return len(statuses) == len(delivery_ids) and "pending" not in statuses

    return check


async def consume(committed, event: Event) -> None:
    assert await handle_once(committed, messaging, "notify", HANDLERS, event, None)


async def hooked(
    committed, box: SecretBox, receiver: Receiver, *replies: Reply, department: str = "market_regulation"
) -> tuple[Subscription, str, str]:
    """A subscription on a fresh receiver endpoint that holds its secret: (subscription, endpoint, secret)."""
    name = uuid.uuid4().hex[:8]
    sub, secret = await subscription(committed, box, department=department, url=receiver.endpoint(name, *replies))
    receiver.secrets[name] = secret
    return sub, name, secret


async def hooked_delivery(
    committed, box: SecretBox, receiver: Receiver, *replies: Reply, events: int = 1
) -> tuple[Subscription, list[str]]:
    """A market-regulation subscription on a fresh receiver endpoint, and the deliveries of `events` results."""
    sub, _, _ = await hooked(committed, box, receiver, *replies)
    for _ in range(events):
        await consume(committed, inspection_completed("entertainment"))
    async with committed() as s:
        ids = list(await s.scalars(select(Delivery.id).where(Delivery.subscription_id == sub.id)))
    assert len(ids) == events
    return sub, ids


async def dead_letters(committed) -> list[dict]:
    async with committed() as s:
        rows = (await s.execute(select(messaging.outbox))).all()
    assert {r.type for r in rows} <= {"ssj.notify.delivery.dead_lettered"}
    return [json.loads(r.data) | {"_key": r.key} for r in rows]


def worker_env(settings: Settings) -> dict[str, str]:
    """The settings as the environment of a worker process (how `ssj dev up` and compose run it)."""
    assert settings.secret_key is not None
    return {
        "NOTIFY_DATABASE_URL": settings.database_url,
        "NOTIFY_SECRET_KEY": settings.secret_key.get_secret_value(),
        "NOTIFY_BUS": settings.bus,
        "NOTIFY_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "NOTIFY_TOPIC_PREFIX": settings.topic_prefix,
        "NOTIFY_EMBEDDED_BUS_PATH": settings.embedded_bus_path,
        "NOTIFY_LOG_JSON": "false",
        "NOTIFY_RETRY_SCHEDULE_SECONDS": json.dumps(settings.retry_schedule_seconds),
        "NOTIFY_DELIVERY_TIMEOUT_SECONDS": str(settings.delivery_timeout_seconds),
        "NOTIFY_DELIVERY_POLL_SECONDS": str(settings.delivery_poll_seconds),
        "NOTIFY_DELIVERY_LEASE_MARGIN_SECONDS": str(settings.delivery_lease_margin_seconds),
        "NOTIFY_DELIVERY_CONCURRENCY": str(settings.delivery_concurrency),
        "NOTIFY_DELIVERY_BATCH": str(settings.delivery_batch),
    }


class WorkerProcess:
    """`python -m notify.worker` in its own process group, logging to a file."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "notify.worker"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=os.environ | worker_env(settings),
                start_new_session=True,
            )

    async def running(self, timeout: float = 30) -> None:
        """Its delivery job starts before the log line, so this is a safe point to go on."""

        async def started() -> bool:
            assert self.proc.poll() is None, self.log_path.read_text(errors="replace")[-3000:]
            return "worker notify running" in self.log_path.read_text(errors="replace")

        await until(started, timeout)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def worker_processes(settings: Settings, log_dir: Path, count: int) -> Iterator[list[WorkerProcess]]:
    processes = [WorkerProcess(settings, log_dir / f"worker-{n}.log") for n in range(count)]
    try:
        yield processes
    finally:
        for process in processes:
            process.stop()
