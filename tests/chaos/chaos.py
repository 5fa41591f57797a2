"""make chaos: the outage-and-crash run and the scale-out measurement (issue 8).

Thousands of inspections are completed through the API of a system with two API and two worker
processes per service on PostgreSQL + Kafka, while every worker is SIGKILLed once and restarted,
Kafka is stopped for 30 s and restarted, and one outbox relay dies between send and mark. Then it
counts, from the databases and from the department webhook receiver, that every inspection has
exactly one disclosure result and exactly one delivery per routed department. Exit 1 on any loss
or duplicate. `--scale` instead measures drain throughput with one versus two workers per service.
"""

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from cryptography.fernet import Fernet
from tqdm import tqdm

from shared.testing import KAFKA_BOOTSTRAP, PG_BASE, create_database
from ssj_cli import demo
from ssj_cli.dev import DEPARTMENTS, new_webhook_secret, start_receiver
from ssj_cli.stack import SERVICES, Stack, StackConfig

ROOT = Path(__file__).resolve().parents[2]
ROUTED = ("culture_enforcement", "market_regulation")  # where entertainment results go (seed §4)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Run:
    stack: Stack
    config: StackConfig
    receiver: Any
    n: int
    events: list[str] = field(default_factory=list)

    def note(self, what: str) -> None:
        self.events.append(f"{time.strftime('%H:%M:%S')} {what}")
        tqdm.write(what)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.admin_token}"}


async def start(var: Path, n: int, workers: int) -> Run:
    urls = {name: await create_database(f"chaos_{name}") for name in SERVICES}
    fast = {
        name: {
            f"{name.upper()}_RELAY_INTERVAL_SECONDS": "0.05",
            f"{name.upper()}_KAFKA_PARTITIONS": "4",
            f"{name.upper()}_LOG_LEVEL": "WARNING",
        }
        for name in SERVICES
    }
    fast["notify"] |= {"NOTIFY_DELIVERY_POLL_SECONDS": "0.05", "NOTIFY_RETRY_SCHEDULE_SECONDS": "[0, 1, 2, 5, 10, 30]"}
    config = StackConfig(
        var_dir=var,
        database_urls=urls,
        bus="kafka",
        kafka_bootstrap=KAFKA_BOOTSTRAP,
        topic_prefix=f"chaos{uuid.uuid4().hex[:6]}.",
        ports={name: free_port() for name in SERVICES},
        admin_token=secrets.token_urlsafe(24),
        service_token=secrets.token_urlsafe(24),
        notify_secret_key=Fernet.generate_key().decode(),
        extra_env=fast,
        extra_api_ports={name: [free_port()] for name in SERVICES},
        workers=dict.fromkeys(SERVICES, workers),
    )
    config.write_callers()
    dept_secrets = {d: new_webhook_secret() for d in DEPARTMENTS}
    receiver_port = free_port()
    receiver = start_receiver(dept_secrets, receiver_port)
    stack = Stack(config, var / "logs")
    stack.migrate()
    stack.start()
    run = Run(stack, config, receiver, n)
    async with httpx.AsyncClient(headers=run.auth, timeout=60) as http:
        for dept, secret in dept_secrets.items():
            await _ok(
                http.post(
                    config.url("notify") + "/v1/subscriptions",
                    json={
                        "department": dept,
                        "url": f"http://127.0.0.1:{receiver_port}/hooks/{dept}",
                        "secret": secret,
                    },
                )
            )
    return run


async def _ok(request: Any) -> Any:
    response = await request
    if response.status_code >= 400:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.status_code} {response.text}")
    return response.json()


async def load_and_draw(run: Run) -> str:
    """n grade-A venues, one coverage draw over them: n inspection tasks."""
    venues = [
        {
            "id": f"CH-{i:06d}",
            "sector": "entertainment",
            "subtype": "venue",
            "name": f"抚顺混沌测试娱乐场所{i}",
            "credit_code": demo.credit_code(900000 + i),
            "division_code": demo.DISTRICTS[i % 7],
            "grade": "A",
        }
        for i in range(run.n)
    ]
    inspectors = [
        {
            "id": f"CHI-{i:03d}",
            "name": f"检查员{i}",
            "unit": "county_public_order",
            "jurisdiction": demo.DISTRICTS[i % 7],
            "qualification_expires_date": "2099-12-31",
        }
        for i in range(40)
    ]
    url = run.config.url
    async with httpx.AsyncClient(headers=run.auth, timeout=300) as http:
        for i in range(0, len(venues), 2000):
            await _ok(http.post(url("registry") + "/v1/entities:batch", json={"entities": venues[i : i + 2000]}))
        await _ok(http.post(url("registry") + "/v1/inspectors:batch", json={"inspectors": inspectors}))
        draw = await _ok(
            http.post(
                url("draw") + "/v1/draws",
                json={
                    "title": "混沌测试 full coverage",
                    "sector": "entertainment",
                    "quota": {"all": True},
                    "team_size": 2,
                    "inspector_units": ["county_public_order"],
                    "entropy_source": "chaos run",
                    "period": "2026-Q4",
                },
            )
        )
        await _ok(http.post(url("draw") + f"/v1/draws/{draw['id']}/execute", json={"external_entropy": "chaos"}))
    return str(draw["id"])


