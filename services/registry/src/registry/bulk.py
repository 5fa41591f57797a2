"""The PostgreSQL path for entity writes: one statement per batch, whatever its size.

The rows travel as three parallel documents — the rows as JSON, their content digests, and their
events as JSON without the version and change number — and a chain of data-modifying CTEs does
what store.upsert does row by row: reserve change numbers, INSERT ... ON CONFLICT DO UPDATE only
where the digest differs, close the previous versions, add the new ones and queue one outbox
event each (the prepared JSON with version, seq and source appended). The statement holds the
change-counter lock while it runs, so what can be prepared outside it (JSON, digests) is.

Same requests, same registry, same digests and events as store.upsert, which SQLite (the
embedded default) uses; test_parity holds the two paths to that.
"""

import json
from datetime import date, datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from registry.events import ENTITY_EVENT_FIELDS, ENTITY_UPSERTED, SOURCE
from registry.schemas import EntityIn
from registry.store import COUNTER, ENTITY_CONTENT, PROVENANCE, entity_digest
from shared.observability import traceparent_var

FIELDS = ("id", *ENTITY_CONTENT, *PROVENANCE)
STORED = (*FIELDS, "digest")
APPENDED = ("version", "seq", "source")  # known only once written
EVENT_BASE = tuple(f for f in ENTITY_EVENT_FIELDS if f not in APPENDED)
_SQL_TYPE = {"flags": "json", "active": "boolean", "established_date": "date", "closed_date": "date"}
_MODELS = TypeAdapter(list[EntityIn])
_EVENT_INCLUDE = {"__all__": set(EVENT_BASE)}


def _statement() -> str:
    record = ", ".join(f"{c} {_SQL_TYPE.get(c, 'text')}" for c in FIELDS)
    picked = ", ".join(f"t.{c}" for c in STORED if c not in ("source", "flags"))
    stored = ", ".join(STORED)
    updates = ", ".join(f"{c} = excluded.{c}" for c in STORED if c != "id")
    versioned = ", ".join(c for c in STORED if c != "id")
    appended = " || ".join(f"""',"{f}":' || CAST(to_json(up.{f}) AS text)""" for f in APPENDED)
    return f"""
WITH clock AS (
  UPDATE change_counters SET value = value + :n WHERE name = '{COUNTER}' RETURNING value - :n AS base
), input AS (
  SELECT {picked}, coalesce(t.flags, '{{}}') AS flags, coalesce(t.source, CAST(:source AS text)) AS source,
         CAST(t.event AS text) AS event, (SELECT base FROM clock) + t.ord AS seq
  FROM ROWS FROM (
    jsonb_to_recordset(CAST(CAST(:rows AS text) AS jsonb)) AS ({record}),
    unnest(CAST(:digests AS text[])),
    json_array_elements(CAST(CAST(:events AS text) AS json))
  ) WITH ORDINALITY AS t({", ".join(FIELDS)}, digest, event, ord)
), up AS (
  INSERT INTO entities AS e ({stored}, version, seq, updated_at, deactivated_at)
  SELECT {stored}, 1, seq, CAST(:now AS timestamptz), CASE WHEN active THEN NULL ELSE CAST(:now AS timestamptz) END
  FROM input
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
  SELECT CAST(gen_random_uuid() AS text), '{ENTITY_UPSERTED}', '{SOURCE}', up.id, up.id,
         left(input.event, -1) || {appended} || '}}', CAST(:traceparent AS text), CAST(:now AS timestamptz)
  FROM up JOIN input ON input.id = up.id
)
SELECT count(*) FILTER (WHERE version = 1) AS inserted, count(*) AS written FROM up
"""


UPSERT = text(_statement())


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def from_models(items: list[EntityIn]) -> tuple[str, list[str], str]:
    """The three documents for validated models: pydantic-core writes both JSON documents."""
    rows = _MODELS.dump_json(items).decode()
    events = _MODELS.dump_json(items, include=_EVENT_INCLUDE).decode()  # type: ignore[arg-type]
    return rows, [entity_digest(e.__dict__) for e in items], events


def from_rows(rows: list[dict[str, Any]]) -> tuple[str, list[str], str]:
    """The three documents for rows (dicts of the entity fields and provenance)."""
    events = [{f: r.get(f) for f in EVENT_BASE} for r in rows]
    return json.dumps(rows, default=_plain), [entity_digest(r) for r in rows], json.dumps(events, default=_plain)


async def upsert_entities(
    session: AsyncSession,
    documents: tuple[str, list[str], str],
    *,
    now: datetime,
    source: str | None = None,
    run_id: str | None = None,
    change: str = "updated",
) -> tuple[int, int]:
    """(inserted, updated) for valid rows, unique by id; `source` is the provenance of rows that
    do not carry one."""
    rows, digests, events = documents
    params = {
        "rows": rows,
        "digests": digests,
        "events": events,
        "n": len(digests),
        "now": now,
        "source": source,
        "run_id": run_id,
        "change": change,
        "traceparent": traceparent_var.get(),
    }
    inserted, written = (await session.execute(UPSERT, params)).one()
    return int(inserted), int(written) - int(inserted)
