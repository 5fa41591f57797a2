"""Entities through the registry's batch API (real HTTP, uvicorn, PostgreSQL) against asyncpg
COPY of the same rows into a table of the same shape, in the same run."""

import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
from tqdm import tqdm

from registry.codes import credit_check_char
from shared.auth import token_sha256
from shared.testing import PG_BASE, migrated_database
from ssj_cli.stack import service_dir

BATCH = 1000


def rows(n: int) -> list[dict[str, object]]:
    out = []
    for i in range(n):
        body = f"91210400MA{i:07d}"
        out.append(
            {
                "id": f"B-{i:07d}",
                "sector": "fire_safety",
                "subtype": "unit",
                "name": f"抚顺基准单位{i}",
                "credit_code": body + credit_check_char(body),
                "division_code": "210402",
                "flags": {"key_unit": i % 3 == 0},
            }
        )
    return out


async def through_api(base: str, token: str, data: list[dict[str, object]]) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as client:
        started = time.perf_counter()
        for i in tqdm(range(0, len(data), BATCH), desc="batch API", unit="batch"):
            response = await client.post("/v1/entities:batch", json={"entities": data[i : i + BATCH]})
            response.raise_for_status()
        return time.perf_counter() - started


async def through_copy(database: str, data: list[dict[str, object]]) -> float:
    conn = await asyncpg.connect(f"{PG_BASE}/{database}")
    try:
        await conn.execute("CREATE TABLE entities_copy (LIKE entities INCLUDING ALL)")
        records = [
            (
                r["id"],
                r["sector"],
                r["subtype"],
                r["name"],
                r["credit_code"],
                r["division_code"],
                None,
                json.dumps(r["flags"]),
                True,
                "0" * 64,
                1,
                time_now(),
            )
            for r in data
        ]
        started = time.perf_counter()
        await conn.copy_records_to_table("entities_copy", records=records)
        return time.perf_counter() - started
    finally:
        await conn.close()


def time_now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)


def main(n: int) -> dict[str, object]:
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
    }
    api = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "registry.main:create_app",
            "--factory",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        _wait(f"http://127.0.0.1:{port}/healthz")
        data = rows(n)
        api_s = asyncio.run(through_api(f"http://127.0.0.1:{port}", token, data))
        copy_s = asyncio.run(through_copy(database, data))
    finally:
        api.terminate()
        api.wait()
    return {
        "rows": n,
        "batch": BATCH,
        "api_rows_per_s": round(n / api_s),
        "copy_rows_per_s": round(n / copy_s),
        "api_s": round(api_s, 2),
        "copy_s": round(copy_s, 2),
        "copy_over_api": round(api_s / copy_s, 1),
    }


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str) -> None:
    for _ in range(100):
        try:
            if httpx.get(url).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


if __name__ == "__main__":
    print(main(int(os.environ.get("BENCH_ROWS", "20000"))))
