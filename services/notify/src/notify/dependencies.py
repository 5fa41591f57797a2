from typing import Annotated

from fastapi import Depends, Request

from notify.models import Delivery, Subscription
from notify.secretbox import SecretBox
from shared.auth import Caller, require_scopes
from shared.db import SessionDep
from shared.problems import NotFound

AdminCaller = Annotated[Caller, Depends(require_scopes("notify:admin"))]


def _box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.box
    return box


BoxDep = Annotated[SecretBox, Depends(_box)]


async def valid_subscription(subscription_id: str, session: SessionDep) -> Subscription:
    subscription = await session.get(Subscription, subscription_id)
    if subscription is None:
        raise NotFound("subscription", subscription_id)
    return subscription


async def valid_delivery(delivery_id: str, session: SessionDep) -> Delivery:
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound("delivery", delivery_id)
    return delivery


SubscriptionDep = Annotated[Subscription, Depends(valid_subscription)]
DeliveryDep = Annotated[Delivery, Depends(valid_delivery)]
