from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from notify import enqueue, rulebook, service
from notify.dependencies import AdminCaller, BoxDep, DeliveryDep, SubscriptionDep
from notify.models import Delivery, Department, Subscription
from notify.schemas import (
    DeliveryDetail,
    DeliveryList,
    DeliveryRead,
    DeliveryStatus,
    DepartmentCreate,
    DepartmentList,
    DepartmentRead,
    Replay,
    ReplayResult,
    RuleCreate,
    RuleList,
    RuleRead,
    RuleRevision,
    SecretRotation,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionList,
    SubscriptionRead,
    SubscriptionUpdate,
)
from shared.db import SessionDep

# Every route takes the caller first: credentials are checked before ids are looked up (401, not 404).
router = APIRouter(prefix="/v1")
Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]
NO_STORE = "no-store"  # answers that may carry a signing secret: no cache (nor replay store) should keep them


@router.get(
    "/departments",
    response_model=DepartmentList,
    tags=["departments"],
    summary="Departments results are reported to (通报部门: 工商, 文化执法, 人民政府)",
)
async def list_departments(_: AdminCaller, session: SessionDep) -> Any:
    return {"items": list(await session.scalars(select(Department).order_by(Department.code)))}


@router.post(
    "/departments",
    response_model=DepartmentRead,
    status_code=201,
    tags=["departments"],
    summary="Add a department that routing rules may name",
)
async def create_department(_: AdminCaller, data: DepartmentCreate, session: SessionDep) -> Any:
    return await service.create_department(session, data=data)


@router.post(
    "/subscriptions",
    response_model=SubscriptionCreated,
    status_code=201,
    tags=["subscriptions"],
    summary="Register a department's webhook endpoint (订阅)",
)
async def create_subscription(
    _: AdminCaller, data: SubscriptionCreate, session: SessionDep, box: BoxDep, response: Response
) -> Any:
    """Omit `secret` and notify generates one: it is returned in this response only, so store it
    now. Every webhook is signed with it (Standard Webhooks: webhook-id, webhook-timestamp,
    webhook-signature)."""
    response.headers["Cache-Control"] = NO_STORE
    subscription, generated = await service.create_subscription(session, data=data, box=box)
    return SubscriptionCreated(**SubscriptionRead.model_validate(subscription).model_dump(), secret=generated)


