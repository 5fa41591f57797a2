"""An independent reader of the event log: raw aiokafka (or raw SQLite for the embedded log),
sharing nothing with the services' own consumer code."""

import json
import sqlite3
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from .conftest import Running


async def read_all(running: Running, event_type: str) -> list[dict[str, Any]]:
    topic = running.config.topic_prefix + event_type
    if running.config.bus == "embedded":
        conn = sqlite3.connect(running.config.var_dir / "bus.sqlite")
        rows = conn.execute(
            'SELECT key, value, headers FROM records WHERE topic = ? ORDER BY "offset"', (topic,)
        ).fetchall()
        conn.close()
        return [
            {"key": k, "value": json.loads(v), "headers": {h: x.encode() for h, x in json.loads(hs)}}
            for k, v, hs in rows
        ]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=running.config.kafka_bootstrap,
        enable_auto_commit=False,
        group_id=f"reader-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        out: list[dict[str, Any]] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                out += [{"key": r.key, "value": json.loads(r.value), "headers": dict(r.headers)} for r in records]
        return out
    finally:
        await consumer.stop()


async def rewind_group(running: Running, group_service: str, event_type: str) -> None:
    """Move a consumer group back to the first record, as an operator replaying a topic would."""
    topic = running.config.topic_prefix + event_type
    group = running.config.topic_prefix + group_service
    if running.config.bus == "embedded":
        conn = sqlite3.connect(running.config.var_dir / "bus.sqlite")
        with conn:
            conn.execute("UPDATE group_offsets SET next_offset = 0 WHERE group_id = ? AND topic = ?", (group, topic))
        conn.close()
        return
    consumer = AIOKafkaConsumer(
        bootstrap_servers=running.config.kafka_bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(partitions)
        await consumer.commit({tp: 0 for tp in partitions})
    finally:
        await consumer.stop()


async def group_caught_up(running: Running, group_service: str, event_type: str) -> bool:
    """True once the group's committed offsets reach the end of the topic."""
    topic = running.config.topic_prefix + event_type
    group = running.config.topic_prefix + group_service
    if running.config.bus == "embedded":
        conn = sqlite3.connect(running.config.var_dir / "bus.sqlite")
        end = conn.execute('SELECT COALESCE(MAX("offset") + 1, 0) FROM records WHERE topic = ?', (topic,)).fetchone()[0]
        row = conn.execute(
            "SELECT next_offset FROM group_offsets WHERE group_id = ? AND topic = ?", (group, topic)
        ).fetchone()
        conn.close()
        return row is not None and row[0] >= end
    consumer = AIOKafkaConsumer(
        bootstrap_servers=running.config.kafka_bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        ends = await consumer.end_offsets(partitions)
        for tp in partitions:
            committed = await consumer.committed(tp)
            if ends[tp] > 0 and (committed or 0) < ends[tp]:
                return False
        return True
    finally:
        await consumer.stop()
