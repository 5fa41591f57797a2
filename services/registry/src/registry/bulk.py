"""The PostgreSQL path for entity writes: COPY into a staging table, then one statement.

The rows of a batch are COPYed (binary) into a per-connection temporary table with their content
digests, and a chain of data-modifying CTEs does what store.upsert does row by row: reserve change
numbers, INSERT ... ON CONFLICT DO UPDATE only where the digest differs, close the previous
versions, add the new ones, queue their events and empty the staging table. The events go in as
outbox rows naming the write's change numbers (one row per VERSIONS_PER_ROW versions): the relay
reads the versions back and publishes one event per version (registry.events.version_events),
the same events store.upsert queues one row each. Event data is not written twice, and building
it leaves the transaction. The statement holds the change-counter lock while it runs, so what
can be prepared outside it (records, digests, the COPY) is.

Same requests, same registry, same digests and events as store.upsert, which SQLite (the
embedded default) uses; test_parity holds the two paths to that.
"""

import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from registry.events import ENTITY_VERSIONS, SOURCE
from registry.schemas import EntityIn
from registry.store import COUNTER, ENTITY_CONTENT, PROVENANCE, Verbatim, content_digest, entity_digest
from shared.observability import traceparent_var

FIELDS = ("id", *ENTITY_CONTENT, *PROVENANCE)
STORED = (*FIELDS, "digest")
STAGING = "entity_batch"
STAGED = ("ord", *STORED)  # ord: the row's place in the batch, which orders its change numbers
# An outbox row names at most this many versions (an import may write 50,000): the relay sends
# a row's events in one pass, so this bounds what a pass holds.
VERSIONS_PER_ROW = 5000
_SQL_TYPE = {"ord": "integer", "flags": "json", "active": "boolean", "established_date": "date", "closed_date": "date"}
_FLAGS_AT = ENTITY_CONTENT.index("flags")
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_NO_PROVENANCE = (None,) * len(PROVENANCE)

# ON COMMIT DELETE ROWS: a staged batch never outlives its transaction, whatever happens to it.
CREATE_STAGING = (
    f"CREATE TEMP TABLE IF NOT EXISTS {STAGING} ("
    + ", ".join(f"{c} {_SQL_TYPE.get(c, 'text')}" for c in STAGED)
    + ") ON COMMIT DELETE ROWS"
)


def _statement() -> str:
    value = {"flags": "coalesce(t.flags, '{}')", "source": "coalesce(t.source, CAST(:source AS text))"}
    picked = ", ".join(value.get(c, f"t.{c}") for c in STORED)
    stored = ", ".join(STORED)
    updates = ", ".join(f"{c} = excluded.{c}" for c in STORED if c != "id")
    versioned = ", ".join(c for c in STORED if c != "id")
    return f"""
WITH clock AS (
  UPDATE change_counters SET value = value + :n WHERE name = '{COUNTER}' RETURNING value - :n AS base
), up AS (
  INSERT INTO entities AS e ({stored}, version, seq, updated_at, deactivated_at)
  SELECT {picked}, 1, (SELECT base FROM clock) + t.ord, CAST(:now AS timestamptz),
         CASE WHEN t.active THEN NULL ELSE CAST(:now AS timestamptz) END
  FROM {STAGING} AS t
  ON CONFLICT (id) DO UPDATE SET {updates}, version = e.version + 1, seq = excluded.seq,
     updated_at = excluded.updated_at,
     deactivated_at = CASE WHEN excluded.active THEN NULL ELSE coalesce(e.deactivated_at, excluded.updated_at) END
  WHERE e.digest <> excluded.digest
  RETURNING e.*
), closed AS (
  UPDATE entity_versions AS v SET superseded_seq = up.seq FROM up
  WHERE up.version > 1 AND v.entity_id = up.id AND v.superseded_seq IS NULL
), versions AS (
  INSERT INTO entity_versions (entity_id, version, seq, change, {versioned}, changed_at, run_id)
  SELECT id, version, seq, CASE WHEN version = 1 THEN 'created' ELSE CAST(:change AS text) END, {versioned},
         CAST(:now AS timestamptz), CAST(:run_id AS text)
  FROM up
), queued AS (
  INSERT INTO outbox (event_id, type, source, subject, key, data, traceparent, created_at)
  SELECT overlay(CAST(:event_ids AS text) PLACING right(lpad(to_hex(min(up.seq)), 8, '0'), 8) FROM 29 FOR 8),
         '{ENTITY_VERSIONS}', '{SOURCE}', NULL, '{ENTITY_VERSIONS}',
         json_build_object('first_seq', min(up.seq), 'last_seq', max(up.seq)),
         CAST(:traceparent AS text), CAST(:now AS timestamptz)
  FROM up GROUP BY (up.seq - (SELECT base FROM clock) - 1) / {VERSIONS_PER_ROW} ORDER BY min(up.seq)
), emptied AS (
  DELETE FROM {STAGING}
)
SELECT count(*) FILTER (WHERE version = 1) AS inserted, count(*) AS written FROM up
"""