@router.get(
    "/subscriptions",
    response_model=SubscriptionList,
    tags=["subscriptions"],
    summary="List webhook subscriptions (secrets are never shown)",
)
async def list_subscriptions(
    _: AdminCaller,
    session: SessionDep,
    department: str | None = None,
    enabled: bool | None = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> Any:
    filters = [Subscription.department == department] if department else []
    if enabled is not None:
        filters.append(Subscription.enabled.is_(enabled))
    items, next_cursor = await service.page(session, Subscription, filters, cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.patch(
    "/subscriptions/{subscription_id}",
    response_model=SubscriptionRead,
    tags=["subscriptions"],
    summary="Change a subscription's endpoint URL or event types, or enable / pause it (启用/停用)",
)
async def update_subscription(
    caller: AdminCaller,
    data: SubscriptionUpdate,
    subscription: SubscriptionDep,
    session: SessionDep,
) -> Any:
    """Paused subscriptions keep their pending deliveries; they go out once it is enabled again.
    Events that arrive while it is paused are not queued for it: replay them after enabling."""
    return await service.update_subscription(session, subscription=subscription, data=data, by=caller.name)


@router.post(
    "/subscriptions/{subscription_id}/rotate-secret",
    response_model=SubscriptionCreated,
    tags=["subscriptions"],
    summary="Rotate the signing secret (密钥轮换), old and new both signing during the overlap",
)
async def rotate_secret(
    _: AdminCaller,
    data: SecretRotation,
    subscription: SubscriptionDep,
    session: SessionDep,
    box: BoxDep,
    response: Response,
) -> Any:
    """From now on every webhook carries two signatures in `webhook-signature` (new secret, old
    secret) until `previous_secret_expires_at`; then only the new one. Give the department the new
    secret (returned here once when notify generates it) before the overlap ends."""
    response.headers["Cache-Control"] = NO_STORE
    generated = await service.rotate_secret(session, subscription=subscription, box=box, data=data)
    return SubscriptionCreated(**SubscriptionRead.model_validate(subscription).model_dump(), secret=generated)


@router.post(
    "/subscriptions/{subscription_id}/replay",
    response_model=ReplayResult,
    tags=["subscriptions"],
    summary="Send again everything routed to this subscription since a time (重放)",
)
async def replay(_: AdminCaller, data: Replay, subscription: SubscriptionDep, session: SessionDep) -> Any:
    """Deliveries already made are queued again with their original `webhook-id` (a receiver that
    still has them drops the copies); events the subscription has no delivery for (paused, disabled
    by a 410, created later) are queued as new deliveries."""
    return await enqueue.replay(session, subscription=subscription, since=data.since)


@router.get(
    "/routing-rules",
    response_model=RuleList,
    tags=["routing"],
    summary="The routing rules in force (通报规则): event / sector / outcome / check type -> departments",
)
async def list_routing_rules(_: AdminCaller, session: SessionDep) -> Any:
    return {"items": await rulebook.in_force(session)}


@router.post(
    "/routing-rules",
    response_model=RuleRead,
    status_code=201,
    tags=["routing"],
    summary="Add a routing rule (version 1)",
)
async def create_routing_rule(caller: AdminCaller, data: RuleCreate, session: SessionDep) -> Any:
    """Rules are evaluated in id order; a department named by several matching rules is notified
    once, credited to the first."""
    return await rulebook.create_rule(session, data=data, by=caller.name)


@router.put(
    "/routing-rules/{rule_id}",
    response_model=RuleRead,
    tags=["routing"],
    summary="Revise a routing rule: the new text becomes the next version (or retires the rule)",
)
async def revise_routing_rule(caller: AdminCaller, rule_id: str, data: RuleRevision, session: SessionDep) -> Any:
    """Deliveries already made keep naming the version that sent them."""
    return await rulebook.revise_rule(session, rule_id=rule_id, data=data, by=caller.name)


@router.get(
    "/routing-rules/{rule_id}/versions",
    response_model=RuleList,
    tags=["routing"],
    summary="Every version of a routing rule, oldest first (who changed it, when)",
)
async def routing_rule_versions(_: AdminCaller, rule_id: str, session: SessionDep) -> Any:
    return {"items": await rulebook.history(session, rule_id=rule_id)}


@router.get(
    "/deliveries",
    response_model=DeliveryList,
    tags=["deliveries"],
    summary="List webhook deliveries (投递记录), e.g. ?status=dead for the dead letters",
)
async def list_deliveries(
    _: AdminCaller,
    session: SessionDep,
    status: DeliveryStatus | None = None,
    department: str | None = None,
    subscription_id: str | None = None,
    event_id: str | None = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> Any:
    filters = [
        column == value
        for column, value in (
            (Delivery.status, status),
            (Delivery.department, department),
            (Delivery.subscription_id, subscription_id),
            (Delivery.event_id, event_id),
        )
        if value is not None
    ]
    items, next_cursor = await service.page(session, Delivery, filters, cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/deliveries/{delivery_id}",
    response_model=DeliveryDetail,
    tags=["deliveries"],
    summary="One delivery with its payload and every attempt",
)
async def get_delivery(_: AdminCaller, delivery: DeliveryDep, session: SessionDep) -> Any:
    log = await service.attempt_log(session, delivery=delivery)
    return DeliveryDetail.model_validate(
        {**DeliveryRead.model_validate(delivery).model_dump(), "payload": delivery.payload, "attempt_log": log}
    )


@router.post(
    "/deliveries/{delivery_id}/retry",
    response_model=DeliveryRead,
    tags=["deliveries"],
    summary="Send a dead delivery again, with a fresh retry schedule starting now",
)
async def retry_delivery(_: AdminCaller, delivery: DeliveryDep, session: SessionDep) -> Any:
    return await enqueue.retry_delivery(session, delivery=delivery)
