"""Mapping helpers the adapters share: source dates (YYYYMMDD), code tables, dated signals."""

from collections.abc import Callable
from datetime import date
from typing import Any

from registry.risk import Signal
from registry.rules import Problem
from registry.sources import Record


class Mapper:
    """Collects our fields and the problems met while reading one source record."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.fields: dict[str, Any] = {}
        self.problems: list[Problem] = []
        self.signals: list[Signal] = []

    def text(self, ours: str, value: Any) -> None:
        if value is not None and str(value).strip() != "":
            self.fields[ours] = str(value).strip()

    def day(self, ours: str, theirs: str, value: Any) -> date | None:
        """YYYYMMDD; a blank is "not given", anything else unreadable is a problem of this record."""
        if value is None or str(value).strip() == "":
            return None
        parsed = ymd(str(value).strip())
        if parsed is None:
            self.problems.append((ours, f"{theirs}: {value!r} is not a YYYYMMDD date"))
        else:
            self.fields[ours] = parsed
        return parsed

    def code(self, ours: str, theirs: str, value: Any, table: dict[str, Any]) -> Any:
        if value in table:
            self.fields[ours] = table[value]
            return table[value]
        self.problems.append((ours, f"{theirs}: unknown code {value!r} (known: {', '.join(map(str, table))})"))
        return None

    def dated(self, kind: str, theirs: str, values: list[Any], ref_prefix: str) -> None:
        """Dated facts (complaints, fires, penalties ...) as signals; unreadable dates are problems."""
        per_day: dict[date, int] = {}
        for value in values:
            if str(value).strip() == "":
                continue
            occurred = ymd(str(value).strip())
            if occurred is None:
                self.problems.append((f"risk.{kind}", f"{theirs}: {value!r} is not a YYYYMMDD date"))
                continue
            per_day[occurred] = per_day.get(occurred, 0) + 1
            self.signals.append(Signal(kind, occurred, f"{ref_prefix}:{occurred:%Y%m%d}:{per_day[occurred]}"))

    def signal(self, kind: str, theirs: str, value: Any, ref: str, detail: dict[str, Any] | None = None) -> None:
        """One dated fact the source identifies itself (a complaint id, a penalty decision number)."""
        occurred = ymd(str(value or "").strip())
        if occurred is None:
            self.problems.append((f"risk.{kind}", f"{theirs}: {value!r} is not a YYYYMMDD date"))
        else:
            self.signals.append(Signal(kind, occurred, ref, detail or {}))


def ymd(value: str) -> date | None:
    if len(value) < 8 or not value[:8].isdigit():
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None


def map_rows(rows: list[Any], to_record: Callable[[dict[str, Any], int], Record], first_row: int) -> list[Record]:
    """Each row mapped on its own: a row that is not even an object is one rejected record."""
    records = []
    for i, raw in enumerate(rows):
        if isinstance(raw, dict):
            records.append(to_record(raw, first_row + i))
        else:
            problem = ("row", f"not a JSON object: {str(raw)[:100]}")
            records.append(Record("entity", None, None, None, {}, [problem], raw=raw, row=first_row + i))
    return records
