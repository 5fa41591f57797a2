"""Requests/s for a 100-item page of the public feed, served by real uvicorn processes on free
ports from real PostgreSQL, against a minimal FastAPI endpoint on the same uvicorn settings in the
same run. The load generator is a separate process: a small keep-alive HTTP/1.1 client on asyncio
streams (httpx would be the bottleneck, not the servers).

Figures:
- cold: no server page cache (DISCLOSURE_FEED_CACHE_SECONDS=0), no If-None-Match: every request
  queries PostgreSQL and renders the page;
- warm: the page cache on (a full page's items never move), no If-None-Match: 200 with the body;
- etag: the page cache on, If-None-Match with the current tag: 304;
- etag_cold: no page cache, If-None-Match: 304 after the query and render (the tag is a hash);
- app_healthz: the service app's own /healthz, i.e. the shared middleware stack on a trivial route.

Sizes: BENCH_FEED_ITEMS (150 releases), BENCH_FEED_PAGE (100), BENCH_FEED_SECONDS (3 per sample),
BENCH_FEED_ROUNDS (3 interleaved samples per figure, median reported), BENCH_FEED_CONNECTIONS (32).
About a minute in all."""

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi import FastAPI

HERE = Path(__file__).resolve().parent
minimal_app = FastAPI()


@minimal_app.get("/ping")
async def ping() -> dict[str, bool]:
    return {"ok": True}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _fill(url: str, count: int) -> None:
    """`count` published, sequenced releases, written through the service's own functions."""
    from disclosure import sequencer, service, workdays
    from disclosure.schemas import InspectionCompleted
    from shared.db import make_engine, make_sessionmaker

    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    rules, now = workdays.deadlines(), datetime.now(UTC)
    async with maker() as session, session.begin():
        for n in range(count):
            data = InspectionCompleted.model_validate(_inspection(n))
            await service.record_inspection(session, data=data, rules=rules, now=now)
    async with maker() as session, session.begin():
        for rid in (await service.list_results(session, status="pending", cursor=None, limit=count))[0]:
            await service.approve(session, result_id=rid["id"], approver="bench", note=None, now=now)
    await sequencer.sequence(maker)
    await engine.dispose()


def _inspection(n: int) -> dict[str, object]:
    """A completed inspection of realistic size: eight findings, two with notes, as the seed lists them."""
    findings = [{"item_code": f"entertainment.item{i}", "result": "compliant", "note": ""} for i in range(6)]
    findings += [
        {"item_code": "entertainment.filing", "result": "non_compliant", "note": "变更后未按规定到公安机关备案"},
        {"item_code": "entertainment.system", "result": "non_compliant", "note": "治安管理信息系统未按要求使用"},
    ]
    return {
        "inspection_id": f"i-bench-{n:06d}-{time.time_ns()}",
        "entity": {
            "id": f"ENT-{n:05d}",
            "name": f"抚顺市金色年华娱乐有限公司{n}号店",
            "credit_code": f"91210400MA{n:07d}X",
            "sector": "entertainment",
        },
        "team": ["INS-3", "INS-7"],
        "findings": findings,
        "outcome": {"type": "rectification_ordered", "rectification_deadline": "2026-12-31", "note": "限期30日整改"},
        "completed_at": "2026-11-20T02:30:00+00:00",
    }