UPSERT = text(_statement())
_CONTENT = attrgetter(*ENTITY_CONTENT)

Record = tuple[Any, ...]  # the STAGED columns


def from_models(items: Sequence[EntityIn]) -> Iterator[Record]:
    """Staging records of validated models (no provenance: the statement fills in `source`), made
    as the COPY takes them, so PostgreSQL reads the first rows while later ones are digested."""
    # A sector has a handful of flags, so a batch holds few distinct flag sets: each is encoded,
    # and sorted and repr'd for the digest, once.
    flag_sets: dict[tuple[tuple[str, bool], ...], tuple[str, Verbatim]] = {}
    for position, e in enumerate(items, start=1):
        content = list(_CONTENT(e))
        key = tuple(content[_FLAGS_AT].items())
        known = flag_sets.get(key)
        if known is None:
            flags = content[_FLAGS_AT]
            known = flag_sets[key] = (_JSON.encode(flags), Verbatim(repr(sorted(key) if key else flags)))
        content[_FLAGS_AT] = known[1]
        digest = content_digest(content)  # entity_digest's, as test_rules checks
        content[_FLAGS_AT] = known[0]
        yield (position, e.id, *content, *_NO_PROVENANCE, digest)


def from_rows(rows: Sequence[dict[str, Any]]) -> list[Record]:
    """Staging records of rows (dicts of the entity fields and provenance)."""
    records = []
    encode = _JSON.encode
    for position, row in enumerate(rows, start=1):
        values = [row.get(f) for f in FIELDS]
        values[1 + _FLAGS_AT] = encode(values[1 + _FLAGS_AT] or {})
        records.append((position, *values, entity_digest(row)))
    return records


async def upsert_entities(
    session: AsyncSession,
    records: Iterable[Record],
    count: int,
    *,
    now: datetime,
    source: str | None = None,
    run_id: str | None = None,
    change: str = "updated",
) -> tuple[int, int]:
    """(inserted, updated) for valid rows, unique by id; `source` is the provenance of rows that
    do not carry one."""
    # Through the session first: that is what opens its transaction on the asyncpg connection,
    # which the COPY must run in (outside it, ON COMMIT DELETE ROWS would empty the table at once).
    await session.execute(text(CREATE_STAGING))
    raw = await (await session.connection()).get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_records_to_table(STAGING, records=records, columns=list(STAGED))
    params = {
        "n": count,
        "now": now,
        "source": source,
        "run_id": run_id,
        "change": change,
        "traceparent": traceparent_var.get(),
        # A random UUID whose last 8 hex digits become each outbox row's first change number (the
        # rows' ids) and each version's (its event's id: registry.events.version_events).
        "event_ids": str(uuid.uuid4()),
    }
    inserted, written = (await session.execute(UPSERT, params)).one()
    return int(inserted), int(written) - int(inserted)
