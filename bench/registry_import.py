"""100,000 entities through the registry's batch API (real HTTP, uvicorn, PostgreSQL) against
asyncpg COPY of the same rows into a table of the same shape, in the same run.

The API does everything a real load does: validation (GB 32100 credit codes, GB 11643 ID cards,
divisions, sector rules), content digests, a version row per entity and its events queued, all in
one transaction per batch. COPY only writes the rows.

The API is measured twice on fresh databases: with one API process, and with one per core (the
deployment shape: APIs are stateless and scale out behind a load balancer; here each client
connection is pinned to an instance in turn, as a round-robin balancer would). A sync job runs on
another machine, but here client and server share the CPUs, so the client is kept cheap: bodies
are encoded before the clock starts and sent over plain keep-alive HTTP/1.1 connections.

Sizes: BENCH_ROWS (100000), BENCH_BATCH (5000 rows per request), BENCH_CONCURRENCY (2 requests in
flight per instance), BENCH_API_INSTANCES (the scaled-out run; default: one per CPU). Only the
database statement of a batch is serialized (the change-counter lock).
"""

import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import httpx

from registry.codes import credit_check_char, id_check_char
from registry.config import Settings
from registry.db import messaging
from registry.events import ENTITY_VERSIONS, PRODUCES
from shared.auth import token_sha256
from shared.bus import make_producer
from shared.db import make_engine, make_sessionmaker
from shared.messaging import relay_once
from shared.testing import KAFKA_BOOTSTRAP, PG_BASE, drop_databases, migrated_database
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


async def _post_all(port: int, token: str, bodies: list[bytes]) -> None:
    """One keep-alive connection posting its bodies in turn; any status but 200 fails the run."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST /v1/entities:batch HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\nContent-Length: "
    ).encode()
    try:
        for body in bodies:
            writer.write(head + str(len(body)).encode() + b"\r\n\r\n")
            writer.write(body)
            status, *headers = (await reader.readuntil(b"\r\n\r\n")).decode().split("\r\n")
            length = next(int(h.split(":")[1]) for h in headers if h.lower().startswith("content-length:"))
            answer = await reader.readexactly(length)
            if " 200 " not in status:
                raise RuntimeError(f"{status}: {answer[:500]!r}")
    finally:
        writer.close()


async def through_api(ports: list[int], token: str, bodies: list[bytes], concurrency: int) -> float:
    """`concurrency` connections per instance; bodies dealt out to connections in turn."""
    connections = [ports[i % len(ports)] for i in range(concurrency * len(ports))]
    started = time.perf_counter()
    await asyncio.gather(*(_post_all(port, token, bodies[i :: len(connections)]) for i, port in enumerate(connections)))
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
        tables = ("entities", "entity_versions", "outbox")
        counts = {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in tables}
        counts["events_queued"] = await conn.fetchval(  # outbox rows of a bulk write stand for many events
            "SELECT coalesce(sum(CASE WHEN type = $1 THEN (data::json->>'last_seq')::bigint"
            " - (data::json->>'first_seq')::bigint + 1 ELSE 1 END), 0)::bigint FROM outbox",
            ENTITY_VERSIONS,
        )
        return counts
    finally:
        await conn.close()


async def relay_all(url: str) -> tuple[int, float]:
    """What a bulk write left for later: the worker's relay publishing every queued event to
    Kafka (reading the versions back, building each event). Events and seconds."""
    settings = Settings(
        database_url=url, bus="kafka", kafka_bootstrap=KAFKA_BOOTSTRAP, topic_prefix=f"bench{uuid.uuid4().hex[:8]}."
    )
    engine = make_engine(url)
    sessionmaker = make_sessionmaker(engine)
    producer = make_producer(settings, [settings.topic(t) for t in PRODUCES])
    await producer.start()
    try:
        sent, started = 0, time.perf_counter()
        while n := await relay_once(sessionmaker, messaging, producer, settings):
            sent += n
        return sent, time.perf_counter() - started
    finally:
        await producer.stop()
        await engine.dispose()


def import_through_api(
    url: str, data: list[dict[str, object]], batch: int, instances: int, concurrency: int
) -> tuple[float, dict[str, int]]:
    """`instances` API processes on a fresh database, every row posted once: seconds and what was written."""
    token = secrets.token_urlsafe(16)
    callers = Path(tempfile.mkdtemp()) / "callers.json"
    callers.write_text(
        json.dumps([{"name": "bench", "token_sha256": token_sha256(token), "scopes": ["registry:write"]}])
    )
    env = os.environ | {
        "REGISTRY_DATABASE_URL": url,
        "REGISTRY_CALLERS_FILE": str(callers),
        "REGISTRY_LOG_LEVEL": "WARNING",
        "REGISTRY_BUS": "kafka",
        "REGISTRY_MAX_BATCH_SIZE": str(batch),
    }
    ports = [_free_port() for _ in range(instances)]
    args = ["uvicorn", "registry.main:create_app", "--factory", "--no-access-log", "--log-level", "warning"]
    apis = [subprocess.Popen([sys.executable, "-m", *args, "--port", str(p)], env=env) for p in ports]
    try:
        for port in ports:
            _wait(f"http://127.0.0.1:{port}/healthz")
        bodies = [json.dumps({"entities": data[i : i + batch]}).encode() for i in range(0, len(data), batch)]
        seconds = asyncio.run(through_api(ports, token, bodies, concurrency))
        return seconds, asyncio.run(_counts(url.rsplit("/", 1)[1]))
    finally:
        for api in apis:
            api.terminate()
            api.wait()


def main(n: int | None = None) -> dict[str, object]:
    n = n or int(os.environ.get("BENCH_ROWS", "100000"))
    batch = int(os.environ.get("BENCH_BATCH", "5000"))
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", "2"))
    instances = int(os.environ.get("BENCH_API_INSTANCES", str(os.cpu_count() or 1)))
    data = rows(n)
    urls: list[str] = []
    try:
        for _ in range(2):
            urls.append(asyncio.run(migrated_database(service_dir("registry"), "bench_registry")))
        one_s, _ = import_through_api(urls[0], data, batch, 1, concurrency)
        api_s, written = import_through_api(urls[1], data, batch, instances, concurrency)
        copy_s = asyncio.run(through_copy(urls[1].rsplit("/", 1)[1], data))
        relayed, relay_s = asyncio.run(relay_all(urls[1]))
    finally:
        asyncio.run(drop_databases(*urls))
    return {
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),  # other work on the machine skews both figures
        "rows": n,
        "batch": batch,
        "concurrency_per_instance": concurrency,
        "api_instances": instances,
        "api_rows_per_s": round(n / api_s),
        "copy_rows_per_s": round(n / copy_s),
        "api_s": round(api_s, 2),
        "copy_s": round(copy_s, 2),
        "copy_over_api": round(api_s / copy_s, 2),
        "one_instance_rows_per_s": round(n / one_s),
        "copy_over_one_instance": round(one_s / copy_s, 2),
        "written": written,
        # Not part of the import: the worker's relay, afterwards, alone on the machine.
        "relayed_events": relayed,
        "relay_events_per_s": round(relayed / relay_s),
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
