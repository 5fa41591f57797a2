"""Working days (工作日) for the publication deadline and the appeal period.

Mainland China moves weekends around its public holidays (调休): a Saturday can be a working
day and a Thursday a holiday, so "Monday to Friday" is wrong several weeks a year. The calendar is
data, one JSON file per schedule the State Council publishes (calendars/cn-2026.json cites its
notice); a deployment points DISCLOSURE_WORKING_CALENDAR_PATH at its own file. Outside the years a
file covers, the plain Monday-to-Friday rule applies: an approximation `covers()` lets callers
detect."""

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

BUNDLED = Path(__file__).parent / "calendars" / "cn-2026.json"
# The PRC keeps one time zone and no daylight saving: every local date of the service is in it.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()
    working_weekends: frozenset[date] = frozenset()
    years: frozenset[int] = frozenset()
    source: str = ""
    names: dict[date, str] = field(default_factory=dict, compare=False)

    def covers(self, day: date) -> bool:
        return day.year in self.years

    def is_working_day(self, day: date) -> bool:
        if day in self.working_weekends:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, count: int) -> date:
        """The `count`-th working day after `start` (start itself is not counted)."""
        day, seen = start, 0
        while seen < count:
            day += timedelta(days=1)
            seen += self.is_working_day(day)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many of the allowance `end` has used up."""
        return sum(self.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


def _span(first: str, last: str) -> list[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def parse(raw: dict) -> WorkCalendar:
    """Holidays as [first, last, name] ranges, make-up working days as [day, name]."""
    holidays: dict[date, str] = {}
    for first, last, name in raw.get("holidays", []):
        holidays |= dict.fromkeys(_span(first, last), name)
    working = {date.fromisoformat(day): name for day, name in raw.get("working_weekends", [])}
    if set(holidays) & set(working):
        raise ValueError("a day cannot be both a holiday and a make-up working day")
    return WorkCalendar(
        holidays=frozenset(holidays),
        working_weekends=frozenset(working),
        years=frozenset(int(y) for y in raw.get("years", [])),
        source=str(raw.get("source", "")),
        names=holidays | working,
    )


def load(path: Path | None = None) -> WorkCalendar:
    return parse(json.loads((path or BUNDLED).read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Deadlines:
    """The service's date rules: local dates in one time zone, counted on one calendar."""

    calendar: WorkCalendar
    publication_days: int = 20
    appeal_days: int = 15

    def publication_deadline(self, completed_at: datetime) -> date:
        """公开期限: 20 working days after the (local) day the inspection was completed."""
        return self.calendar.add_working_days(local_date(completed_at), self.publication_days)

    def appeal_deadline(self, first_published_at: datetime) -> date:
        """申诉期限: the last local day an appeal is accepted."""
        return self.calendar.add_working_days(local_date(first_published_at), self.appeal_days)


@lru_cache(maxsize=8)
def _cached(path: Path | None) -> WorkCalendar:
    return load(path)


def deadlines(*, calendar_path: Path | None = None, publication: int = 20, appeal: int = 15) -> Deadlines:
    return Deadlines(_cached(calendar_path), publication, appeal)


def from_settings(settings: Any) -> Deadlines:
    return deadlines(
        calendar_path=settings.working_calendar_path,
        publication=settings.publication_deadline_working_days,
        appeal=settings.appeal_period_working_days,
    )
