"""One tiny event-bus interface, two backends: Kafka (aiokafka) and the embedded SQLite log."""

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

from shared.events import BusMessage
from shared.settings import ServiceSettings

log = logging.getLogger("ssj.bus")


@dataclass(frozen=True)
class BusRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


class Producer(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def send_all(self, messages: list[BusMessage]) -> None:
        """Returns only when every message is durably acknowledged, in order per key."""


class Consumer(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def poll(self, timeout_seconds: float) -> list[BusRecord]: ...
    async def commit(self, record: BusRecord) -> None: ...
    async def rewind(self, record: BusRecord) -> None:
        """Deliver this record again on the next poll (after a failed handler)."""


class KafkaProducer:
    def __init__(self, settings: ServiceSettings, topics: list[str]) -> None:
        from aiokafka import AIOKafkaProducer

        self._settings, self._topics = settings, topics
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap,
            enable_idempotence=True,
            acks="all",
            linger_ms=5,
            request_timeout_ms=15000,
            max_request_size=settings.kafka_max_message_bytes,
        )

    async def start(self) -> None:
        await ensure_topics(self._settings, self._topics)
        await asyncio.wait_for(self._producer.start(), 30)

    async def stop(self) -> None:
        # stop() can hang with idempotence on while the broker is down.
        try:
            await asyncio.wait_for(self._producer.stop(), 10)
        except TimeoutError:
            log.warning("kafka producer did not stop within 10 s")

    async def send_all(self, messages: list[BusMessage]) -> None:
        futures = [await self._producer.send(m.topic, m.value, key=m.key, headers=m.headers) for m in messages]
        await asyncio.wait_for(asyncio.gather(*futures), 30)


class KafkaConsumer:
    def __init__(self, settings: ServiceSettings, group: str, topics: list[str]) -> None:
        from aiokafka import AIOKafkaConsumer

        self._settings, self._topics = settings, topics
        self._consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=settings.kafka_bootstrap,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=200,
            metadata_max_age_ms=5000,
            max_partition_fetch_bytes=settings.kafka_max_message_bytes,
        )

    async def start(self) -> None:
        await ensure_topics(self._settings, self._topics)
        await asyncio.wait_for(self._consumer.start(), 60)

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(self._consumer.stop(), 10)
        except TimeoutError:
            log.warning("kafka consumer did not stop within 10 s")

    async def poll(self, timeout_seconds: float) -> list[BusRecord]:
        batches = await self._consumer.getmany(timeout_ms=int(timeout_seconds * 1000))
        return [
            BusRecord(r.topic, r.partition, r.offset, r.key, r.value, list(r.headers))
            for records in batches.values()
            for r in records
        ]

    async def commit(self, record: BusRecord) -> None:
        from aiokafka import TopicPartition

        await self._consumer.commit({TopicPartition(record.topic, record.partition): record.offset + 1})

    async def rewind(self, record: BusRecord) -> None:
        from aiokafka import TopicPartition

        self._consumer.seek(TopicPartition(record.topic, record.partition), record.offset)


async def ensure_topics(settings: ServiceSettings, topics: list[str]) -> None:
    """Create topics up front so consumers never wait for a metadata refresh to find them."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await asyncio.wait_for(admin.start(), 30)
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            limit = {"max.message.bytes": str(settings.kafka_max_message_bytes)}
            new = [NewTopic(t, settings.kafka_partitions, 1, topic_configs=limit) for t in missing]
            try:
                await admin.create_topics(new)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


def make_producer(settings: ServiceSettings, topics: list[str]) -> Producer:
    if settings.bus == "kafka":
        return KafkaProducer(settings, topics)
    from shared.embedded_bus import EmbeddedProducer

    return EmbeddedProducer(settings.embedded_bus_path)


def make_consumer(settings: ServiceSettings, group: str, topics: list[str]) -> Consumer:
    if settings.bus == "kafka":
        return KafkaConsumer(settings, group, topics)
    from shared.embedded_bus import EmbeddedConsumer

    return EmbeddedConsumer(settings.embedded_bus_path, group, topics)


async def bus_reachable(settings: ServiceSettings) -> bool:
    if settings.bus == "embedded":
        from shared.embedded_bus import log_reachable

        return await log_reachable(settings.embedded_bus_path)
    host, _, port = settings.kafka_bootstrap.split(",")[0].rpartition(":")
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 2)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True
