"""Every consumed event type queues notifications and deliveries once, however often it is replayed."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from notify.consumers import HANDLERS, on_inspection_fact
from notify.db import messaging
from notify.models import Delivery, Notification, Subscription
from shared.messaging import PermanentEventError, handle_once

from .factories import blacklisted, inspection_completed, joint_check, listed_supervision_reported, subscription

pytestmark = pytest.mark.integration
EVERY_DEPARTMENT = (
    "market_regulation",
    "culture_enforcement",
    "government",
    "education",
    "health",
    "work_safety",
    "quality",
)


async def deliveries(sessionmaker) -> list[Delivery]:
    async with sessionmaker() as s:
        return list(await s.scalars(select(Delivery).order_by(Delivery.department)))


async def notifications(sessionmaker) -> list[Notification]:
    async with sessionmaker() as s:
        return list(await s.scalars(select(Notification).order_by(Notification.department)))


async def handle_twice(sessionmaker, event) -> tuple[bool, bool]:
    first = await handle_once(sessionmaker, messaging, "notify", HANDLERS, event, None)
    second = await handle_once(sessionmaker, messaging, "notify", HANDLERS, event, None)
    return first, second


async def subscribe_everyone(sessionmaker, box) -> None:
    for department in EVERY_DEPARTMENT:
        await subscription(sessionmaker, box, department=department)


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
    assert [(n.department, n.rule_id, n.rule_version) for n in await notifications(sessionmaker)] == [
        ("culture_enforcement", "R1", 1),
        ("market_regulation", "R1", 1),
    ]


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


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (blacklisted, [("culture_enforcement", "R3", 2), ("market_regulation", "R3", 2)]),
        (listed_supervision_reported, [("government", "R4", 2)]),
        (
            lambda: joint_check("fire_safety", "penalty_fine", "education", "health", "work_safety", "quality"),
            [("education", "R5", 1), ("health", "R5", 1), ("quality", "R5", 1), ("work_safety", "R5", 1)],
        ),
    ],
    ids=["blacklisted", "listed_supervision_reported", "joint"],
)
async def test_follow_up_and_joint_check_events_reach_the_departments_the_seed_names(sessionmaker, box, make, expected):
    await subscribe_everyone(sessionmaker, box)
    event = make()
    assert await handle_twice(sessionmaker, event) == (True, False)
    rows = await deliveries(sessionmaker)
    assert [(d.department, d.rule_id, d.rule_version) for d in rows] == expected
    assert {d.event_type for d in rows} == {event.type} and {d.payload["data"]["inspection_id"] for d in rows} == {
        event.data["inspection_id"]
    }


async def test_joint_check_departments_notify_does_not_know_are_skipped(sessionmaker, box):
    await subscribe_everyone(sessionmaker, box)
    await handle_twice(sessionmaker, joint_check("fire_safety", "no_issues", "education", "forestry"))
    assert [(d.department, d.rule_id) for d in await deliveries(sessionmaker)] == [("education", "R5")]


async def test_handler_run_again_outside_the_inbox_still_creates_no_duplicate(sessionmaker, box):
    """The replay API bypasses the inbox: UNIQUE(event_id, department / subscription_id) still holds."""
    await subscription(sessionmaker, box, department="government")
    event = listed_supervision_reported()
    for _ in range(2):
        async with sessionmaker() as s, s.begin():
            await on_inspection_fact(s, event, None)
    assert [(d.department, d.rule_id) for d in await deliveries(sessionmaker)] == [("government", "R4")]
    assert len(await notifications(sessionmaker)) == 1


async def test_facts_no_rule_names_create_nothing(sessionmaker, box):
    await subscribe_everyone(sessionmaker, box)
    for event in (
        inspection_completed("blasting", "no_issues"),
        inspection_completed("internet_cafe", "blacklisted"),
        inspection_completed("fire_safety", "listed_supervision"),
        blacklisted("entertainment"),
    ):
        assert await handle_twice(sessionmaker, event) == (True, False)
    assert await deliveries(sessionmaker) == [] and await notifications(sessionmaker) == []


async def test_notification_is_kept_even_without_a_subscription(sessionmaker, box):
    await handle_twice(sessionmaker, listed_supervision_reported())
    assert await deliveries(sessionmaker) == []
    assert [(n.department, n.rule_id) for n in await notifications(sessionmaker)] == [("government", "R4")]


async def test_subscription_to_other_event_types_gets_nothing(sessionmaker, box):
    sub, _ = await subscription(sessionmaker, box, department="market_regulation")
    async with sessionmaker() as s, s.begin():
        (await s.get(Subscription, sub.id)).event_types = ["ssj.inspection.blacklisted"]
    await handle_twice(sessionmaker, inspection_completed("entertainment", "no_issues"))
    assert await deliveries(sessionmaker) == []


@pytest.mark.parametrize(
    "data",
    [
        {"entity": None},
        {"outcome": {}},
        {"entity": {"sector": 7}},
        {"check_type": 3},
        {"check_type": "joint", "joint_departments": "education"},
        {"check_type": "joint", "joint_departments": [1]},
    ],
)
async def test_malformed_event_is_rejected_permanently_and_creates_nothing(sessionmaker, box, data):
    await subscription(sessionmaker, box, department="market_regulation")
    event = inspection_completed("entertainment", "no_issues", overrides=data)
    with pytest.raises(PermanentEventError):
        await handle_once(sessionmaker, messaging, "notify", HANDLERS, event, None)
    async with sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Delivery)) == 0
        assert await s.scalar(select(func.count()).select_from(messaging.inbox)) == 0


def test_notify_consumes_every_event_rules_may_route():
    assert set(HANDLERS) == {
        "ssj.inspection.completed",
        "ssj.inspection.blacklisted",
        "ssj.inspection.listed_supervision_reported",
        "ssj.inspection.rectification_overdue",
    }
