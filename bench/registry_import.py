"""100,000 entities through the registry's batch API (real HTTP, uvicorn, PostgreSQL) against
asyncpg COPY of the same rows into a table of the same shape, in the same run.

The API does everything a real load does: validation (GB 32100 credit codes, GB 11643 ID cards,
divisions, sector rules), content digests, a version row and an outbox event per entity, all in
one transaction per batch. COPY only writes the rows. Request bodies are encoded before the clock
starts: a sync job runs on another machine, and here client and server share the CPUs.

Sizes: BENCH_ROWS (100000), BENCH_BATCH (5000 rows per request), BENCH_CONCURRENCY (2 requests
in flight), BENCH_WORKERS (1 uvicorn worker process). Only the database statement of a batch is
serialized (the change-counter lock); validation and JSON work scale with API workers and cores.
"""

import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import httpx

from registry.codes import credit_check_char, id_check_char
from shared.auth import token_sha256
from shared.testing import PG_BASE, drop_databases, migrated_database
from ssj_cli.stack import service_dir

DISTRICTS = ("210402", "210403", "210404", "210411", "210421", "210422", "210423")


def rows(n: int) -> list[dict[str, object]]:
    out = []
    for i in range(n):
        body = f"91210400MA{i:07d}"
        person = f"{DISTRICTS[i % 7]}19{60 + i % 40:02d}0{1 + i % 9}1{i % 10}{i % 1000:03d}"
        out.append(
            {
                "id": f"B-{i:07d}",
                "sector": "fire_safety",
                "subtype": "unit",
                "name": f"抚顺基准单位{i}",
                "credit_code": body + credit_check_char(body),
                "division_code": DISTRICTS[i % 7],
                "flags": {
                    "key_unit": i % 3 == 0,
                    "crowded_place": i % 2 == 0,
                    "public_gathering": i % 5 == 0,
                    "flammable_explosive": i % 11 == 0,
                },
                "legal_rep_name": "王某某",
                "legal_rep_id_number": person + id_check_char(person),
                "address": f"抚顺市新抚区临江路{i % 300}号",
                "established_date": date(2000 + i % 25, 1 + i % 12, 1 + i % 28).isoformat(),
            }
        )
    return out


async def through_api(base: str, token: str, bodies: list[bytes], concurrency: int) -> float:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=300) as client:

        async def post(body: bytes) -> None:
            async with gate:
                response = await client.post("/v1/entities:batch", content=body)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(post(b) for b in bodies))
        return time.perf_counter() - started


async def through_copy(database: str, data: list[dict[str, object]]) -> float:
    conn = await asyncpg.connect(f"{PG_BASE}/{database}")
    try:
        await conn.execute("CREATE TABLE entities_copy (LIKE entities INCLUDING ALL)")
        columns = [
            r["name"]
            for r in await conn.fetch(
                "SELECT attname AS name FROM pg_attribute "
                "WHERE attrelid = 'entities_copy'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
            )
        ]
        now = datetime.now(UTC)
        records = [_copy_record(r, columns, now, i) for i, r in enumerate(data)]
        started = time.perf_counter()
        await conn.copy_records_to_table("entities_copy", records=records, columns=columns)
        return time.perf_counter() - started
    finally:
        await conn.close()


def _copy_record(r: dict[str, object], columns: list[str], now: datetime, i: int) -> tuple[object, ...]:
    extra: dict[str, object] = {
        "flags": json.dumps(r["flags"]),
        "active": True,
        "digest": "0" * 40,
        "version": 1,
        "updated_at": now,
        "seq": i + 1,
        "source": "api",
        "established_date": date.fromisoformat(str(r["established_date"])),
    }
    return tuple(extra.get(c, r.get(c)) for c in columns)


async def _counts(database: str) -> dict[str, int]:
    conn = await asyncpg.connect(f"{PG_BASE}/{database}")
    try:
        return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in ("entities", "entity_versions", "outbox")}
    finally:
        await conn.close()


def main(n: int | None = None) -> dict[str, object]:
    n = n or int(os.environ.get("BENCH_ROWS", "100000"))
    batch = int(os.environ.get("BENCH_BATCH", "5000"))
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", "2"))
    url = asyncio.run(migrated_database(service_dir("registry"), "bench_registry"))
    database = url.rsplit("/", 1)[1]
    token = secrets.token_urlsafe(16)
    callers = Path(tempfile.mkdtemp()) / "callers.json"
    callers.write_text(
        json.dumps([{"name": "bench", "token_sha256": token_sha256(token), "scopes": ["registry:write"]}])
    )
    port = _free_port()
    env = os.environ | {
        "REGISTRY_DATABASE_URL": url,
        "REGISTRY_CALLERS_FILE": str(callers),
        "REGISTRY_LOG_LEVEL": "WARNING",
        "REGISTRY_BUS": "kafka",
        "REGISTRY_MAX_BATCH_SIZE": str(batch),
    }
    workers = os.environ.get("BENCH_WORKERS", "1")
    args = [
        "uvicorn",
        "registry.main:create_app",
        "--factory",
        "--port",
        str(port),
        "--no-access-log",
        "--workers",
        workers,
    ]
    api = subprocess.Popen([sys.executable, "-m", *args, "--log-level", "warning"], env=env)
    try:
        _wait(f"http://127.0.0.1:{port}/healthz")
        data = rows(n)
        bodies = [json.dumps({"entities": data[i : i + batch]}).encode() for i in range(0, n, batch)]
        api_s = asyncio.run(through_api(f"http://127.0.0.1:{port}", token, bodies, concurrency))
        written = asyncio.run(_counts(database))
        copy_s = asyncio.run(through_copy(database, data))
    finally:
        api.terminate()
        api.wait()
        asyncio.run(drop_databases(url))
    return {
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),  # other work on the machine skews both figures
        "rows": n,
        "batch": batch,
        "concurrency": concurrency,
        "api_workers": int(workers),
        "api_rows_per_s": round(n / api_s),
        "copy_rows_per_s": round(n / copy_s),
        "api_s": round(api_s, 2),
        "copy_s": round(copy_s, 2),
        "copy_over_api": round(api_s / copy_s, 2),
        "written": written,
    }


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str) -> None:
    for _ in range(200):
        try:
            if httpx.get(url).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


if __name__ == "__main__":
    print(main())
