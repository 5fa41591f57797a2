"""Notify, end to end with real `python -m notify.worker` process(es) on PostgreSQL and Kafka, and a
department receiver in its own process that verifies every signature:

- latency: an `ssj.inspection.completed` event produced to Kafka -> its webhook arriving at the
  receiver (p50 / p99 over BENCH_NOTIFY_EVENTS events sent at BENCH_NOTIFY_RATE a second);
  baselines in the same run: the same signed POST sent straight to the same receiver, and the bare
  Kafka hop (produce -> a plain consumer);
- throughput: BENCH_NOTIFY_DELIVERIES deliveries to a receiver that takes 200 ms per request;
  baselines: a sequential POST loop and a concurrent one (notify's concurrency limit, no queue,
  no database) to the same receiver.

Sending and arrival times are wall-clock times of one host, taken in different processes.
"""

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cryptography.fernet import Fernet
from fastapi import FastAPI, Request, Response
from pydantic import SecretStr
from standardwebhooks import Webhook

from notify import service
from notify.consumers import HANDLERS
from notify.db import messaging
from notify.models import Subscription
from notify.schemas import SubscriptionCreate
from notify.secretbox import SecretBox
from notify.webhooks import encode_body, new_secret, signed_headers
from shared.bus import ensure_topics
from shared.db import make_engine, make_sessionmaker
from shared.events import Event, encode
from shared.messaging import handle_once
from shared.settings import ServiceSettings
from shared.testing import KAFKA_BOOTSTRAP, drop_databases, migrated_database
from ssj_cli.stack import service_dir

EVENTS = int(os.environ.get("BENCH_NOTIFY_EVENTS", "1000"))
RATE = float(os.environ.get("BENCH_NOTIFY_RATE", "20"))
DELIVERIES = int(os.environ.get("BENCH_NOTIFY_DELIVERIES", "1000"))
CONCURRENCY = int(os.environ.get("BENCH_NOTIFY_CONCURRENCY", "50"))
WORKERS = int(os.environ.get("BENCH_NOTIFY_WORKERS", "1"))
SLOW_SECONDS = 0.2
SEQUENTIAL_POSTS = 25
COMPLETED = "ssj.inspection.completed"


def receiver_app(secret: str) -> FastAPI:
    """The department's side: /fast answers at once, /slow after 200 ms; /arrivals tells the bench."""
    webhook, app = Webhook(secret), FastAPI()
    arrived: dict[str, float] = {}  # CloudEvent id -> when its first webhook arrived
    answered: dict[str, float] = {}  # CloudEvent id -> when /slow answered it
    rejected: list[str] = []

    def take(body: bytes, request: Request) -> str | None:
        try:
            event_id = str(webhook.verify(body, dict(request.headers))["id"])
        except Exception as exc:
            rejected.append(str(exc))
            return None
        arrived.setdefault(event_id, time.time())
        return event_id

    @app.post("/fast")
    async def fast(request: Request) -> Response:
        return Response(status_code=204 if take(await request.body(), request) else 401)

    @app.post("/slow")
    async def slow(request: Request) -> Response:
        event_id = take(await request.body(), request)
        await asyncio.sleep(SLOW_SECONDS)
        if event_id:
            answered.setdefault(event_id, time.time())
        return Response(status_code=204 if event_id else 401)

    @app.get("/arrivals")
    async def arrivals() -> dict[str, Any]:
        return {"arrived": arrived, "answered": answered, "rejected": len(rejected)}

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def event(sector: str, event_type: str = COMPLETED) -> Event:
    n = uuid.uuid4().hex[:12]
    entity = {"id": f"E-{n}", "name": "基准", "credit_code": "-", "sector": sector, "subtype": "x"}
    data = {"inspection_id": f"i-{n}", "entity": entity, "outcome": {"type": "no_issues"}, "hazard": "疏散通道堵塞"}
    return Event(str(uuid.uuid4()), event_type, "/ssj/inspection", f"i-{n}", datetime.now(UTC), data)


