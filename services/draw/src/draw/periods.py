"""Reporting periods ("2026", "2026-H2", "2026-Q4", "2026-11"), as the seed counts its rules.

Pure: the plan generator and the compliance report both need to know which months, quarters,
halves and years meet a period, and how to spread several rounds over one.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

PATTERN = r"^\d{4}(-(Q[1-4]|H[12]|0[1-9]|1[0-2]))?$"
FIRST_YEAR, LAST_YEAR = 2000, 2999
KIND_MONTHS = {"year": 12, "half": 6, "quarter": 3, "month": 1}
_PARSE = re.compile(r"^(?P<year>\d{4})(?:-(?:H(?P<half>[12])|Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2])))?$")
# Deadlines and "overdue" are the bureau's calendar days, whatever the server's zone.
BUREAU_TZ = ZoneInfo("Asia/Shanghai")


def bureau_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(BUREAU_TZ).date()


@dataclass(frozen=True, order=True)
class Period:
    year: int
    first_month: int
    months: int

    @property
    def kind(self) -> str:
        return {12: "year", 6: "half", 3: "quarter", 1: "month"}[self.months]

    @property
    def code(self) -> str:
        index = (self.first_month - 1) // self.months + 1
        return {
            "year": f"{self.year}",
            "half": f"{self.year}-H{index}",
            "quarter": f"{self.year}-Q{index}",
            "month": f"{self.year}-{self.first_month:02d}",
        }[self.kind]

    @property
    def start(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        last = self.first_month + self.months - 1
        return date(self.year, last, calendar.monthrange(self.year, last)[1])

    def overlaps(self, other: Period) -> bool:
        return self.start <= other.end and other.start <= self.end

    def __str__(self) -> str:
        return self.code


def parse(text: str) -> Period:
    """ValueError naming the accepted forms when `text` is not a period."""
    match = _PARSE.match(text or "")
    if match is None:
        raise ValueError(f"{text!r} is not a period: use YYYY, YYYY-H1/H2, YYYY-Q1..Q4 or YYYY-MM")
    year = int(match["year"])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"{text!r}: the year must be from {FIRST_YEAR} to {LAST_YEAR}")
    if match["half"]:
        return Period(year, 6 * int(match["half"]) - 5, 6)
    if match["quarter"]:
        return Period(year, 3 * int(match["quarter"]) - 2, 3)
    if match["month"]:
        return Period(year, int(match["month"]), 1)
    return Period(year, 1, 12)


def periods_of(kind: str, meeting: Period) -> list[Period]:
    """Every period of `kind` that overlaps `meeting`, in calendar order: the quarters of a year,
    or the one half-year a quarter lies in."""
    months = KIND_MONTHS[kind]
    found = []
    for year in range(meeting.year - 1, meeting.year + 2):
        for first in range(1, 13, months):
            candidate = Period(year, first, months)
            if candidate.overlaps(meeting):
                found.append(candidate)
    return found


def windows(period: Period, rounds: int) -> list[tuple[date, date]]:
    """`rounds` consecutive day ranges covering the period, as even as whole days allow: the
    second quarterly check of a B venue falls in the second half of the quarter, not on day one."""
    days = (period.end - period.start).days + 1
    cuts = [period.start + timedelta(days=days * i // rounds) for i in range(rounds + 1)]
    return [(cuts[i], cuts[i + 1] - timedelta(days=1)) for i in range(rounds)]
