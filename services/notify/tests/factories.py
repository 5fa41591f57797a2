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
    return Event(
        id=str(uuid.uuid4()),
        type="ssj.inspection.completed",
        source="/ssj/inspection",
        subject=f"i-{n}",
        time=datetime.now(UTC),
        data=payload,
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
