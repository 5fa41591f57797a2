from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from notify import service
from notify.dependencies import AdminCaller, BoxDep, DeliveryDep, SubscriptionDep
from notify.models import Delivery, Department, RoutingRule, Subscription
from notify.schemas import (
    DeliveryDetail,
    DeliveryList,
    DeliveryRead,
    DeliveryStatus,
    DepartmentCreate,
    DepartmentList,
    DepartmentRead,
    RuleList,
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
async def create_subscription(_: AdminCaller, data: SubscriptionCreate, session: SessionDep, box: BoxDep) -> Any:
    """Omit `secret` and notify generates one: it is returned in this response only, so store it
    now. Every webhook is signed with it (Standard Webhooks: webhook-id, webhook-timestamp,
    webhook-signature)."""
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
    summary="Enable or pause a subscription",
)
async def update_subscription(
    caller: AdminCaller,
    data: SubscriptionUpdate,
    subscription: SubscriptionDep,
    session: SessionDep,
) -> Any:
    """Paused subscriptions keep their pending deliveries; they go out once it is enabled again."""
    return await service.set_enabled(session, subscription=subscription, enabled=data.enabled, by=caller.name)


@router.get(
    "/routing-rules",
    response_model=RuleList,
    tags=["routing"],
    summary="The routing rules in force (通报规则): sector / outcome -> departments",
)
async def list_routing_rules(_: AdminCaller, session: SessionDep) -> Any:
    query = select(RoutingRule).where(RoutingRule.active.is_(True)).order_by(RoutingRule.id)
    return {"items": list(await session.scalars(query))}


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
    return await service.retry_delivery(session, delivery=delivery)
