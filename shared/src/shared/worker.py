"""The worker process of a service: outbox relay, event consumers and periodic jobs."""

import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager, AsyncExitStack, nullcontext
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.bus import make_consumer, make_producer
from shared.db import make_engine, make_sessionmaker
from shared.messaging import Handler, Messaging, consume_forever, relay_forever
from shared.observability import configure_logging
from shared.settings import ServiceSettings

log = logging.getLogger("ssj.worker")
# A job receives the service's own Settings subclass, hence Any.
Job = Callable[[async_sessionmaker[AsyncSession], Any, Any, asyncio.Event], Coroutine[Any, Any, None]]


@dataclass
class WorkerSpec:
    service: str
    messaging: Messaging
    produces: list[str]
    handlers: dict[str, Handler] = field(default_factory=dict)
    deps: Callable[[Any], AbstractAsyncContextManager[Any]] | None = None
    jobs: list[Job] = field(default_factory=list)


async def _start_with_retry(component: Any, what: str, stop: asyncio.Event) -> None:
    """The bus may be down when the worker starts: keep trying, events wait in the outbox."""
    delay = 1.0
    while not stop.is_set():
        try:
            await component.start()
            return
        except Exception as exc:
            log.warning("%s could not start (%s); retrying in %.0f s", what, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30)


async def run_worker(settings: ServiceSettings, spec: WorkerSpec, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    engine = make_engine(settings.database_url, pool_size=5)
    sessionmaker = make_sessionmaker(engine)
    producer = make_producer(settings, [settings.topic(t) for t in spec.produces])
    async with AsyncExitStack() as stack:
        deps = await stack.enter_async_context(spec.deps(settings) if spec.deps else nullcontext())
        await _start_with_retry(producer, "producer", stop)
        stack.push_async_callback(producer.stop)
        # The relay starts first: joining a consumer group can wait out a dead member's session.
        tasks = [asyncio.create_task(relay_forever(sessionmaker, spec.messaging, producer, settings, stop))]
        tasks += [asyncio.create_task(job(sessionmaker, deps, settings, stop)) for job in spec.jobs]
        if spec.handlers:
            topics = [settings.topic(t) for t in spec.handlers]
            consumer = make_consumer(settings, settings.topic_prefix + spec.service, topics)
            await _start_with_retry(consumer, "consumer", stop)
            stack.push_async_callback(consumer.stop)
            tasks.append(
                asyncio.create_task(
                    consume_forever(
                        consumer, sessionmaker, spec.messaging, spec.service, spec.handlers, deps, settings, stop
                    )
                )
            )
        log.info("worker %s running (%s bus)", spec.service, settings.bus)
        await asyncio.gather(*tasks)
    await engine.dispose()


def main(settings: ServiceSettings, spec: WorkerSpec) -> None:
    """Entry point of `python -m <service>.worker`: stops cleanly on SIGTERM/SIGINT."""
    configure_logging(settings.service_name + "-worker", settings.log_level, settings.log_json)

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(settings, spec, stop)

    asyncio.run(runner())
