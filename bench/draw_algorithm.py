"""ssj-draw-v1 on a large pool (BENCH_POOL entities, default 1,000,000; 2 strata; weights 1-5;
5 % quota; 400 inspectors; teams of two), three ways in one run, on one table:

1. the algorithm alone: `draw.algorithm.execute` (time; peak Python allocation in a second pass);
2. end to end: `POST /v1/draws` + `POST /v1/draws/{id}/execute` against the real draw API (uvicorn
   subprocess, PostgreSQL), which freezes the pool from a registry bulk export — served here by a
   stand-in that streams `COPY (SELECT …) TO STDOUT` of the same table in the export format
   draw/clients.py documents (the registry's paged JSON API would take minutes for a million
   rows); weights come from risk signals on the rows (risk-v1: 1, 3, 4 and 5) and the quota is
   exactly 5 % of each stratum; time per call, and the API process's peak RSS;
3. the naive sample: PostgreSQL `ORDER BY random() LIMIT k` per stratum on the same table.
"""

import asyncio
import base64
import io
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import asyncpg
import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from draw import algorithm as alg
from shared.auth import token_sha256
from shared.testing import PG_BASE, create_database, drop_databases, migrated_database
from ssj_cli.stack import service_dir

STRATA = ("hotel", "pawn")
# risk-v1 weights 1, 3, 4, 5 from: nothing, 3 complaints, the abnormal list, a serious violation
RISKS = ["\\N", json.dumps({"complaint": {"count": 3}}), json.dumps({"abnormal_list": {"count": 1}})]
RISKS.append(json.dumps({"serious_violation": {"count": 1}}))
EXPORT_COLUMNS = "id, sector, subtype, name, credit_code, division_code, grade, flags, active, version, risk"


def make_pool(n: int) -> tuple[list[alg.Candidate], list[alg.Inspector]]:
    rng = random.Random(1)
    pool = [alg.Candidate(f"E{i:08d}", f"special_trade/{STRATA[i % 2]}", rng.randint(1, 5)) for i in range(n)]
    inspectors = [alg.Inspector(f"I{i:04d}", ()) for i in range(400)]
    return pool, inspectors


