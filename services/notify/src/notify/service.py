"""Notify rules: subscriptions, routing results to deliveries, and the operator's view of them."""

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from notify import routing, webhooks
from notify.models import Delivery, DeliveryAttempt, Department, RoutingRule, Subscription
from notify.schemas import DepartmentCreate, SubscriptionCreate
from notify.secretbox import SecretBox
from shared.db import is_postgres
from shared.events import Event
from shared.paging import decode_cursor, encode_cursor
from shared.problems import Conflict, InvalidField

log = logging.getLogger("ssj.notify")


async def create_department(session: AsyncSession, *, data: DepartmentCreate) -> Department:
    if await session.get(Department, data.code) is not None:
        raise Conflict("department-exists", f"department {data.code!r} already exists", field="code")
    department = Department(**data.model_dump())
    session.add(department)
    await session.flush()
    return department


async def create_subscription(
    session: AsyncSession,
    *,
    data: SubscriptionCreate,
    box: SecretBox,
) -> tuple[Subscription, str | None]:
    """Returns the subscription and the secret when notify generated it (shown once, then only sealed)."""
    if await session.get(Department, data.department) is None:
        raise InvalidField("department", f"unknown department {data.department!r}; see GET /v1/departments")
    duplicate = select(Subscription.id).where(
        Subscription.department == data.department, Subscription.url == data.url, Subscription.enabled.is_(True)
    )
    if await session.scalar(duplicate) is not None:
        raise Conflict("subscription-exists", "an enabled subscription of this department has this url", field="url")
    secret = data.secret or webhooks.new_secret()
    subscription = Subscription(
        id=str(uuid.uuid4()),
        department=data.department,
        url=data.url,
        secret_encrypted=box.seal(secret),
        event_types=list(dict.fromkeys(data.event_types)),
        enabled=True,
        created_at=datetime.now(UTC),
    )
    session.add(subscription)
    await session.flush()
    return subscription, None if data.secret else secret


async def set_enabled(session: AsyncSession, *, subscription: Subscription, enabled: bool, by: str) -> Subscription:
    """Disabling pauses delivery: pending deliveries wait and resume when re-enabled."""
    subscription.enabled = enabled
    subscription.disabled_reason = None if enabled else f"disabled by {by}"
    await session.flush()
    return subscription


async def active_rules(session: AsyncSession) -> list[routing.Rule]:
    rows = await session.scalars(select(RoutingRule).where(RoutingRule.active.is_(True)).order_by(RoutingRule.id))
    return [
        routing.Rule(
            r.id,
            r.version,
            tuple(r.departments),
            frozenset(r.sectors) if r.sectors is not None else None,
            frozenset(r.outcomes) if r.outcomes is not None else None,
            r.description_zh,
        )
        for r in rows
    ]


async def enqueue_deliveries(session: AsyncSession, *, event: Event, sector: str, outcome: str) -> int:
    """One pending delivery per routed department's enabled subscription to this event type.

    Insert-or-ignore on (event_id, subscription_id): a replayed event cannot deliver twice."""
    routes = {r.department: r for r in routing.route(await active_rules(session), sector=sector, outcome=outcome)}
    if not routes:
        log.info("event %s (%s, %s) routes to no department", event.id, sector, outcome)
        return 0
    query = select(Subscription).where(Subscription.department.in_(routes), Subscription.enabled.is_(True))
    subscriptions = [s for s in await session.scalars(query) if event.type in s.event_types]
    now, payload = datetime.now(UTC), webhooks.cloudevent_payload(event)
    rows = [
        {
            "id": str(uuid.uuid4()),
            "event_id": event.id,
            "event_type": event.type,
            "department": s.department,
            "subscription_id": s.id,
            "rule_id": routes[s.department].rule_id,
            "rule_version": routes[s.department].rule_version,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "attempts_before_retry": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for s in subscriptions
    ]
    if rows:
        dialect = postgresql if is_postgres(session) else sqlite
        insert = dialect.insert(Delivery).on_conflict_do_nothing(index_elements=["event_id", "subscription_id"])
        await session.execute(insert, rows)
    log.info(
        "event %s (%s, %s) routed to %s: %d deliveries",
        event.id,
        sector,
        outcome,
        ", ".join(f"{d} via {r.rule_id}" for d, r in routes.items()),
        len(rows),
    )
    return len(rows)


async def attempt_log(session: AsyncSession, *, delivery: Delivery) -> list[DeliveryAttempt]:
    query = select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery.id)
    return list(await session.scalars(query.order_by(DeliveryAttempt.attempt)))


async def retry_delivery(session: AsyncSession, *, delivery: Delivery) -> Delivery:
    """A dead delivery gets a fresh retry schedule, starting now; its attempt log is kept."""
    if delivery.status != "dead":
        raise Conflict(
            "delivery-not-dead", f"only dead deliveries are retried; this one is {delivery.status}", field="status"
        )
    subscription = await session.get(Subscription, delivery.subscription_id)
    if subscription is None or not subscription.enabled:
        raise Conflict(
            "subscription-disabled",
            "enable the subscription first (PATCH /v1/subscriptions/{id})",
            field="subscription_id",
        )
    delivery.status, delivery.next_attempt_at = "pending", datetime.now(UTC)
    delivery.attempts_before_retry = delivery.attempts
    await session.flush()
    return delivery


async def page(
    session: AsyncSession,
    model: Any,
    filters: list[Any],
    cursor: str | None,
    limit: int,
) -> tuple[list[Any], str | None]:
    """Keyset paging in creation order: stable under concurrent inserts, cursor opaque to callers."""
    after = decode_cursor(cursor)
    query = select(model).where(*filters).order_by(model.created_at, model.id).limit(limit + 1)
    if after is not None:
        try:
            at, ident = datetime.fromisoformat(str(after["at"])), str(after["id"])
        except (KeyError, ValueError):
            raise InvalidField("cursor", "not a cursor this service issued") from None
        query = query.where(or_(model.created_at > at, and_(model.created_at == at, model.id > ident)))
    rows = list((await session.scalars(query)).all())
    last = rows[limit - 1] if len(rows) > limit else None
    next_cursor = encode_cursor({"at": last.created_at.isoformat(), "id": last.id}) if last else None
    return rows[:limit], next_cursor