async def until(check: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def percentiles(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {"p50_ms": round(cuts[49], 1), "p99_ms": round(cuts[98], 1), "max_ms": round(ms[-1], 1)}


class Bench:
    def __init__(self, database_url: str, base: str, secret: str) -> None:
        self.database_url, self.base, self.secret = database_url, base, secret
        self.key, self.prefix = Fernet.generate_key().decode(), f"bench{uuid.uuid4().hex[:8]}."
        self.engine = make_engine(database_url)
        self.sessionmaker = make_sessionmaker(self.engine)
        self.box = SecretBox(SecretStr(self.key))
        self.http = httpx.AsyncClient(timeout=30)

    async def arrivals(self) -> dict[str, Any]:
        response = await self.http.get(self.base + "/arrivals")
        response.raise_for_status()
        arrivals: dict[str, Any] = response.json()
        return arrivals

    async def wait_arrived(self, ids: list[str], what: str, key: str = "arrived") -> dict[str, float]:
        seen: dict[str, float] = {}

        async def all_there() -> bool:
            seen.update((await self.arrivals())[key])
            return all(i in seen for i in ids)

        await until(all_there, 300, what)
        return seen

    async def subscribe(self, department: str, path: str) -> str:
        data = SubscriptionCreate(department=department, url=self.base + path, secret=self.secret)
        async with self.sessionmaker() as session, session.begin():
            created, _ = await service.create_subscription(session, data=data, box=self.box)
        return created.id

    async def set_enabled(self, subscription_id: str, enabled: bool) -> None:
        async with self.sessionmaker() as session, session.begin():
            row = await session.get(Subscription, subscription_id)
            await service.set_enabled(session, subscription=row, enabled=enabled, by="bench")

    def start_worker(self, log: Path) -> subprocess.Popen[bytes]:
        env = os.environ | {
            "NOTIFY_DATABASE_URL": self.database_url,
            "NOTIFY_SECRET_KEY": self.key,
            "NOTIFY_BUS": "kafka",
            "NOTIFY_KAFKA_BOOTSTRAP": KAFKA_BOOTSTRAP,
            "NOTIFY_TOPIC_PREFIX": self.prefix,
            "NOTIFY_DELIVERY_CONCURRENCY": str(CONCURRENCY),
            "NOTIFY_LOG_JSON": "false",
            "NOTIFY_LOG_LEVEL": "WARNING",
        }
        with open(log, "ab") as out:
            return subprocess.Popen([sys.executable, "-m", "notify.worker"], stdout=out, stderr=out, env=env)


async def queue_held_deliveries(bench: Bench) -> tuple[str, list[str]]:
    """Deliveries to the slow endpoint, queued while its subscription is paused."""
    sub = await bench.subscribe("government", "/slow")
    ids = []
    for _ in range(DELIVERIES):
        fact = event("fire_safety", "ssj.inspection.listed_supervision_reported")
        await handle_once(bench.sessionmaker, messaging, "notify", HANDLERS, fact, None)
        ids.append(fact.id)
    await bench.set_enabled(sub, False)
    return sub, ids


async def throughput(bench: Bench, sub: str, ids: list[str]) -> dict[str, Any]:
    await bench.set_enabled(sub, True)
    arrived = await bench.wait_arrived(ids, "throughput deliveries")
    answered = await bench.wait_arrived(ids, "throughput answers", "answered")
    per_s = DELIVERIES / (max(answered[i] for i in ids) - min(arrived[i] for i in ids))
    sequential = SEQUENTIAL_POSTS / await direct_posts(bench, SEQUENTIAL_POSTS, 1)
    concurrent = DELIVERIES / await direct_posts(bench, DELIVERIES, CONCURRENCY)
    return {
        "deliveries": DELIVERIES,
        "receiver_ms_per_request": SLOW_SECONDS * 1000,
        "worker_concurrency": CONCURRENCY,
        "notify_deliveries_per_s": round(per_s, 1),
        "direct_sequential_posts_per_s": round(sequential, 1),
        "direct_concurrent_posts_per_s": round(concurrent, 1),
        "ratio_vs_sequential": round(per_s / sequential, 1),
        "ratio_vs_concurrent": round(per_s / concurrent, 2),
        "target_per_s": 50,
    }


def signed(secret: str) -> tuple[str, str, dict[str, str]]:
    """A CloudEvent id, its body and its signed headers."""
    event_id = str(uuid.uuid4())
    body = encode_body({"id": event_id, "type": COMPLETED, "data": {}})
    return event_id, body, signed_headers([secret], str(uuid.uuid4()), body, datetime.now(UTC))


async def direct_posts(bench: Bench, n: int, concurrency: int) -> float:
    """Seconds to POST n signed bodies to /slow, `concurrency` at a time: no queue, no database."""
    slots = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:

        async def post() -> None:
            async with slots:
                _, body, headers = signed(bench.secret)
                (await http.post(bench.base + "/slow", content=body, headers=headers)).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(post() for _ in range(n)))
        return time.perf_counter() - started


async def direct_latency(bench: Bench) -> list[float]:
    """Signed POSTs straight to /fast at the same pace, one-way like notify's figure."""
    sent: dict[str, float] = {}
    async with httpx.AsyncClient(timeout=30) as http:
        started = time.perf_counter()
        for n in range(EVENTS):
            await asyncio.sleep(max(0.0, started + n / RATE - time.perf_counter()))
            event_id, body, headers = signed(bench.secret)
            sent[event_id] = time.time()
            (await http.post(bench.base + "/fast", content=body, headers=headers)).raise_for_status()
    arrived = await bench.wait_arrived(list(sent), "direct posts")
    return [arrived[i] - sent[i] for i in sent]


async def produce_paced(producer: AIOKafkaProducer, topic: str, events: list[Event]) -> dict[str, float]:
    sent, started = {}, time.perf_counter()
    for n, e in enumerate(events):
        await asyncio.sleep(max(0.0, started + n / RATE - time.perf_counter()))
        message = encode(e, topic, e.data["inspection_id"])
        sent[e.id] = time.time()
        await producer.send(topic, message.value, key=message.key, headers=message.headers)
    return sent


async def kafka_hop(bench: Bench, producer: AIOKafkaProducer) -> list[float]:
    """The bare Kafka part of the path: produce -> a plain consumer has it."""
    topic = bench.prefix + "bench.hop"
    await ensure_topics(ServiceSettings(kafka_bootstrap=KAFKA_BOOTSTRAP), [topic])
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=KAFKA_BOOTSTRAP, group_id=topic, auto_offset_reset="latest")
    await consumer.start()
    got: dict[str, float] = {}

    async def read() -> None:
        async for record in consumer:
            got[dict(record.headers)["ce_id"].decode()] = time.time()

    async def assigned() -> bool:
        return bool(consumer.assignment())

    reader = asyncio.create_task(read())
    try:
        await until(assigned, 60, "the hop consumer's partitions")
        await asyncio.sleep(1)
        sent = await produce_paced(producer, topic, [event("security_service") for _ in range(EVENTS)])

        async def all_read() -> bool:
            return len(got) == len(sent)

        await until(all_read, 120, "the kafka hop")
    finally:
        reader.cancel()
        await consumer.stop()
    return [got[i] - sent[i] for i in sent]


