"""Each routing rule of the seed, end to end: the consumed event, the delivery job, and a real
receiver per department that verifies the Standard Webhooks signature of what arrives."""

import pytest
from sqlalchemy import select

from notify.models import Delivery

from .delivering import consume, hooked, settled, until, workers
from .factories import blacklisted, inspection_completed, joint_check, listed_supervision_reported

pytestmark = pytest.mark.integration
DEPARTMENTS = (
    "market_regulation",
    "culture_enforcement",
    "government",
    "education",
    "health",
    "work_safety",
    "quality",
)
CASES = {
    "R1 entertainment -> 工商, 文化执法": (
        lambda: inspection_completed("entertainment", "penalty_warning"),
        {"market_regulation": ("R1", 1), "culture_enforcement": ("R1", 1)},
    ),
    "R1 special trade -> 工商, 文化执法": (
        lambda: inspection_completed("special_trade", "no_issues"),
        {"market_regulation": ("R1", 1), "culture_enforcement": ("R1", 1)},
    ),
    "R2 security service -> 工商": (
        lambda: inspection_completed("security_service", "rectification_ordered"),
        {"market_regulation": ("R2", 1)},
    ),
    "R3 internet cafe blacklist -> 工商, 文化": (
        blacklisted,
        {"market_regulation": ("R3", 2), "culture_enforcement": ("R3", 2)},
    ),
    "R4 major fire hazard -> 人民政府挂牌督办": (listed_supervision_reported, {"government": ("R4", 2)}),
    "R5 joint check -> the departments that took part": (
        lambda: joint_check("fire_safety", "penalty_fine", "education", "health", "work_safety", "quality"),
        {d: ("R5", 1) for d in ("education", "health", "work_safety", "quality")},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_seed_rule_reaches_exactly_its_departments_signed(committed, box, settings, receiver, case):
    make, expected = CASES[case]
    endpoints = {}
    for department in DEPARTMENTS:
        _, endpoints[department], _ = await hooked(committed, box, receiver, department=department)
    event = make()
    await consume(committed, event)
    async with committed() as s:
        rows = list(await s.scalars(select(Delivery).where(Delivery.event_id == event.id)))
    assert {d.department: (d.rule_id, d.rule_version) for d in rows} == expected
    async with workers(committed, settings):
        await until(settled(committed, *(d.id for d in rows)))
    reached = {d for d, name in endpoints.items() if receiver.at(name)}
    assert reached == set(expected)
    for department in expected:
        [got] = receiver.at(endpoints[department])
        assert got.verified and got.body["type"] == event.type and got.body["data"] == event.data
        assert got.webhook_id == next(d.id for d in rows if d.department == department)
