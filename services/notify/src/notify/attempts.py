"""Attempt results, recorded: the attempt log entry the claim opened is completed, and the delivery
moves on (delivered, retried later, or dead) unless its lease was lost meanwhile.

Results that come back together are written in one transaction (the Recorder), so a worker with
fifty requests in flight against a slow receiver does not spend fifty transactions on them.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notify import events, retries
from notify.config import Settings
from notify.models import Delivery, DeliveryAttempt, Subscription

log = logging.getLogger("ssj.notify.delivery")
MOST_PER_TRANSACTION = 200
_attempts, _deliveries = DeliveryAttempt.__table__, Delivery.__table__
# Completes the log entry the claim opened.
_LOG = (
    update(_attempts)
    .where(_attempts.c.delivery_id == bindparam("b_id"), _attempts.c.attempt == bindparam("b_attempt"))
    .values(
        attempted_at=bindparam("b_at"),
        status_code=bindparam("b_code"),
        error=bindparam("b_error"),
        duration_ms=bindparam("b_ms"),
    )
)
# Guarded by the attempt number: a result that comes back after its lease expired and another
# worker claimed the delivery again changes nothing but the log.
_GUARD = (_deliveries.c.status == "pending", _deliveries.c.attempts == bindparam("b_attempt"))
_MOVE = (
    update(_deliveries)
    .where(_deliveries.c.id == bindparam("b_id"), *_GUARD)
    .values(
        status=bindparam("b_status"),
        last_status=bindparam("b_code"),
        last_error=bindparam("b_error"),
        next_attempt_at=bindparam("b_next"),
        delivered_at=bindparam("b_delivered"),
    )
)


@dataclass(frozen=True)
class Claim:
    delivery_id: str
    attempt: int
    attempt_in_round: int
    url: str
    secrets: tuple[str, ...]
    body: str


@dataclass(frozen=True)
class Result:
    at: datetime
    status_code: int | None
    error: str | None
    retry_after: float | None
    duration_ms: int


@dataclass(frozen=True)
class Outcome:
    claim: Claim
    result: Result
    decision: retries.Decision

    def params(self, now: datetime) -> dict[str, Any]:
        delay = self.decision.delay_seconds
        return {
            "b_id": self.claim.delivery_id,
            "b_attempt": self.claim.attempt,
            "b_at": self.result.at,
            "b_code": self.result.status_code,
            "b_error": self.result.error,
            "b_ms": self.result.duration_ms,
            "b_status": self.decision.status,
            "b_next": now + timedelta(seconds=delay) if delay is not None else None,
            "b_delivered": now if self.decision.status == "delivered" else None,
        }

    @property
    def has_consequences(self) -> bool:
        return self.decision.status == "dead" or self.decision.disable_subscription


def outcome(claim: Claim, result: Result, settings: Settings) -> Outcome:
    decision = retries.decide(
        schedule=settings.retry_schedule_seconds,
        attempt_in_round=claim.attempt_in_round,
        status_code=result.status_code,
        retry_after=result.retry_after,
    )
    return Outcome(claim, result, decision)


async def record(sessionmaker: async_sessionmaker[AsyncSession], outcomes: list[Outcome]) -> None:
    """One transaction for all of them. Delivered and retried ones are plain guarded updates;
    dead ones (and 410s) are also announced, so they are written one by one."""
    now = datetime.now(UTC)
    plain = [o.params(now) for o in outcomes if not o.has_consequences]
    async with sessionmaker() as session, session.begin():
        await session.execute(_LOG, [o.params(now) for o in outcomes])
        if plain:
            await session.execute(_MOVE, plain)
        for o in outcomes:
            if o.has_consequences:
                await _finish(session, o, now)
    for o in outcomes:
        log.info(
            "delivery %s attempt %d -> %s (%s)",
            o.claim.delivery_id,
            o.claim.attempt,
            o.decision.status,
            o.result.status_code or o.result.error,
        )


async def _finish(session: AsyncSession, o: Outcome, now: datetime) -> None:
    """410 disables the endpoint; a dead delivery is announced so operations can follow up."""
    moved = await session.execute(_MOVE.returning(_deliveries.c.subscription_id), o.params(now))
    subscription_id = moved.scalar()
    if subscription_id is None:
        log.warning("delivery %s attempt %d finished after its lease", o.claim.delivery_id, o.claim.attempt)
        return
    if o.decision.disable_subscription:
        await session.execute(
            update(Subscription)
            .where(Subscription.id == subscription_id)
            .values(enabled=False, disabled_reason="receiver answered 410 Gone")
        )
    if o.decision.status == "dead":
        delivery = await session.get(Delivery, o.claim.delivery_id)
        assert delivery is not None
        await events.delivery_dead_lettered(session, delivery)


class Recorder:
    """Sends wait here until their result is written; whatever has arrived meanwhile goes along."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._queue: asyncio.Queue[tuple[Outcome, asyncio.Future[None]]] = asyncio.Queue()

    async def record(self, o: Outcome) -> None:
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put((o, written))
        await written

    async def run(self) -> None:
        """Until cancelled, after the last send has been recorded."""
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < MOST_PER_TRANSACTION:
                batch.append(self._queue.get_nowait())
            try:
                await record(self._sessionmaker, [o for o, _ in batch])
            except Exception as exc:  # the leases expire and the deliveries are retried: at-least-once
                for _, written in batch:
                    written.set_exception(exc)
            else:
                for _, written in batch:
                    written.set_result(None)
