"""The delivery job: claim due deliveries under a lease, POST them signed, record what happened.

Several workers may run this at once. A claim bumps `attempts` and pushes `next_attempt_at` past
the send timeout inside the claiming transaction (rows locked with SKIP LOCKED on PostgreSQL, and
the update guarded by "still due" everywhere), so no two workers send one delivery concurrently.
The claim also writes the attempt to the log as unfinished: a worker that dies mid-send leaves
that entry, loses only its lease, and the delivery is sent again later with the same
`webhook-id`, which is what receivers deduplicate on (at-least-once).

Within a worker, up to `delivery_concurrency` sends are in flight at once; a slot that frees up
is refilled at once, so one slow receiver does not hold back the others.
"""

import asyncio
import logging
import os
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import ColumnElement, and_, case, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notify import attempts, retries, webhooks
from notify.attempts import Claim, Result
from notify.config import Settings
from notify.models import Delivery, DeliveryAttempt, Subscription
from notify.secretbox import SecretBox
from shared.db import is_postgres

log = logging.getLogger("ssj.notify.delivery")
UNFINISHED = "no result recorded: the worker stopped or lost its lease during the attempt"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class DeliveryDeps:
    http: httpx.AsyncClient
    box: SecretBox
    # Set by the consumer when it has queued deliveries: the job claims at once instead of polling.
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    worker: str = field(default_factory=worker_name)


@asynccontextmanager
async def delivery_deps(settings: Settings) -> AsyncIterator[DeliveryDeps]:
    """One pooled client per worker; redirects are not followed (a moved endpoint must re-subscribe)."""
    box = SecretBox(settings.secret_key)
    slots = settings.delivery_concurrency
    async with httpx.AsyncClient(
        timeout=settings.delivery_timeout_seconds,
        follow_redirects=False,
        headers={"user-agent": "ssj-notify/1.0"},
        limits=httpx.Limits(max_connections=slots, max_keepalive_connections=slots),
    ) as http:
        yield DeliveryDeps(http, box)


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(Delivery.status == "pending", Delivery.next_attempt_at <= now)


async def claim_due(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, deps: DeliveryDeps, limit: int
) -> list[Claim]:
    now = datetime.now(UTC)
    lease_until = now + timedelta(seconds=settings.lease_seconds)
    still_signing = Subscription.previous_secret_expires_at > now
    async with sessionmaker() as session, session.begin():
        query = (
            select(
                Delivery.id,
                Delivery.attempts_before_retry,
                Delivery.payload,
                Subscription.url,
                Subscription.secret_encrypted,
                case((still_signing, Subscription.previous_secret_encrypted), else_=None).label("previous"),
            )
            .join(Subscription, Delivery.subscription_id == Subscription.id)
            .where(_due(now), Subscription.enabled.is_(True))
            .order_by(Delivery.next_attempt_at)
            .limit(limit)
        )
        if is_postgres(session):
            query = query.with_for_update(skip_locked=True, of=Delivery)
        rows = {row.id: row for row in (await session.execute(query)).all()}
        if not rows:
            return []
        guard = (
            update(Delivery)
            .where(Delivery.id.in_(list(rows)), _due(now))  # another worker's claim made it not due (SQLite)
            .values(attempts=Delivery.attempts + 1, next_attempt_at=lease_until)
            .returning(Delivery.id, Delivery.attempts)
            .execution_options(synchronize_session=False)
        )
        claimed = [(row.id, row.attempts) for row in await session.execute(guard)]
        if claimed:
            await session.execute(insert(DeliveryAttempt), [_unfinished(i, n, now, deps.worker) for i, n in claimed])
        # Inside the transaction: a secret that does not decrypt (wrong NOTIFY_SECRET_KEY) undoes the claim.
        return [_claim(rows[i], n, deps.box) for i, n in claimed]


def _unfinished(delivery_id: str, attempt: int, at: datetime, worker: str) -> dict[str, object]:
    return {
        "delivery_id": delivery_id,
        "attempt": attempt,
        "attempted_at": at,
        "error": UNFINISHED,
        "duration_ms": 0,
        "worker": worker,
    }


def _claim(row: Any, attempt: int, box: SecretBox) -> Claim:
    secrets = [box.open(row.secret_encrypted)] + ([box.open(row.previous)] if row.previous else [])
    body = webhooks.encode_body(row.payload)
    return Claim(row.id, attempt, attempt - row.attempts_before_retry, row.url, tuple(secrets), body)


async def send(http: httpx.AsyncClient, claim: Claim, settings: Settings) -> Result:
    at = datetime.now(UTC)
    headers = webhooks.signed_headers(claim.secrets, claim.delivery_id, claim.body, at)
    started = time.monotonic()
    status_code = retry_after = error = None
    try:
        async with asyncio.timeout(settings.delivery_timeout_seconds):
            response = await http.post(claim.url, content=claim.body.encode(), headers=headers)
        status_code = response.status_code
        retry_after = retries.parse_retry_after(response.headers.get("retry-after"))
    except (TimeoutError, httpx.TimeoutException):
        error = f"timeout after {settings.delivery_timeout_seconds:g} s"
    except Exception as exc:  # connection refused, TLS, a malformed response: a failed attempt all the same
        error = f"{type(exc).__name__}: {exc}"[:500]
    duration_ms = round((time.monotonic() - started) * 1000)
    return Result(at, status_code, error, retry_after, duration_ms)


async def attempt(deps: DeliveryDeps, recorder: attempts.Recorder, claim: Claim, settings: Settings) -> None:
    result = await send(deps.http, claim, settings)
    try:
        await recorder.record(attempts.outcome(claim, result, settings))
    except Exception:  # the lease expires and the delivery is retried: at-least-once
        log.exception("could not record attempt %d of delivery %s", claim.attempt, claim.delivery_id)


async def deliver_forever(
    sessionmaker: async_sessionmaker[AsyncSession], deps: DeliveryDeps, settings: Settings, stop: asyncio.Event
) -> None:
    """Keep up to `delivery_concurrency` attempts in flight; on stop, finish those, claim no more."""
    recorder = attempts.Recorder(sessionmaker)
    recording = asyncio.create_task(recorder.run())
    in_flight: set[asyncio.Task[None]] = set()
    failures = 0
    try:
        while not stop.is_set():
            free = settings.delivery_concurrency - len(in_flight)
            if free <= 0:
                await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                continue
            wanted = min(free, settings.delivery_batch)
            deps.wake.clear()  # before the claim: a wake-up after it is not lost
            try:
                claims = await claim_due(sessionmaker, settings, deps, wanted)
                failures = 0
            except Exception:
                failures += 1
                log.exception("delivery claim failed (%d in a row); deliveries stay queued", failures)
                claims = []
            for claim in claims:
                task = asyncio.create_task(attempt(deps, recorder, claim, settings))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            if len(claims) < wanted:
                await _idle(stop, deps.wake, settings.delivery_poll_seconds * 2 ** min(failures, 6))
    finally:
        await asyncio.gather(*in_flight, return_exceptions=True)
        recording.cancel()


async def _idle(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
