"""Compliance with the seed's rules (§5: units that do not push random checks are criticised):
per rule, checking body and stratum, how many checks the rules require in a period, how many were
drawn, how many inspection reported completed, and which drawn entities are overdue.

Requirements come from the rule table and the frozen pool sizes of the planned draws; draws come
from the plan items; completions from `ssj.inspection.completed` (consumers.py).
"""

import csv
import io
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from draw import periods, rules
from draw.models import EXECUTED, Completion, Draw, DrawSelection, PlanItem

EMPTY = "empty"


@dataclass
class Row:
    rule_code: str
    rule_title: str
    checking_body: str
    jurisdiction: str
    rule_period: str
    stratum: str
    rounds_required: int
    rounds_planned: int = 0
    rounds_executed: int = 0
    required: int | None = 0
    drawn: int = 0
    completed: int = 0
    overdue: list[str] = field(default_factory=list)
    status: str = "not_planned"


@dataclass
class _Facts:
    items: dict[tuple[str, str, str], list[PlanItem]]
    draws: dict[str, Draw]
    selections: dict[tuple[str, str], list[tuple[str, bool]]]  # (draw, stratum) -> (entity, completed)


async def _facts(session: AsyncSession, table: rules.RuleTable, codes: list[str]) -> _Facts:
    query = select(PlanItem).where(
        PlanItem.rule_code.in_([r.code for r in table.rules]), PlanItem.rule_period.in_(codes)
    )
    items: dict[tuple[str, str, str], list[PlanItem]] = defaultdict(list)
    for item in (await session.scalars(query)).all():
        items[(item.rule_code or "", item.rule_period or "", item.jurisdiction or "")].append(item)
    draw_ids = [i.draw_id for group in items.values() for i in group if i.draw_id]
    draws = {d.id: d for d in (await session.scalars(select(Draw).where(Draw.id.in_(draw_ids)))).all()}
    executed = [d.id for d in draws.values() if d.status == EXECUTED]
    selections: dict[tuple[str, str], list[tuple[str, bool]]] = defaultdict(list)
    done = await _completed(session, executed)
    rows = await session.execute(
        select(DrawSelection.draw_id, DrawSelection.stratum, DrawSelection.position, DrawSelection.entity_id).where(
            DrawSelection.draw_id.in_(executed)
        )
    )
    for draw_id, stratum, position, entity_id in rows:
        selections[(draw_id, stratum)].append((entity_id, (draw_id, position) in done))
    return _Facts(items, draws, selections)


async def _completed(session: AsyncSession, draw_ids: list[str]) -> set[tuple[str, int]]:
    query = select(Completion.draw_id, Completion.position).where(Completion.draw_id.in_(draw_ids))
    return {(d, p) for d, p in (await session.execute(query)).all()}


def _row(rule: rules.Rule, rule_period: periods.Period, body: str, stratum: str, facts: _Facts, as_of: date) -> Row:
    row = Row(rule.code, rule.title, rule.checking_body, body, rule_period.code, stratum, rule.rounds)
    items = facts.items.get((rule.code, rule_period.code, body), [])
    draws = [facts.draws[i.draw_id] for i in items if i.draw_id in facts.draws]
    known_size = next((d.strata or {} for d in draws), {}).get(stratum)
    row.rounds_planned = len(items)
    row.rounds_executed = sum(1 for d in draws if d.status == EXECUTED) + sum(1 for i in items if i.status == EMPTY)
    sizes = [(d.strata or {}).get(stratum, 0) for d in draws] + [0 for i in items if i.status == EMPTY]
    missing = rule.rounds - len(sizes)
    row.required = (
        None if missing and known_size is None else sum(map(rule.required, sizes + [known_size or 0] * missing))
    )
    for d in draws:
        if d.status != EXECUTED:
            continue
        due = d.due_date or rule_period.end
        for entity_id, completed in facts.selections.get((d.id, stratum), []):
            row.drawn += 1
            row.completed += completed
            if not completed and due < as_of:
                row.overdue.append(entity_id)
    row.status = _status(row, rule_period, as_of)
    return row


def _status(row: Row, rule_period: periods.Period, as_of: date) -> str:
    if row.rounds_planned == 0:
        return "not_planned" if as_of <= rule_period.end else "missed"
    met = row.rounds_executed >= row.rounds_required and row.required is not None and row.completed >= row.required
    if met:
        return "met"
    if row.overdue or as_of > rule_period.end:
        return "overdue"
    return "in_progress"


async def report(
    session: AsyncSession, *, period: periods.Period, table: rules.RuleTable, counties: list[str], as_of: date
) -> list[Row]:
    """One row per rule, rule period meeting `period`, checking body and stratum."""
    wanted = {r.code: periods.periods_of(r.period, period) for r in table.rules}
    codes = sorted({p.code for found in wanted.values() for p in found})
    facts = await _facts(session, table, codes)
    return [
        _row(rule, rule_period, body, stratum, facts, as_of)
        for rule in table.rules
        for rule_period in wanted[rule.code]
        for body in rule.bodies(counties)
        for stratum in rule.strata
    ]


def by_unit(rows: list[Row]) -> list[dict[str, Any]]:
    """The accountability view (§5 通报批评): each checking body's rows summed."""
    units: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        unit = units.setdefault(
            (row.checking_body, row.jurisdiction),
            {"checking_body": row.checking_body, "jurisdiction": row.jurisdiction, "rules": set()}
            | dict.fromkeys(("obligations", "met", "overdue", "required", "drawn", "completed", "overdue_entities"), 0),
        )
        unit["rules"].add(row.rule_code)
        unit["obligations"] += 1
        unit["met"] += row.status == "met"
        unit["overdue"] += row.status in ("overdue", "missed")
        unit["required"] += row.required or 0
        unit["drawn"] += row.drawn
        unit["completed"] += row.completed
        unit["overdue_entities"] += len(row.overdue)
    out = []
    for key in sorted(units):
        unit = units[key]
        unit["rules"] = len(unit["rules"])
        unit["completion_rate"] = round(unit["completed"] / unit["required"], 4) if unit["required"] else None
        unit["status"] = "behind" if unit["overdue"] else "on_track"
        out.append(unit)
    return out


def as_dicts(rows: list[Row]) -> list[dict[str, Any]]:
    return [asdict(row) for row in rows]


def to_csv(records: list[dict[str, Any]]) -> str:
    """UTF-8 with a byte-order mark, so spreadsheet programs show the Chinese titles."""
    if not records:
        return "\ufeff"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(records[0]), lineterminator="\r\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: ";".join(v) if isinstance(v, list) else v for k, v in record.items()})
    return "\ufeff" + out.getvalue()
