"""Inspection tasks from one executed draw of BENCH_TASKS selections (default 50,000): the real
consumer (handle_once: inbox claim, payload validation, checklists from the real registry app,
set-based inserts of tasks, team members and the first history line) on PostgreSQL, against
asyncpg COPY of exactly the rows it wrote into tables of the same shape, in the same run."""

import asyncio
import json
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from inspection.consumers import HANDLERS, Deps
from inspection.db import messaging
from registry.config import Settings as RegistrySettings
from registry.main import create_app as registry_app
from shared.db import make_engine, make_sessionmaker
from shared.events import Event
from shared.messaging import handle_once
from shared.testing import PG_BASE, drop_databases, migrated_database
from ssj_cli.stack import service_dir

SECTORS = ("entertainment", "fire_safety", "internet_cafe")
COPIED = {
    "inspections": "SELECT * FROM inspections",
    "team_members": "SELECT * FROM team_members",
    "inspection_history": "SELECT * FROM inspection_history",
}


def selections(n: int) -> list[dict[str, Any]]:
    """Three sectors, fire units with and without the key-unit flag: four distinct checklists."""
    out = []
    for i in range(1, n + 1):
        sector = SECTORS[i % 3]
        out.append(
            {
                "position": i,
                "entity_id": f"B-{i:07d}",
                "stratum": f"{sector}/x",
                "team": [f"INS-{i % 397:04d}", f"INS-{(i + 1) % 397:04d}"],
                "entity": {
                    "id": f"B-{i:07d}",
                    "name": f"抚顺基准单位{i}",
                    "credit_code": f"91210400MA{i:07d}X"[:18],
                    "sector": sector,
                    "subtype": "unit",
                    "division_code": "210402",
                    "grade": None,
                    "flags": {"key_unit": i % 2 == 0} if sector == "fire_safety" else {},
                },
            }
        )
    return out


def draw_event(n: int) -> Event:
    data = {
        "draw_id": f"d-{uuid.uuid4().hex[:12]}",
        "title": "bench",
        "sector": "fire_safety",
        "checking_body": "fire_supervision",
        "period": "2026-Q4",
        "due_date": "2026-12-31",
        "team_size": 2,
        "executed_at": datetime.now(UTC).isoformat(),
        "selections": selections(n),
    }
    return Event(str(uuid.uuid4()), "ssj.draw.executed", "/ssj/draw", data["draw_id"], datetime.now(UTC), data)


async def through_consumer(url: str, event: Event, registry_db: Path) -> float:
    registry = registry_app(RegistrySettings(database_url=f"sqlite+aiosqlite:///{registry_db}", log_json=False))
    engine = make_engine(url)
    try:
        async with (
            registry.router.lifespan_context(registry),
            httpx.AsyncClient(transport=httpx.ASGITransport(registry), base_url="http://registry") as http,
        ):
            started = time.perf_counter()
            assert await handle_once(make_sessionmaker(engine), messaging, "inspection", HANDLERS, event, Deps(http))
            return time.perf_counter() - started
    finally:
        await engine.dispose()


async def through_copy(database: str) -> tuple[float, int]:
    """COPY the rows the consumer wrote into empty tables of the same shape (indexes included)."""
    conn = await asyncpg.connect(f"{PG_BASE}/{database}")
    try:
        batches = {table: await conn.fetch(query) for table, query in COPIED.items()}
        for table in COPIED:
            await conn.execute(f"CREATE TABLE {table}_copy (LIKE {table} INCLUDING ALL)")
        started = time.perf_counter()
        async with conn.transaction():
            for table, rows in batches.items():
                await conn.copy_records_to_table(f"{table}_copy", records=[tuple(r.values()) for r in rows])
        return time.perf_counter() - started, len(batches["inspections"])
    finally:
        await conn.close()


def main() -> dict[str, Any]:
    n = int(os.environ.get("BENCH_TASKS", "50000"))
    url = asyncio.run(migrated_database(service_dir("inspection"), "bench_inspection"))
    event = draw_event(n)
    size = len(json.dumps(event.data, ensure_ascii=False).encode())
    registry_db = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-registry-{uuid.uuid4().hex[:6]}.db"
    try:
        consumer_s = asyncio.run(through_consumer(url, event, registry_db))
        copy_s, copied = asyncio.run(through_copy(url.rsplit("/", 1)[1]))
    finally:
        asyncio.run(drop_databases(url))
        registry_db.unlink(missing_ok=True)
    assert copied == n, f"the consumer wrote {copied} tasks, not {n}"
    return {
        "selections": n,
        "event_mb": round(size / 1e6, 1),
        "consumer_tasks_per_s": round(n / consumer_s),
        "copy_tasks_per_s": round(n / copy_s),
        "consumer_s": round(consumer_s, 2),
        "copy_s": round(copy_s, 2),
        "copy_over_consumer": round(consumer_s / copy_s, 1),
    }


if __name__ == "__main__":
    print(main())
