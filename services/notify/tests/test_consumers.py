from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from notify.consumers import HANDLERS, on_inspection_completed
from notify.db import messaging
from notify.models import Delivery, Subscription
from shared.messaging import PermanentEventError, handle_once

from .factories import inspection_completed, subscription

pytestmark = pytest.mark.integration


async def deliveries(sessionmaker) -> list[Delivery]:
    async with sessionmaker() as s:
        return list(await s.scalars(select(Delivery).order_by(Delivery.department)))


async def handle_twice(sessionmaker, event) -> tuple[bool, bool]:
    first = await handle_once(sessionmaker, messaging, "notify", HANDLERS, event, None)
    second = await handle_once(sessionmaker, messaging, "notify", HANDLERS, event, None)
    return first, second


async def test_entertainment_result_goes_to_every_enabled_subscription_of_the_routed_departments(
    sessionmaker,
    box,
):
    mr, _ = await subscription(sessionmaker, box, department="market_regulation")
    ce, _ = await subscription(sessionmaker, box, department="culture_enforcement")
    await subscription(sessionmaker, box, department="culture_enforcement", enabled=False)
    await subscription(sessionmaker, box, department="government")
    event = inspection_completed("entertainment", "no_issues")

    assert await handle_twice(sessionmaker, event) == (True, False)

    rows = await deliveries(sessionmaker)
    assert [(d.department, d.subscription_id, d.rule_id, d.rule_version) for d in rows] == [
        ("culture_enforcement", ce.id, "R1", 1),
        ("market_regulation", mr.id, "R1", 1),
    ]
    assert {d.status for d in rows} == {"pending"} and {d.attempts for d in rows} == {0}
    assert all(d.next_attempt_at is not None and d.next_attempt_at <= datetime.now(UTC) for d in rows)


async def test_payload_is_the_structured_cloudevent(sessionmaker, box):
    await subscription(sessionmaker, box, department="market_regulation")
    event = inspection_completed("security_service", "penalty_warning")
    await handle_twice(sessionmaker, event)
    [row] = await deliveries(sessionmaker)
    assert row.rule_id == "R2" and row.event_id == event.id and row.event_type == "ssj.inspection.completed"
    assert row.payload == {
        "specversion": "1.0",
        "id": event.id,
        "source": "/ssj/inspection",
        "type": "ssj.inspection.completed",
        "subject": event.subject,
        "time": event.time.isoformat(),
        "datacontenttype": "application/json",
        "data": event.data,
    }


async def test_handler_run_again_outside_the_inbox_still_creates_no_duplicate(sessionmaker, box):
    """A future replay API may bypass the inbox: UNIQUE(event_id, subscription_id) still holds."""
    await subscription(sessionmaker, box, department="government")
    event = inspection_completed("fire_safety", "listed_supervision")
    for _ in range(2):
        async with sessionmaker() as s, s.begin():
            await on_inspection_completed(s, event, None)
    rows = await deliveries(sessionmaker)
    assert [(d.department, d.rule_id) for d in rows] == [("government", "R4")]


async def test_results_no_rule_names_create_nothing(sessionmaker, box):
    for department in ("market_regulation", "culture_enforcement", "government"):
        await subscription(sessionmaker, box, department=department)
    for event in (
        inspection_completed("blasting", "no_issues"),
        inspection_completed("internet_cafe", "penalty_fine"),
        inspection_completed("fire_safety", "rectification_ordered"),
    ):
        assert await handle_twice(sessionmaker, event) == (True, False)
    assert await deliveries(sessionmaker) == []


async def test_internet_cafe_blacklist_reaches_market_regulation_and_culture(sessionmaker, box):
    for department in ("market_regulation", "culture_enforcement", "government"):
        await subscription(sessionmaker, box, department=department)
    await handle_twice(sessionmaker, inspection_completed("internet_cafe", "blacklisted"))
    assert [(d.department, d.rule_id) for d in await deliveries(sessionmaker)] == [
        ("culture_enforcement", "R3"),
        ("market_regulation", "R3"),
    ]


async def test_subscription_to_other_event_types_gets_nothing(sessionmaker, box):
    sub, _ = await subscription(sessionmaker, box, department="market_regulation")
    async with sessionmaker() as s, s.begin():
        (await s.get(Subscription, sub.id)).event_types = ["ssj.disclosure.result.published"]
    await handle_twice(sessionmaker, inspection_completed("entertainment", "no_issues"))
    assert await deliveries(sessionmaker) == []


@pytest.mark.parametrize("data", [{"entity": None}, {"outcome": {}}, {"entity": {"sector": 7}}])
async def test_malformed_event_is_rejected_permanently_and_creates_nothing(sessionmaker, box, data):
    await subscription(sessionmaker, box, department="market_regulation")
    event = inspection_completed("entertainment", "no_issues", overrides=data)
    with pytest.raises(PermanentEventError):
        await handle_once(sessionmaker, messaging, "notify", HANDLERS, event, None)
    async with sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Delivery)) == 0
        assert await s.scalar(select(func.count()).select_from(messaging.inbox)) == 0