async def wait_for_tasks(run: Run, draw_id: str) -> tuple[list[tuple[str, list[str]]], list[str]]:
    async with httpx.AsyncClient(headers=run.auth, timeout=60) as http:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            ids, cursor = [], None
            while True:
                params: dict[str, Any] = {"draw_id": draw_id, "limit": 1000} | ({"cursor": cursor} if cursor else {})
                page = await _ok(http.get(run.config.url("inspection") + "/v1/inspections", params=params))
                ids += [(t["id"], t["team"]) for t in page["items"]]
                cursor = page.get("next_cursor")
                if not cursor:
                    break
            if len(ids) >= run.n:
                detail = await _ok(http.get(run.config.url("inspection") + f"/v1/inspections/{ids[0][0]}"))
                return ids, [item["code"] for item in detail["checklist"]]
            await asyncio.sleep(1)
    raise RuntimeError(f"only {len(ids)} of {run.n} tasks appeared")


async def complete_all(run: Run, ids: list[tuple[str, list[str]]], codes: list[str], chaos: bool) -> float:
    """Complete every inspection through both API instances; faults are injected along the way."""
    bodies = {"findings": [{"item_code": c, "result": "compliant"} for c in codes], "outcome": {"type": "no_issues"}}
    urls = run.config.urls("inspection")
    queue: asyncio.Queue[tuple[str, list[str]]] = asyncio.Queue()
    for task in ids:
        queue.put_nowait(task)
    bar = tqdm(total=len(ids), desc="completing inspections", unit="insp")
    faults = asyncio.create_task(inject_faults(run, bar)) if chaos else None

    async def worker(k: int) -> None:
        async with httpx.AsyncClient(headers=run.auth, timeout=60) as http:
            while not queue.empty():
                inspection_id, team = queue.get_nowait()
                await complete_one(http, urls[k % len(urls)], inspection_id, team, bodies)
                bar.update()

    started = time.monotonic()
    await asyncio.gather(*(worker(k) for k in range(16)))
    bar.close()
    if faults:
        await faults
    return time.monotonic() - started


async def complete_one(
    http: httpx.AsyncClient, base: str, inspection_id: str, team: list[str], body: dict[str, Any]
) -> None:
    """The two-officer rule: the first officer submits, the second confirms the same draft."""
    draft = await _post(http, f"{base}/v1/inspections/{inspection_id}/complete", body, team[0], f"c-{inspection_id}")
    await _post(
        http,
        f"{base}/v1/inspections/{inspection_id}/confirmations",
        {"draft_sha256": draft["draft"]["sha256"]},
        team[1],
        f"k-{inspection_id}",
    )


async def _post(http: httpx.AsyncClient, url: str, body: dict[str, Any], officer: str, key: str) -> Any:
    """Retries are safe: the Idempotency-Key makes a repeated request answer like the first."""
    headers = {"Idempotency-Key": key, "X-Inspector-Id": officer}
    for attempt in range(30):
        try:
            r = await http.post(url, json=body, headers=headers)
            if r.status_code in (200, 201, 202):
                return r.json()
            if r.status_code < 500 and r.status_code != 409:
                raise RuntimeError(f"{url}: {r.status_code} {r.text}")
        except httpx.TransportError:
            pass
        await asyncio.sleep(min(0.2 * 2**attempt, 5))
    raise RuntimeError(f"{url}: gave up")


