"""A deterministic population of registered units with a life: some open later, some close (and
vanish from their system), some change name or legal representative; a few rows are malformed
as real exports are. Same seed, same population, day by day.

Attribute values are canonical (dates as YYYYMMDD strings); each fake renders them in its own
system's wire format.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from registry.codes import CREDIT_CHARSET, credit_check_char, id_check_char

BASE_DATE = date(2026, 11, 1)
DISTRICTS = ("210402", "210403", "210404", "210411", "210421", "210422", "210423")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
TOWNS = "新抚东洲望花顺城清原新宾抚顺"
STREETS = ("东公园街", "西一路", "临江路", "抚顺城路", "浑河南路", "将军路")
DEFECTS = ("credit_check", "bad_date", "bad_division", "unknown_code", "bad_id", "missing_name")
Maker = Callable[[random.Random, int], dict[str, Any]]


def day_date(day: int) -> date:
    return BASE_DATE + timedelta(days=day)


def ymd(d: date) -> str:
    return d.strftime("%Y%m%d")


def credit_code(n: int) -> str:
    body = "9121040" + "".join(CREDIT_CHARSET[(n // 31**i) % 31] for i in range(10))
    return body + credit_check_char(body)


def id_number(rng: random.Random, serial: int) -> str:
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 35 * 365))
    body = f"{rng.choice(DISTRICTS)}{born:%Y%m%d}{serial % 1000:03d}"
    return body + id_check_char(body)


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(("", rng.choice(GIVEN)))


def past_dates(rng: random.Random, how_many: int, within_days: int) -> list[str]:
    return sorted(ymd(BASE_DATE - timedelta(days=rng.randrange(1, within_days))) for _ in range(how_many))


def base_attrs(rng: random.Random, serial: int, code_offset: int, noun: str) -> dict[str, Any]:
    return {
        "serial": serial,
        "name": f"抚顺市{rng.choice(TOWNS)}{rng.choice('达鑫源泰福安兴盛')}{noun}{serial}",
        "credit_code": credit_code(code_offset + serial),
        "division": rng.choice(DISTRICTS),
        "legal_rep": person(rng),
        "legal_rep_id": id_number(rng, serial),
        "address": f"抚顺市{rng.choice(STREETS)}{rng.randrange(1, 300)}号",
        "established": ymd(BASE_DATE - timedelta(days=rng.randrange(200, 6000))),
    }


def _corrupt(attrs: dict[str, Any], defect: str) -> None:
    if defect == "credit_check":
        good = attrs["credit_code"]
        attrs["credit_code"] = good[:17] + ("0" if good[17] != "0" else "1")
    elif defect == "bad_date":
        attrs["established"] = "20261345"
    elif defect == "bad_division":
        attrs["division"] = "110101"
    elif defect == "unknown_code":
        attrs["type_code_override"] = "99"
    elif defect == "bad_id":
        good = attrs["legal_rep_id"]
        attrs["legal_rep_id"] = good[:17] + ("0" if good[17] != "0" else "1")
    elif defect == "missing_name":
        attrs["name"] = ""
    else:
        attrs[defect] = True  # a fake-specific defect, rendered by that fake


@dataclass
class Member:
    serial: int
    attrs: dict[str, Any]
    opened_day: int
    closed_day: int | None
    changes: dict[int, dict[str, Any]] = field(default_factory=dict)
    defect: str | None = None


class Population:
    def __init__(
        self, source: str, seed: int, size: int, make: Maker, *, defects: tuple[str, ...] = DEFECTS, every: int = 13
    ) -> None:
        rng = random.Random(f"{source}:{seed}")
        self.day = 0
        self.members = [self._member(rng, serial, make, defects, every) for serial in range(1, size + 1)]

    @staticmethod
    def _member(rng: random.Random, serial: int, make: Maker, defects: tuple[str, ...], every: int) -> Member:
        attrs = make(rng, serial)
        opened = 0 if rng.random() < 0.85 else rng.randint(1, 6)
        closed = None if rng.random() < 0.88 else rng.randint(opened + 1, 8)
        changes: dict[int, dict[str, Any]] = attrs.pop("_changes", {})
        if rng.random() < 0.2:
            changes[rng.randint(1, 6)] = {"name": attrs["name"] + "（变更）", "legal_rep": person(rng)}
        defect = defects[(serial // every) % len(defects)] if defects and serial % every == 5 else None
        if defect:
            _corrupt(attrs, defect)
        return Member(serial, attrs, opened, closed, changes, defect)

    def advance(self, days: int = 1) -> None:
        self.day += days

    def visible(self) -> list[Member]:
        """Open units as of today: closed ones have vanished from the system."""
        return [
            m for m in self.members if m.opened_day <= self.day and (m.closed_day is None or m.closed_day > self.day)
        ]

    def current(self, m: Member) -> dict[str, Any]:
        attrs = dict(m.attrs)
        for day in sorted(d for d in m.changes if d <= self.day):
            attrs.update(m.changes[day])
        return attrs

    def version(self, m: Member) -> int:
        return 1 + sum(1 for d in m.changes if d <= self.day)

    def updated_at(self, m: Member) -> datetime:
        """When the system last touched the record: its opening or its latest change so far."""
        day = max([m.opened_day, *(d for d in m.changes if d <= self.day)])
        return datetime.combine(day_date(day), datetime.min.time()) + timedelta(hours=8, seconds=7 * m.serial)
