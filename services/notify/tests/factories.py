"""Plain functions that build notify inputs: inspection events and subscriptions."""

import itertools
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notify import service
from notify.models import Subscription
from notify.schemas import SubscriptionCreate
from notify.secretbox import SecretBox
from notify.webhooks import new_secret
from shared.events import Event

_serial = itertools.count(1)


def inspection_completed(
    sector: str = "entertainment",
    outcome: str = "no_issues",
    *,
    overrides: dict[str, Any] | None = None,
) -> Event:
    n = next(_serial)
    findings = (
        []
        if outcome == "no_issues"
        else [{"item_code": f"{sector}.other", "result": "non_compliant", "note": "现场检查发现问题"}]
    )
    payload = {
        "inspection_id": f"i-{n}",
        "draw_id": "d-1",
        "position": n,
        "entity": {
            "id": f"ENT-{n}",
            "name": f"主体{n}",
            "credit_code": "91210400MA0XXXXXX0",
            "sector": sector,
            "subtype": "venue",
            "division_code": "210402",
        },
        "team": ["INS-3", "INS-7"],
        "checklist_version": "2015-fushun-v1",
        "findings": findings,
        "outcome": {"type": outcome, "rectification_deadline": None, "note": ""},
        "completed_at": "2026-11-26T08:00:00+00:00",
        "completed_by": "county-bureau",
    } | (overrides or {})
    return _event("ssj.inspection.completed", payload)


def joint_check(sector: str = "fire_safety", outcome: str = "penalty_fine", *departments: str) -> Event:
    joint = {"check_type": "joint", "joint_departments": list(departments)}
    return inspection_completed(sector, outcome, overrides=joint)


def follow_up(event_type: str, sector: str = "internet_cafe", **data: Any) -> Event:
    """An inspection follow-up event (docs/events.md): inspection_id, entity, at, and its own fields."""
    n = next(_serial)
    entity = {
        "id": f"ENT-{n}",
        "name": f"主体{n}",
        "credit_code": "91210400MA0XXXXXX0",
        "sector": sector,
        "subtype": "cafe",
        "division_code": "210402",
    }
    return _event(event_type, {"inspection_id": f"i-{n}", "entity": entity, "at": "2026-11-26T08:00:00+00:00"} | data)


def blacklisted(sector: str = "internet_cafe") -> Event:
    person = {"name": "张三", "id_number": "210402199001011234", "role": "网吧业主"}
    return follow_up(
        "ssj.inspection.blacklisted",
        sector,
        until="2029-11-26",
        restrictions=["internet_access", "industry_ban"],
        persons=[person],
    )


def listed_supervision_reported(sector: str = "fire_safety") -> Event:
    return follow_up("ssj.inspection.listed_supervision_reported", sector, hazard="疏散通道堵塞、自动喷水灭火系统瘫痪")


def _event(event_type: str, data: dict[str, Any]) -> Event:
    return Event(
        id=str(uuid.uuid4()),
        type=event_type,
        source="/ssj/inspection",
        subject=data["inspection_id"],
        time=datetime.now(UTC),
        data=data,
    )


def subscription_in(**overrides: Any) -> dict[str, Any]:
    n = next(_serial)
    return {"department": "market_regulation", "url": f"https://amr{n}.example.gov.cn/hooks/ssj"} | overrides


async def subscription(
    sessionmaker: async_sessionmaker[AsyncSession],
    box: SecretBox,
    *,
    enabled: bool = True,
    **overrides: Any,
) -> tuple[Subscription, str]:
    """A committed subscription and its plaintext secret."""
    data = SubscriptionCreate.model_validate({"secret": new_secret()} | subscription_in(**overrides))
    async with sessionmaker() as session, session.begin():
        created, _ = await service.create_subscription(session, data=data, box=box)
        if not enabled:
            await service.set_enabled(session, subscription=created, enabled=False, by="test")
    assert data.secret is not None
    return created, data.secret
