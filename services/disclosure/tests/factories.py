"""Plain functions that build valid events and personal identifiers for the tests."""

import itertools
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from disclosure.consumers import HANDLERS
from disclosure.db import messaging
from shared.events import Event
from shared.messaging import handle_once

_serial = itertools.count(1)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_number(rng: random.Random) -> str:
    """A valid GB 11643-1999 citizen ID number: division, birth date, sequence, check character."""
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    body = rng.choice(["210402", "210403", "210411", "110101", "440305"]) + born.strftime("%Y%m%d")
    body += f"{rng.randrange(1000):03d}"
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def mobile(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


def landline(rng: random.Random) -> str:
    area, digits = rng.choice([("0413", 7), ("024", 8), ("010", 8), ("0411", 8)])
    return area + "-" + rng.choice("2345678") + "".join(rng.choice("0123456789") for _ in range(digits - 1))


def inspection_data(**overrides: Any) -> dict[str, Any]:
    n = next(_serial)
    base = {
        "inspection_id": f"i-{uuid.uuid4().hex[:12]}",
        "draw_id": "d-000000000001",
        "position": n,
        "entity": {
            "id": f"ENT-{n:05d}",
            "name": f"抚顺市金色年华娱乐有限公司{n}号店",
            "credit_code": f"91210400MA{n:07d}X",
            "sector": "entertainment",
            "subtype": "venue",
            "division_code": "210402",
        },
        "team": ["INS-3", "INS-7"],
        "checklist_version": "2015-fushun-v1",
        "findings": [
            {"item_code": "entertainment.filing", "result": "compliant", "note": ""},
            {"item_code": "entertainment.crime", "result": "not_applicable", "note": "无"},
        ],
        "outcome": {"type": "no_issues", "rectification_deadline": None, "note": ""},
        "completed_at": datetime(2026, 11, 20, 10, 30, tzinfo=UTC).isoformat(),
        "completed_by": "inspection-app",
    }
    return base | overrides


def completed_event(**overrides: Any) -> Event:
    data = inspection_data(**overrides)
    return Event(
        id=str(uuid.uuid4()),
        type="ssj.inspection.completed",
        source="/ssj/inspection",
        subject=data["entity"]["id"],
        time=datetime.now(UTC),
        data=data,
    )


async def deliver(sessionmaker: Any, event: Event) -> bool:
    return await handle_once(sessionmaker, messaging, "disclosure", HANDLERS, event, None)


def event(type_: str, data: dict[str, Any]) -> Event:
    return Event(
        id=str(uuid.uuid4()),
        type=type_,
        source="/ssj/inspection",
        subject=data["entity"]["id"],
        time=datetime.now(UTC),
        data=data,
    )


def sanctioned_event(completed: Event, **overrides: Any) -> Event:
    data = {
        "inspection_id": completed.data["inspection_id"],
        "entity": completed.data["entity"],
        "at": datetime(2026, 11, 25, 9, 0, tzinfo=UTC).isoformat(),
        "sanction": "penalty_fine",
        "fine_yuan": 5000,
        "note": "依据《消防法》第六十条处罚款五千元",
    }
    return event("ssj.inspection.sanctioned", data | overrides)


def blacklisted_event(completed: Event, persons: list[dict[str, Any]] | None = None, **overrides: Any) -> Event:
    data = {
        "inspection_id": completed.data["inspection_id"],
        "entity": completed.data["entity"],
        "at": datetime(2026, 11, 25, 9, 0, tzinfo=UTC).isoformat(),
        "until": "2027-05-24",
        "restrictions": ["internet_access", "industry_ban"],
        "persons": persons or [{"name": "张三丰", "id_number": id_number(random.Random(9)), "role": "网吧业主"}],
    }
    return event("ssj.inspection.blacklisted", data | overrides)


def entity(sector: str, **overrides: Any) -> dict[str, Any]:
    n = next(_serial)
    names = {
        "internet_cafe": f"抚顺市星际网络会所{n}号店",
        "fire_safety": f"抚顺市华联商厦有限公司{n}分店",
        "blasting": f"抚顺市矿山爆破工程有限公司{n}队",
    }
    base = inspection_data()["entity"] | {
        "id": f"ENT-{n:05d}",
        "name": names.get(sector, f"抚顺市金色年华娱乐有限公司{n}号店"),
        "sector": sector,
        "credit_code": f"91210400MB{n:07d}Y",
    }
    return base | overrides


class Clock:
    """The app's controllable clock: tests set `now` instead of sleeping."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
