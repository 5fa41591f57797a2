"""The delivery job: claim due deliveries under a lease, POST them signed, record what happened.

Several workers may run this at once. A claim bumps `attempts` and pushes `next_attempt_at` past
the send timeout inside the claiming transaction (rows locked with SKIP LOCKED on PostgreSQL, and
guarded by the attempt count everywhere), so no two workers send one delivery concurrently. A
worker that dies mid-send loses only its lease: the delivery is sent again later, with the same
`webhook-id`, which is what receivers deduplicate on (at-least-once).
"""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notify import events, retries, webhooks
from notify.config import Settings
from notify.models import Delivery, DeliveryAttempt, Subscription
from notify.secretbox import SecretBox
from shared.db import is_postgres

log = logging.getLogger("ssj.notify.delivery")


@dataclass(frozen=True)
class DeliveryDeps:
    http: httpx.AsyncClient
    box: SecretBox


@asynccontextmanager
async def delivery_deps(settings: Settings) -> AsyncIterator[DeliveryDeps]:
    """One pooled client per worker; redirects are not followed (a moved endpoint must re-subscribe)."""
    box = SecretBox(settings.secret_key)
    async with httpx.AsyncClient(
        timeout=settings.delivery_timeout_seconds, follow_redirects=False, headers={"user-agent": "ssj-notify/1.0"}
    ) as http:
        yield DeliveryDeps(http, box)


@dataclass(frozen=True)
class Claim:
    delivery_id: str
    attempt: int
    attempt_in_round: int
    url: str
    secret: str
    body: str


@dataclass(frozen=True)
class Result:
    at: datetime
    status_code: int | None
    error: str | None
    retry_after: float | None
    duration_ms: int


async def claim_due(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, box: SecretBox) -> list[Claim]:
    now = datetime.now(UTC)
    async with sessionmaker() as session, session.begin():
        query = (
            select(
                Delivery.id,
                Delivery.attempts,
                Delivery.attempts_before_retry,
                Delivery.payload,
                Subscription.url,
                Subscription.secret_encrypted,
            )
            .join(Subscription, Delivery.subscription_id == Subscription.id)
            .where(Delivery.status == "pending", Delivery.next_attempt_at <= now, Subscription.enabled.is_(True))
            .order_by(Delivery.next_attempt_at)
            .limit(settings.delivery_batch)
        )
        if is_postgres(session):
            query = query.with_for_update(skip_locked=True, of=Delivery)
        lease_until = now + timedelta(seconds=settings.lease_seconds)
        claims = []
        for row in (await session.execute(query)).all():
            guard = (
                update(Delivery)
                .where(Delivery.id == row.id, Delivery.status == "pending", Delivery.attempts == row.attempts)
                .values(attempts=row.attempts + 1, next_attempt_at=lease_until)
                .returning(Delivery.id)
                .execution_options(synchronize_session=False)
            )
            if await session.scalar(guard) is None:
                continue  # another worker claimed it between our read and our write (SQLite)
            claims.append(
                Claim(
                    row.id,
                    row.attempts + 1,
                    row.attempts + 1 - row.attempts_before_retry,
                    row.url,
                    box.open(row.secret_encrypted),
                    webhooks.encode_body(row.payload),
                )
            )
    return claims


async def send(http: httpx.AsyncClient, claim: Claim, settings: Settings) -> Result:
    at = datetime.now(UTC)
    headers = webhooks.signed_headers(claim.secret, claim.delivery_id, claim.body, at)
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


async def record(
    sessionmaker: async_sessionmaker[AsyncSession], claim: Claim, result: Result, settings: Settings
) -> None:
    async with sessionmaker() as session, session.begin():
        session.add(
            DeliveryAttempt(
                delivery_id=claim.delivery_id,
                attempt=claim.attempt,
                attempted_at=result.at,
                status_code=result.status_code,
                error=result.error,
                duration_ms=result.duration_ms,
            )
        )
        delivery = await session.get(Delivery, claim.delivery_id, with_for_update=True)
        if delivery is None or delivery.status != "pending" or delivery.attempts != claim.attempt:
            log.warning(
                "delivery %s attempt %d finished after its lease; result logged only", claim.delivery_id, claim.attempt
            )
            return
        decision = retries.decide(
            schedule=settings.retry_schedule_seconds,
            attempt_in_round=claim.attempt_in_round,
            status_code=result.status_code,
            retry_after=result.retry_after,
        )
        await _apply(session, delivery, result, decision)
    log.info(
        "delivery %s attempt %d -> %s (%s)",
        claim.delivery_id,
        claim.attempt,
        decision.status,
        result.status_code or result.error,
    )


async def _apply(session: AsyncSession, delivery: Delivery, result: Result, decision: retries.Decision) -> None:
    now = datetime.now(UTC)
    delivery.status, delivery.last_status, delivery.last_error = decision.status, result.status_code, result.error
    delivery.next_attempt_at = (
        now + timedelta(seconds=decision.delay_seconds) if decision.delay_seconds is not None else None
    )
    if decision.status == "delivered":
        delivery.delivered_at = now
    if decision.disable_subscription:
        subscription = await session.get(Subscription, delivery.subscription_id)
        if subscription is not None:
            subscription.enabled, subscription.disabled_reason = False, "receiver answered 410 Gone"
    await session.flush()
    if decision.status == "dead":
        await events.delivery_dead_lettered(session, delivery)


async def deliver_due(sessionmaker: async_sessionmaker[AsyncSession], deps: DeliveryDeps, settings: Settings) -> int:
    """One round: claim a batch, send it concurrently, record each result in its own transaction."""
    claims = await claim_due(sessionmaker, settings, deps.box)
    results = await asyncio.gather(*(send(deps.http, claim, settings) for claim in claims))
    for claim, result in zip(claims, results, strict=True):
        try:
            await record(sessionmaker, claim, result, settings)
        except Exception:  # the lease expires and the delivery is retried: at-least-once
            log.exception("could not record attempt %d of delivery %s", claim.attempt, claim.delivery_id)
    return len(claims)


async def deliver_forever(
    sessionmaker: async_sessionmaker[AsyncSession], deps: DeliveryDeps, settings: Settings, stop: asyncio.Event
) -> None:
    failures = 0
    while not stop.is_set():
        try:
            claimed = await deliver_due(sessionmaker, deps, settings)
            failures = 0
        except Exception:
            failures += 1
            log.exception("delivery round failed (%d in a row); deliveries stay queued", failures)
            claimed = 0
        if claimed < settings.delivery_batch:
            await _sleep_or_stop(stop, settings.delivery_poll_seconds * 2 ** min(failures, 6))


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