async def latency(bench: Bench, producer: AIOKafkaProducer) -> dict[str, Any]:
    topic = bench.prefix + COMPLETED
    warm = event("security_service")  # also proves the worker's consumer has joined its group
    await produce_paced(producer, topic, [warm])
    await bench.wait_arrived([warm.id], "the warm-up webhook")
    sent = await produce_paced(producer, topic, [event("security_service") for _ in range(EVENTS)])
    arrived = await bench.wait_arrived(list(sent), "latency webhooks")
    notify = percentiles([arrived[i] - sent[i] for i in sent])
    direct = percentiles(await direct_latency(bench))
    hop = percentiles(await kafka_hop(bench, producer))
    return {
        "events": EVENTS,
        "events_per_s": RATE,
        "notify": notify,
        "direct_post": direct,
        "kafka_hop": hop,
        "p99_ratio_vs_direct_post": round(notify["p99_ms"] / direct["p99_ms"], 1),
        "p99_ratio_vs_kafka_hop": round(notify["p99_ms"] / hop["p99_ms"], 1),
        "target_p99_ms": 500,
    }


def start_receiver(secret: str, port: int) -> subprocess.Popen[bytes]:
    env = os.environ | {"BENCH_RECEIVER_SECRET": secret}
    return subprocess.Popen([sys.executable, __file__, "receiver", str(port)], env=env)


async def run() -> dict[str, Any]:
    url = await migrated_database(service_dir("notify"), "bench_notify")
    secret, port = new_secret(), free_port()
    receiver = start_receiver(secret, port)
    bench = Bench(url, f"http://127.0.0.1:{port}", secret)
    logs = [Path(tempfile.mkdtemp()) / f"notify-worker-{n}.log" for n in range(WORKERS)]
    workers: list[subprocess.Popen[bytes]] = []
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA_BOOTSTRAP, acks="all", enable_idempotence=True)
    try:
        await until(_answers(bench), 30, "the receiver")
        await bench.subscribe("market_regulation", "/fast")
        sub, ids = await queue_held_deliveries(bench)
        workers = [bench.start_worker(log) for log in logs]
        await ensure_topics(ServiceSettings(kafka_bootstrap=KAFKA_BOOTSTRAP), [bench.prefix + COMPLETED])
        await producer.start()
        results = {"throughput": await throughput(bench, sub, ids), "latency": await latency(bench, producer)}
        return results | {"rejected_signatures": (await bench.arrivals())["rejected"], "machine": machine()}
    except Exception:
        for log in logs:
            print(log.read_text(errors="replace")[-3000:] if log.exists() else "", file=sys.stderr)
        raise
    finally:
        await producer.stop()
        for process in [*workers, receiver]:
            process.terminate()
            process.wait(30)
        await bench.http.aclose()
        await bench.engine.dispose()
        await drop_databases(url)


def _answers(bench: Bench) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        try:
            await bench.arrivals()
            return True
        except httpx.HTTPError:
            return False

    return check


def machine() -> dict[str, Any]:
    """Shared dev boxes are noisy: the figures mean little without the load they ran under."""
    return {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2), "notify_workers": WORKERS}


def main() -> dict[str, Any]:
    return asyncio.run(run())


if __name__ == "__main__":
    if sys.argv[1:2] == ["receiver"]:
        app = receiver_app(os.environ["BENCH_RECEIVER_SECRET"])
        uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
    else:
        print(main())
