"""A durable event log in one SQLite file with Kafka's topic / consumer-group / offset semantics.

One partition per topic; offsets are dense per topic; a group's committed offset is the next
record it has not yet processed. Several processes may share the file (WAL, busy timeout).
"""

import asyncio
import json
import sqlite3
from pathlib import Path

from shared.bus import BusRecord
from shared.events import BusMessage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
  topic TEXT NOT NULL, "offset" INTEGER NOT NULL, key BLOB, value BLOB NOT NULL,
  headers TEXT NOT NULL, PRIMARY KEY (topic, "offset"));
CREATE TABLE IF NOT EXISTS group_offsets (
  group_id TEXT NOT NULL, topic TEXT NOT NULL, next_offset INTEGER NOT NULL,
  PRIMARY KEY (group_id, topic));
"""


def _connect(path: str) -> sqlite3.Connection:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.executescript(_SCHEMA)
    return conn


def _headers_json(headers: list[tuple[str, bytes]]) -> str:
    return json.dumps([[k, v.decode()] for k, v in headers])


class EmbeddedProducer:
    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None

    async def start(self) -> None:
        self._conn = await asyncio.to_thread(_connect, self._path)

    async def stop(self) -> None:
        if self._conn:
            self._conn.close()

    async def send_all(self, messages: list[BusMessage]) -> None:
        await asyncio.to_thread(self._append, messages)

    def _append(self, messages: list[BusMessage]) -> None:
        assert self._conn is not None
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for m in messages:
                (next_offset,) = conn.execute(
                    'SELECT COALESCE(MAX("offset") + 1, 0) FROM records WHERE topic = ?', (m.topic,)
                ).fetchone()
                conn.execute(
                    'INSERT INTO records (topic, "offset", key, value, headers) VALUES (?, ?, ?, ?, ?)',
                    (m.topic, next_offset, m.key, m.value, _headers_json(m.headers)),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


class EmbeddedConsumer:
    def __init__(self, path: str, group: str, topics: list[str]) -> None:
        self._path, self._group, self._topics = path, group, topics
        self._conn: sqlite3.Connection | None = None
        self._positions: dict[str, int] = {}

    async def start(self) -> None:
        self._conn = await asyncio.to_thread(_connect, self._path)
        for topic in self._topics:
            row = self._conn.execute(
                "SELECT next_offset FROM group_offsets WHERE group_id = ? AND topic = ?",
                (self._group, topic),
            ).fetchone()
            self._positions[topic] = row[0] if row else 0

    async def stop(self) -> None:
        if self._conn:
            self._conn.close()

    async def poll(self, timeout_seconds: float) -> list[BusRecord]:
        records = await asyncio.to_thread(self._fetch, 200)
        if not records:
            await asyncio.sleep(min(timeout_seconds, 0.2))
        return records

    def _fetch(self, limit: int) -> list[BusRecord]:
        assert self._conn is not None
        out: list[BusRecord] = []
        for topic, position in self._positions.items():
            rows = self._conn.execute(
                'SELECT "offset", key, value, headers FROM records WHERE topic = ? AND "offset" >= ? '
                'ORDER BY "offset" LIMIT ?',
                (topic, position, limit),
            ).fetchall()
            for offset, key, value, headers in rows:
                hdrs = [(k, v.encode()) for k, v in json.loads(headers)]
                out.append(BusRecord(topic, 0, offset, key, value, hdrs))
            if rows:
                self._positions[topic] = rows[-1][0] + 1
        return out

    async def commit(self, record: BusRecord) -> None:
        await asyncio.to_thread(self._commit, record.topic, record.offset + 1)

    def _commit(self, topic: str, next_offset: int) -> None:
        assert self._conn is not None
        self._conn.execute(
            "INSERT INTO group_offsets (group_id, topic, next_offset) VALUES (?, ?, ?) "
            "ON CONFLICT (group_id, topic) DO UPDATE SET next_offset = excluded.next_offset",
            (self._group, topic, next_offset),
        )

    async def rewind(self, record: BusRecord) -> None:
        self._positions[record.topic] = record.offset


async def log_reachable(path: str) -> bool:
    def check() -> bool:
        conn = _connect(path)
        conn.execute("SELECT 1").fetchone()
        conn.close()
        return True

    try:
        return await asyncio.to_thread(check)
    except sqlite3.Error:
        return False
