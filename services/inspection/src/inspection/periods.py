"""Draw periods ("2026", "2026-H2", "2026-Q4", "2026-11") and the bureau's calendar day."""

import calendar
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

# Deadlines are calendar days in Fushun, whatever the server's clock zone.
BUREAU_TZ = ZoneInfo("Asia/Shanghai")
_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:H(?P<half>[12])|Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2])))?$")


def period_end(period: str) -> date:
    """Last day of the period: when a draw gives no due date, its checks are due by then."""
    match = _PERIOD.match(period)
    if match is None:
        raise ValueError(f"period {period!r} is not YYYY, YYYY-Hn, YYYY-Qn or YYYY-MM")
    year = int(match["year"])
    if match["half"]:
        last_month = 6 * int(match["half"])
    elif match["quarter"]:
        last_month = 3 * int(match["quarter"])
    else:
        last_month = int(match["month"] or 12)
    return date(year, last_month, calendar.monthrange(year, last_month)[1])


def bureau_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(BUREAU_TZ).date()


def period_start(period: str) -> date:
    """First day of the period: a task cannot be due before its period begins."""
    end = period_end(period)
    match = _PERIOD.match(period)
    assert match is not None
    if match["half"]:
        return date(end.year, end.month - 5, 1)
    if match["quarter"]:
        return date(end.year, end.month - 2, 1)
    return date(end.year, end.month if match["month"] else 1, 1)


def due_within(period: str, due: date | None) -> date:
    """The draw's due date when it falls inside the period, else the period's last day."""
    start, end = period_start(period), period_end(period)
    return due if due is not None and start <= due <= end else end


def utc_now() -> datetime:
    return datetime.now(UTC)
