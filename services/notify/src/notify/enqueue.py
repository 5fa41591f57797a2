"""What gets queued for sending: facts routed into notifications (one per event and department,
naming the rule version), deliveries (one per notification and subscription), manual retry and
replay. Nothing here sends; the delivery job does."""

import logging
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from notify import routing, rulebook, webhooks
from notify.models import Delivery, Department, Notification, Subscription
from shared.events import Event
from shared.messaging import insert_ignore
from shared.problems import Conflict

log = logging.getLogger("ssj.notify")


async def enqueue_deliveries(session: AsyncSession, *, event: Event, fact: routing.Fact) -> int:
    """Insert-or-ignore on (event_id, department) and (event_id, subscription_id): a replayed event
    queues nothing twice. Departments a joint check names but notify does not know are logged."""
    routes = await _known(session, event, routing.route(await rulebook.active_rules(session), fact), fact)
    if not routes:
        log.info("event %s (%s) routes to no department", event.id, fact)
        return 0
    now, payload = datetime.now(UTC), webhooks.cloudevent_payload(event)
    notifications = [
        Notification(
            event_id=event.id,
            department=r.department,
            event_type=event.type,
            rule_id=r.rule_id,
            rule_version=r.rule_version,
            payload=payload,
            received_at=now,
        )
        for r in routes
    ]
    await _insert_ignore(session, Notification, [_row(n) for n in notifications], ["event_id", "department"])
    departments = [r.department for r in routes]
    query = select(Subscription).where(Subscription.department.in_(departments), Subscription.enabled.is_(True))
    subscriptions = [s for s in await session.scalars(query) if event.type in s.event_types]
    by_department = {n.department: n for n in notifications}
    queued = await _queue(session, [(by_department[s.department], s) for s in subscriptions], now)
    log.info(
        "event %s routed to %s: %d deliveries",
        event.id,
        ", ".join(f"{r.department} via {r.rule_id} v{r.rule_version}" for r in routes),
        queued,
    )
    return queued


async def _known(
    session: AsyncSession, event: Event, routes: list[routing.Route], fact: routing.Fact
) -> list[routing.Route]:
    """Routes to departments notify knows. Rules name known departments (checked when written);
    a joint check may name any code, so those are looked up."""
    if not fact.participants:
        return routes
    named = select(Department.code).where(Department.code.in_(fact.participants))
    known = set(await session.scalars(named))
    unknown = {code for code in fact.participants if code not in known}
    if dropped := [r.department for r in routes if r.department in unknown]:
        log.warning("event %s names departments notify does not know: %s", event.id, ", ".join(dropped))
    return [r for r in routes if r.department not in unknown]


def _row(model: Any) -> dict[str, Any]:
    return {c.key: getattr(model, c.key) for c in model.__table__.columns}


async def _insert_ignore(session: AsyncSession, model: Any, rows: list[dict[str, Any]], keys: list[str]) -> None:
    if rows:
        await session.execute(insert_ignore(session, model).on_conflict_do_nothing(index_elements=keys), rows)


async def _queue(session: AsyncSession, pairs: Iterable[tuple[Notification, Subscription]], now: datetime) -> int:
    """New deliveries (new webhook-ids), due now."""
    rows = [
        {
            "id": str(uuid.uuid4()),
            "event_id": n.event_id,
            "event_type": n.event_type,
            "department": n.department,
            "subscription_id": s.id,
            "rule_id": n.rule_id,
            "rule_version": n.rule_version,
            "payload": n.payload,
            "status": "pending",
            "attempts": 0,
            "attempts_before_retry": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for n, s in pairs
    ]
    await _insert_ignore(session, Delivery, rows, ["event_id", "subscription_id"])
    return len(rows)


def _require_enabled(subscription: Subscription | None, field: str) -> None:
    if subscription is None or not subscription.enabled:
        detail = "enable the subscription first (PATCH /v1/subscriptions/{id})"
        raise Conflict("subscription-disabled", detail, field=field)


async def retry_delivery(session: AsyncSession, *, delivery: Delivery) -> Delivery:
    """A dead delivery gets a fresh retry schedule, starting now; its attempt log is kept."""
    if delivery.status != "dead":
        raise Conflict(
            "delivery-not-dead", f"only dead deliveries are retried; this one is {delivery.status}", field="status"
        )
    _require_enabled(await session.get(Subscription, delivery.subscription_id), "subscription_id")
    delivery.status, delivery.next_attempt_at = "pending", datetime.now(UTC)
    delivery.attempts_before_retry = delivery.attempts
    await session.flush()
    return delivery


async def replay(session: AsyncSession, *, subscription: Subscription, since: datetime) -> dict[str, int]:
    """Send again everything routed to the subscription's department since `since`.

    A delivery that exists keeps its id, so the webhook-id is the original one and a receiver that
    already has it drops the copy; a receiver that lost it takes it. Events the subscription never
    had a delivery for (it was paused, disabled by a 410, or did not exist yet) get new ones."""
    _require_enabled(subscription, "enabled")
    now = datetime.now(UTC)
    routed = select(Notification.event_id).where(
        Notification.department == subscription.department,
        Notification.received_at >= since,
        Notification.event_type.in_(subscription.event_types),
    )
    mine = (Delivery.subscription_id == subscription.id, Delivery.event_id.in_(routed))
    still_pending = select(func.count()).select_from(Delivery).where(*mine, Delivery.status == "pending")
    pending = await session.scalar(still_pending)
    requeue = (
        update(Delivery)
        .where(*mine, Delivery.status != "pending")
        .values(status="pending", next_attempt_at=now, attempts_before_retry=Delivery.attempts)
        .execution_options(synchronize_session=False)
    )
    requeued: Any = await session.execute(requeue)
    has_delivery = select(Delivery.id).where(
        Delivery.subscription_id == subscription.id, Delivery.event_id == Notification.event_id
    )
    missing = routed.with_only_columns(Notification).where(~has_delivery.exists())
    created = await _queue(session, [(n, subscription) for n in await session.scalars(missing)], now)
    return {"requeued": requeued.rowcount, "created": created, "already_pending": pending or 0}
