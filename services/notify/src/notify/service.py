"""Departments and their webhook subscriptions (endpoint, event types, secret and its rotation),
and the operator's view of deliveries."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from notify import webhooks
from notify.models import Delivery, DeliveryAttempt, Department, Subscription
from notify.schemas import DepartmentCreate, SecretRotation, SubscriptionCreate, SubscriptionUpdate
from notify.secretbox import SecretBox
from shared.paging import decode_cursor, encode_cursor
from shared.problems import Conflict, InvalidField


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
    await _refuse_duplicate(session, department=data.department, url=data.url)
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


async def _refuse_duplicate(session: AsyncSession, *, department: str, url: str) -> None:
    duplicate = select(Subscription.id).where(
        Subscription.department == department, Subscription.url == url, Subscription.enabled.is_(True)
    )
    if await session.scalar(duplicate.limit(1)) is not None:
        raise Conflict("subscription-exists", "an enabled subscription of this department has this url", field="url")


async def set_enabled(session: AsyncSession, *, subscription: Subscription, enabled: bool, by: str) -> Subscription:
    """Disabling pauses delivery: pending deliveries wait and resume when re-enabled; events
    arriving meanwhile are kept as notifications, and a replay sends them."""
    subscription.enabled = enabled
    subscription.disabled_reason = None if enabled else f"disabled by {by}"
    await session.flush()
    return subscription


async def update_subscription(
    session: AsyncSession, *, subscription: Subscription, data: SubscriptionUpdate, by: str
) -> Subscription:
    if not data.model_fields_set:
        raise InvalidField("body", "send at least one of enabled, url, event_types")
    for field in sorted(data.model_fields_set):
        if getattr(data, field) is None:
            raise InvalidField(field, "may not be null; leave it out to keep it")
    if data.url is not None and data.url != subscription.url:
        await _refuse_duplicate(session, department=subscription.department, url=data.url)
        subscription.url = data.url
    if data.event_types is not None:
        subscription.event_types = list(dict.fromkeys(data.event_types))
    if data.enabled is not None:
        await set_enabled(session, subscription=subscription, enabled=data.enabled, by=by)
    await session.flush()
    return subscription


async def rotate_secret(
    session: AsyncSession,
    *,
    subscription: Subscription,
    box: SecretBox,
    data: SecretRotation,
    now: datetime | None = None,
) -> str | None:
    """The new secret signs from now on; the current one keeps signing too (a second signature in
    webhook-signature) for `overlap_seconds`, so the department can switch whenever it likes in
    that window. Rotating again during an overlap drops the oldest secret at once.
    Returns the new secret when notify generated it."""
    now = now or datetime.now(UTC)
    secret = data.secret or webhooks.new_secret()
    if box.open(subscription.secret_encrypted) == secret:
        raise InvalidField("secret", "the new secret must differ from the current one")
    keep_old = data.overlap_seconds > 0
    subscription.previous_secret_encrypted = subscription.secret_encrypted if keep_old else None
    subscription.previous_secret_expires_at = now + timedelta(seconds=data.overlap_seconds) if keep_old else None
    subscription.secret_encrypted, subscription.secret_rotated_at = box.seal(secret), now
    await session.flush()
    return None if data.secret else secret


async def attempt_log(session: AsyncSession, *, delivery: Delivery) -> list[DeliveryAttempt]:
    query = select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery.id)
    return list(await session.scalars(query.order_by(DeliveryAttempt.attempt)))


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