async def inject_faults(run: Run, bar: tqdm) -> None:
    async def reach(fraction: float) -> None:
        while bar.n < fraction * run.n:
            await asyncio.sleep(0.2)

    await reach(0.15)
    for name in SERVICES:
        key = f"{name}-worker"
        run.stack.stop_process(key, signal.SIGKILL)
        run.note(f"SIGKILLed {key}")
        await asyncio.sleep(1)
        run.stack.start_worker(name)
    await reach(0.35)
    await asyncio.to_thread(kafka, "stop")
    run.note("Kafka stopped")
    await asyncio.sleep(30)
    await asyncio.to_thread(kafka, "restart")
    run.note("Kafka restarted")
    await reach(0.6)
    run.stack.stop_process("inspection-worker")
    run.stack.start_worker("inspection", {"INSPECTION_CHAOS_RELAY_EXIT_AFTER_SEND": "true"})
    proc = run.stack.procs["inspection-worker"]
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    if proc.returncode != 137:
        run.note("FAULT NOT EXERCISED: the inspection relay never had an event to die on")
    else:
        run.note("inspection relay died between send and mark (exit 137)")
    run.stack.stop_process("inspection-worker")
    run.stack.start_worker("inspection")


def kafka(action: str) -> None:
    subprocess.run([str(ROOT / "deploy/local/kafka.sh"), action], check=True)
    host, _, port = KAFKA_BOOTSTRAP.rpartition(":")
    with socket.socket() as s:
        up = s.connect_ex((host, int(port))) == 0
    if up != (action == "restart"):
        raise RuntimeError(f"kafka.sh {action} did not take effect (was Kafka started by make chaos?)")


async def counts(run: Run) -> dict[str, Any]:
    """Exactly-once accounting from the disclosure database and the receiver."""
    db = run.config.database_urls["disclosure"].rsplit("/", 1)[1]
    conn = await asyncpg.connect(f"{PG_BASE}/{db}")
    try:
        rows = await conn.fetch("SELECT inspection_id, count(*) AS n FROM results GROUP BY inspection_id")
    finally:
        await conn.close()
    per_inspection = {r["inspection_id"]: r["n"] for r in rows}
    delivered: Counter[tuple[str, str]] = Counter()
    for message in list(run.receiver.config.app.state.inbox.received.values()):
        delivered[(message["event"]["data"]["inspection_id"], message["department"])] += 1
    expected_pairs = len(per_inspection) * len(ROUTED)
    return {
        "inspections": run.n,
        "disclosure_lost": run.n - len(per_inspection),
        "disclosure_duplicated": sum(n - 1 for n in per_inspection.values()),
        "deliveries_expected": run.n * len(ROUTED),
        "deliveries_lost": run.n * len(ROUTED) - len(delivered) if len(per_inspection) == run.n else None,
        "deliveries_duplicated": sum(n - 1 for n in delivered.values()),
        "receiver_redeliveries_deduplicated": run.receiver.config.app.state.inbox.duplicates,
        "delivery_pairs_seen": len(delivered),
        "_complete": len(per_inspection) == run.n and len(delivered) >= expected_pairs,
    }


async def drain(run: Run, timeout: float) -> tuple[float, dict[str, Any]]:
    started = time.monotonic()
    while True:
        result = await counts(run)
        if result["_complete"] or time.monotonic() - started > timeout:
            return time.monotonic() - started, result
        await asyncio.sleep(1)


async def one_run(n: int, workers: int, chaos: bool) -> dict[str, Any]:
    var = ROOT / "var" / f"chaos-{uuid.uuid4().hex[:6]}"
    run = await start(var, n, workers)
    try:
        draw_id = await load_and_draw(run)
        ids, codes = await wait_for_tasks(run, draw_id)
        completing = await complete_all(run, ids, codes, chaos)
        drained, result = await drain(run, timeout=900)
        await asyncio.sleep(5)  # a late duplicate would show up here
        result = await counts(run)
    finally:
        run.stack.stop()
        run.receiver.should_exit = True
    result.pop("_complete")
    return result | {
        "workers_per_service": workers,
        "completion_s": round(completing, 1),
        "drain_after_last_completion_s": round(drained, 1),
        "end_to_end_per_s": round(n / (completing + drained), 1),
        "faults": run.events,
        "logs": str(var),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inspections", type=int, default=int(os.environ.get("CHAOS_INSPECTIONS", "10000")))
    parser.add_argument("--scale", action="store_true", help="throughput with 1 vs 2 workers, no faults")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind so the stack's processes stop too
    if args.scale:
        report = {f"{w}_workers": asyncio.run(one_run(args.inspections, w, chaos=False)) for w in (1, 2)}
        report["speedup"] = round(report["2_workers"]["end_to_end_per_s"] / report["1_workers"]["end_to_end_per_s"], 2)
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    report = asyncio.run(one_run(args.inspections, 2, chaos=True))
    print(json.dumps(report, indent=2, ensure_ascii=False))
    bad = (
        report["disclosure_lost"]
        or report["disclosure_duplicated"]
        or report["deliveries_duplicated"]
        or report["deliveries_lost"] is None
        or report["deliveries_lost"]
    )
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