def five_percent(pool: list[alg.Candidate]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for c in pool:
        sizes[c.stratum] = sizes.get(c.stratum, 0) + 1
    return {s: -(-size * 5 // 100) for s, size in sizes.items()}


def run_algorithm(pool: list[alg.Candidate], inspectors: list[alg.Inspector]) -> dict[str, float]:
    quotas = five_percent(pool)
    commitment = alg.commitment_text("bench", pool, inspectors, 2, quotas, alg.secret_sha256(b"\x01" * 32), "bench")
    seed = alg.seed(commitment, b"\x01" * 32, "x")
    started, cpu = time.perf_counter(), time.process_time()
    selections = alg.execute(seed, pool, inspectors, 2, quotas)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    tracemalloc.start()  # a second, slower pass only to measure the algorithm's own peak allocation
    alg.execute(seed, pool, inspectors, 2, quotas)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "algorithm_s": elapsed,
        "algorithm_cpu_s": cpu,
        "algorithm_peak_mib": peak / 2**20,
        "selected": len(selections),
    }


# --- the registry stand-in: one table, the bulk export, the inspector list ------------------


def export_rows(n: int) -> bytes:
    rng = random.Random(2)
    lines = [
        f"E{i:08d}\tspecial_trade\t{STRATA[i % 2]}\t抚顺基准单位{i}\t91210400MA{i % 10**8:08d}\t210402\t\\N\t"
        f"{{}}\tt\t1\t{RISKS[rng.randrange(4)]}\n"
        for i in range(n)
    ]
    return "".join(lines).encode()


async def load_entities(database: str, n: int) -> None:
    conn = await asyncpg.connect(f"{PG_BASE}/{database}")
    try:
        await conn.execute(
            "CREATE TABLE entities (id text PRIMARY KEY, sector text, subtype text, name text, credit_code text, "
            "division_code text, grade text, flags json, active boolean, version int, risk json)"
        )
        await conn.copy_to_table("entities", source=io.BytesIO(export_rows(n)), format="text")
        await conn.execute("ANALYZE entities")
    finally:
        await conn.close()


def stand_in(database: str) -> Starlette:
    dsn = f"{PG_BASE}/{database}"

    async def export(request: Request) -> Response:
        conn = await asyncpg.connect(dsn)
        out = io.BytesIO()
        out.write(("\t".join(c.strip() for c in EXPORT_COLUMNS.split(",")) + "\n").encode())
        try:
            query = f"SELECT {EXPORT_COLUMNS} FROM entities WHERE sector = $1 AND active ORDER BY id"
            await conn.copy_from_query(query, request.query_params["sector"], output=out, format="text")
        finally:
            await conn.close()
        return Response(out.getvalue(), media_type="text/tab-separated-values; charset=utf-8")

    async def inspectors(request: Request) -> JSONResponse:
        items = [
            {
                "id": f"I{i:04d}",
                "name": f"检查员{i}",
                "unit": "county_public_order",
                "jurisdiction": "210402",
                "qualification_expires_date": None,
                "active": True,
                "conflicts": [],
                "version": 1,
            }
            for i in range(400)
        ]
        return JSONResponse({"items": items, "next_cursor": None})

    return Starlette(routes=[Route("/v1/entities:export", export), Route("/v1/inspectors", inspectors)])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_in_thread(app: Starlette, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


def start_draw_api(draw_db_url: str, registry_url: str, token: str, workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    callers = [{"name": "bench", "token_sha256": token_sha256(token), "scopes": ["draw:commit", "draw:execute"]}]
    env = os.environ | {
        "DRAW_DATABASE_URL": draw_db_url,
        "DRAW_REGISTRY_URL": registry_url,
        "DRAW_REGISTRY_TOKEN": "unused",
        "DRAW_REGISTRY_TIMEOUT_SECONDS": "300",
        "DRAW_CALLERS": json.dumps(callers),
        "DRAW_AUDIT_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
        "DRAW_EMBEDDED_BUS_PATH": str(workdir / "bus.sqlite"),
        "DRAW_LOG_LEVEL": "INFO",
        "DRAW_LOG_JSON": "false",
        "DRAW_MAX_BODY_BYTES": str(64 * 2**20),
    }
    args = [sys.executable, "-m", "uvicorn", "draw.main:create_app", "--factory", "--port", str(port)]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=open(workdir / "api.log", "wb"))
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError((workdir / "api.log").read_text())


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far: on a shared machine, steadier than wall time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def through_api(base: str, token: str, n: int) -> dict[str, float]:
    quotas = {f"special_trade/{s}": -(-(n // 2 + (n % 2 if s == "hotel" else 0)) * 5 // 100) for s in STRATA}
    plan = {
        "title": "bench: 1M special trades, 5 %",
        "sector": "special_trade",
        "quota": {"per_stratum": quotas},
        "team_size": 2,
        "entropy_source": "bench beacon round 1",
        "period": "2026-Q4",
        "inspector_units": ["county_public_order"],
        "risk_policy": "risk-v1",
    }
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=600) as client:
        started = time.perf_counter()
        committed = await client.post("/v1/draws", json=plan)
        commit_s = time.perf_counter() - started
        committed.raise_for_status()
        draw = committed.json()
        started = time.perf_counter()
        executed = await client.post(f"/v1/draws/{draw['id']}/execute", json={"external_entropy": "0f" * 32})
        execute_s = time.perf_counter() - started
        executed.raise_for_status()
    weights = draw["risk_summary"]
    return {
        "commit_s": commit_s,
        "execute_s": execute_s,
        "end_to_end_s": commit_s + execute_s,
        "api_selected": len(executed.json()["selections"]),
        "api_weighted_entities": weights["weighted"],
    }


def phases(log: str) -> dict[str, float]:
    """The API's own breakdown, from its log lines (draw/service.py logs the phases of both calls)."""
    found: dict[str, float] = {}
    commit = re.search(r"registry ([\d.]+) s, freeze ([\d.]+) s, store ([\d.]+) s", log)
    execute = re.search(r"load ([\d.]+) s, draw ([\d.]+) s, store ([\d.]+) s", log)
    for prefix, match in (("commit", commit), ("execute", execute)):
        names = ("registry", "freeze", "store") if prefix == "commit" else ("load", "draw", "store")
        for name, value in zip(names, match.groups() if match else (), strict=False):
            found[f"{prefix}_{name}_s"] = float(value)
    return found


async def naive_sql(database: str, quotas: dict[str, int]) -> float:
    conn = await asyncpg.connect(f"{PG_BASE}/{database}")
    try:
        started = time.perf_counter()
        for stratum, k in sorted(quotas.items()):
            subtype = stratum.split("/")[1]
            await conn.fetch(
                "SELECT id FROM entities WHERE sector = 'special_trade' AND subtype = $1 ORDER BY random() LIMIT $2",
                subtype,
                k,
            )
        return time.perf_counter() - started
    finally:
        await conn.close()


def end_to_end(n: int, quotas: dict[str, int]) -> dict[str, float]:
    registry_url = asyncio.run(create_database("bench_registry"))
    draw_url = asyncio.run(migrated_database(service_dir("draw"), "bench_draw"))
    registry_db = registry_url.rsplit("/", 1)[1]
    token = base64.urlsafe_b64encode(os.urandom(18)).decode()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            asyncio.run(load_entities(registry_db, n))
            port = free_port()
            server = serve_in_thread(stand_in(registry_db), port)
            started = time.perf_counter()  # the export alone: the registry side of the commit
            httpx.get(
                f"http://127.0.0.1:{port}/v1/entities:export?sector=special_trade", timeout=300
            ).raise_for_status()
            export_s = time.perf_counter() - started
            proc, base = start_draw_api(draw_url, f"http://127.0.0.1:{port}", token, Path(tmp))
            try:
                idle, cpu = peak_rss_mib(proc.pid), cpu_seconds(proc.pid)
                figures = asyncio.run(through_api(base, token, n))
                figures |= {"api_peak_rss_mib": peak_rss_mib(proc.pid), "api_idle_rss_mib": idle}
                figures["registry_export_alone_s"] = export_s
                figures["end_to_end_api_cpu_s"] = cpu_seconds(proc.pid) - cpu
            finally:
                proc.terminate()
                proc.wait(30)
                server.should_exit = True
            figures |= phases((Path(tmp) / "api.log").read_text(encoding="utf-8"))
            figures["order_by_random_s"] = asyncio.run(naive_sql(registry_db, quotas))
            return figures
        finally:
            asyncio.run(drop_databases(registry_url, draw_url))


def main(n: int | None = None) -> dict[str, object]:
    n = n or int(os.environ.get("BENCH_POOL", "1000000"))
    pool, inspectors = make_pool(n)
    algo = run_algorithm(pool, inspectors)
    quotas = five_percent(pool)
    del pool
    e2e = end_to_end(n, quotas)
    naive = e2e.pop("order_by_random_s")
    result: dict[str, object] = {"pool": n, "strata": 2, "inspectors": 400, "team_size": 2}
    result |= {k: round(v, 3) if isinstance(v, float) else v for k, v in (algo | e2e).items()}
    result["order_by_random_s"] = round(naive, 3)
    result["ratio_algorithm_vs_order_by_random"] = round(algo["algorithm_s"] / naive, 2)
    result["ratio_end_to_end_vs_order_by_random"] = round(e2e["end_to_end_s"] / naive, 2)
    result["targets"] = {"algorithm_s": 2, "end_to_end_s": 10, "ratio_algorithm_vs_order_by_random": 3}
    result["load_average_1m"] = round(os.getloadavg()[0], 2)
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