def _serve(target: str, env: dict[str, str], app_dir: Path | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        target,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    if app_dir:
        command += ["--app-dir", str(app_dir)]
    if target.endswith("create_app"):
        command.append("--factory")
    process = subprocess.Popen(command, env=os.environ | env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(base + "/openapi.json", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{target} did not start")


async def _connection(host: str, port: int, request: bytes, until: float, expect: bytes) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    done = 0
    try:
        while time.perf_counter() < until:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(expect):
                raise RuntimeError(head.split(b"\r\n")[0].decode())
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                ),
                0,
            )
            await reader.readexactly(length)
            done += 1
    finally:
        writer.close()
    return done


async def _load(url: str, seconds: float, connections: int, etag: str | None, expect: str) -> float:
    parsed = httpx.URL(url)
    headers = f"GET {parsed.raw_path.decode()} HTTP/1.1\r\nHost: {parsed.host}\r\n"
    if etag:
        headers += f"If-None-Match: {etag}\r\n"
    request = (headers + "\r\n").encode()
    until = time.perf_counter() + seconds
    counts = await asyncio.gather(
        *(
            _connection(parsed.host, parsed.port or 80, request, until, f"HTTP/1.1 {expect}".encode())
            for _ in range(connections)
        )
    )
    return sum(counts) / seconds


def measure(url: str, *, etag: str | None = None, expect: str = "200") -> float:
    """Requests/s, counted by a load generator in its own process."""
    seconds, connections = os.environ.get("BENCH_FEED_SECONDS", "3"), os.environ.get("BENCH_FEED_CONNECTIONS", "32")
    command = [sys.executable, __file__, "--load", url, seconds, connections, etag or "", expect]
    done = subprocess.run(command, capture_output=True, text=True, timeout=float(seconds) + 60, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> dict[str, object]:
    from shared.testing import drop_databases, migrated_database

    items, page = int(os.environ.get("BENCH_FEED_ITEMS", "150")), int(os.environ.get("BENCH_FEED_PAGE", "100"))
    url = asyncio.run(migrated_database(HERE.parent / "services" / "disclosure", "bench_disclosure"))
    asyncio.run(_fill(url, items))
    env = {"DISCLOSURE_DATABASE_URL": url, "DISCLOSURE_LOG_JSON": "false", "DISCLOSURE_LOG_LEVEL": "WARNING"}
    env |= {
        "DISCLOSURE_PUBLIC_RATE_LIMIT_PER_MINUTE": "1000000000",
        "DISCLOSURE_EMBEDDED_BUS_PATH": "/tmp/bench-bus.sqlite",
    }
    servers = [
        _serve("disclosure_feed:minimal_app", {}, HERE),
        _serve("disclosure.main:create_app", env | {"DISCLOSURE_FEED_CACHE_SECONDS": "0"}),
        _serve("disclosure.main:create_app", env | {"DISCLOSURE_FEED_CACHE_SECONDS": "60"}),
    ]
    try:
        (_, minimal), (_, uncached), (_, cached) = servers
        path = f"/public/v1/feed?limit={page}"
        first = httpx.get(cached + path)
        assert len(first.json()["items"]) == page and first.headers["cache-control"].endswith("86400")
        tag = first.headers["etag"]
        runs: dict[str, tuple[str, str | None, str]] = {
            "minimal_fastapi_rps": (minimal + "/ping", None, "200"),
            "app_healthz_rps": (cached + "/healthz", None, "200"),
            "feed_cold_rps": (uncached + path, None, "200"),
            "feed_warm_rps": (cached + path, None, "200"),
            "feed_etag_rps": (cached + path, tag, "304"),
            "feed_etag_cold_rps": (uncached + path, tag, "304"),
        }
        # Interleaved rounds, median per figure: the machine's load drifts during a run.
        samples: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(int(os.environ.get("BENCH_FEED_ROUNDS", "3"))):
            for name, (target, etag, expect) in runs.items():
                samples[name].append(measure(target, etag=etag, expect=expect))
        figures = {name: statistics.median(values) for name, values in samples.items()}
        minimal_rps = figures["minimal_fastapi_rps"]
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(10)
        asyncio.run(drop_databases(url))
    result: dict[str, object] = {"items_in_feed": items, "page_items": page, "page_bytes": len(first.content)}
    result |= {k: round(v, 1) for k, v in figures.items()}
    for name in ("cold", "warm", "etag", "etag_cold"):
        result[f"ratio_{name}"] = round(figures[f"feed_{name}_rps"] / minimal_rps, 3)
    # The shared middleware stack alone (logging/metrics, idempotency, body limit) on a trivial route:
    # the ceiling any route of the service app can reach against the bare minimal endpoint.
    result["ratio_app_healthz"] = round(figures["app_healthz_rps"] / minimal_rps, 3)
    result["target_ratio"] = 0.3
    return result


if __name__ == "__main__":
    if sys.argv[1:2] == ["--load"]:
        target, secs, conns, tag, status = sys.argv[2:7]
        print(asyncio.run(_load(target, float(secs), int(conns), tag or None, status)))
    else:
        print(json.dumps(main(), ensure_ascii=False))
