"""Plans: the draws the rules require for a period (generated, once per rule period, body and
round), manual plans for campaigns and joint checks, and committing planned draws in batches."""

import logging
import uuid
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from draw import periods, rules
from draw.clients import RegistryClient
from draw.commit import Origin, RegistryCache, commit_draw
from draw.exceptions import EmptyPool, UnknownRule
from draw.models import PLANNED, Plan, PlanItem
from draw.plan_schemas import CommitItems, PlanCreate
from draw.schemas import DrawCreate, DrawSpec
from draw.signing import Signer
from shared.messaging import insert_ignore
from shared.paging import decode_cursor, encode_cursor
from shared.problems import InvalidField, NotFound, ProblemError

log = logging.getLogger("ssj.draw.plans")
COMMITTED_ITEM, EMPTY_ITEM = "committed", "empty"


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def chosen_rules(table: rules.RuleTable, codes: list[str] | None) -> rules.RuleTable:
    known = [r.code for r in table.rules]
    for index, code in enumerate(codes or ()):
        if code not in known:
            raise UnknownRule(f"rules[{index}]", code, known)
    if not codes:
        return table
    return rules.RuleTable(table.version, tuple(r for r in table.rules if r.code in codes))


def _spec(planned: rules.PlannedDraw) -> dict[str, Any]:
    fields = asdict(planned)
    spec = {k: fields[k] for k in DrawSpec.model_fields if k in fields}
    spec |= {"period": planned.rule_period, "due_date": planned.due_date.isoformat(), "risk_policy": "risk-v1"}
    return DrawSpec.model_validate(spec).model_dump(mode="json", exclude_none=True)


async def generate(
    session: AsyncSession, *, period: periods.Period, table: rules.RuleTable, counties: list[str]
) -> tuple[list[PlanItem], int]:
    """Every draw the rules require in the rule periods meeting `period`. Idempotent: a draw that
    exists for a (rule, rule period, body, round) is left alone, concurrent calls included."""
    planned = rules.planned_draws(table, period, counties)
    now = datetime.now(UTC)
    rows = [
        {
            "id": new_id("p"),
            "rule_code": p.rule_code,
            "rule_period": p.rule_period,
            "round": p.round,
            "rules_version": table.version,
            "jurisdiction": p.jurisdiction,
            "period": p.rule_period,
            "due_date": p.due_date,
            "spec": _spec(p),
            "status": PLANNED,
            "created_at": now,
        }
        for p in planned
    ]
    for start in range(0, len(rows), 500):
        await session.execute(insert_ignore(session, PlanItem).on_conflict_do_nothing(), rows[start : start + 500])
    keys = [(p.rule_code, p.rule_period, p.jurisdiction, p.round) for p in planned]
    items = await _items_by_key(session, keys)
    tried = {row["id"] for row in rows}
    created = sum(1 for item in items if item.id in tried)
    log.info("plan for %s: %d draws required, %d new", period.code, len(items), created)
    return items, created


async def _items_by_key(session: AsyncSession, keys: list[tuple[str, str, str, int]]) -> list[PlanItem]:
    found: list[PlanItem] = []
    key = tuple_(PlanItem.rule_code, PlanItem.rule_period, PlanItem.jurisdiction, PlanItem.round)
    for start in range(0, len(keys), 500):
        query = select(PlanItem).where(key.in_(keys[start : start + 500]))
        found.extend((await session.scalars(query)).all())
    return sorted(found, key=lambda i: (i.due_date or date.max, i.rule_code or "", i.jurisdiction or "", i.round or 0))


async def create_plan(session: AsyncSession, *, body: PlanCreate, caller: str) -> tuple[Plan, list[PlanItem]]:
    """A joint plan makes every item a joint check with the plan's departments, so the executed
    draws tell inspection to create joint tasks."""
    now = datetime.now(UTC)
    plan = Plan(
        id=new_id("pl"),
        kind=body.kind,
        title=body.title,
        reason=body.reason,
        period=body.period,
        joint_departments=body.joint_departments,
        created_by=caller,
        created_at=now,
    )
    session.add(plan)
    items = []
    for spec in body.items:
        if body.kind == "joint":
            spec = spec.model_copy(update={"check_type": "joint", "joint_departments": body.joint_departments})
        dumped = spec.model_dump(mode="json", exclude_none=True)
        items.append(
            PlanItem(
                id=new_id("p"),
                plan_id=plan.id,
                jurisdiction=spec.jurisdiction,
                period=spec.period,
                due_date=spec.due_date,
                spec=dumped,
                status=PLANNED,
                created_at=now,
            )
        )
    session.add_all(items)
    await session.flush()
    return plan, items


async def get_plan(session: AsyncSession, plan_id: str) -> tuple[Plan, list[PlanItem]]:
    plan = await session.get(Plan, plan_id)
    if plan is None:
        raise NotFound("plan", plan_id)
    items = (await session.scalars(select(PlanItem).where(PlanItem.plan_id == plan_id).order_by(PlanItem.id))).all()
    return plan, list(items)


def _overlapping(code: str) -> list[str]:
    try:
        period = periods.parse(code)
    except ValueError as exc:
        raise InvalidField("period", str(exc)) from None
    return [p.code for kind in periods.KIND_MONTHS for p in periods.periods_of(kind, period)]


async def list_items(
    session: AsyncSession,
    *,
    period: str | None,
    status: str | None,
    rule_code: str | None,
    jurisdiction: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[PlanItem], str | None]:
    """By due date, then id; a period lists every item whose period meets it."""
    query = select(PlanItem).order_by(PlanItem.due_date, PlanItem.id).limit(limit + 1)
    if period:
        query = query.where(PlanItem.period.in_(_overlapping(period)))
    for column, value in ((PlanItem.status, status), (PlanItem.rule_code, rule_code)):
        if value:
            query = query.where(column == value)
    if jurisdiction:
        query = query.where(PlanItem.jurisdiction == jurisdiction)
    after = decode_cursor(cursor)
    if after is not None:
        due, last = date.fromisoformat(str(after.get("due"))), str(after.get("id"))
        query = query.where(or_(PlanItem.due_date > due, and_(PlanItem.due_date == due, PlanItem.id > last)))
    rows = list((await session.scalars(query)).all())
    if len(rows) <= limit:
        return rows, None
    last_row = rows[limit - 1]
    return rows[:limit], encode_cursor({"due": (last_row.due_date or date.max).isoformat(), "id": last_row.id})


async def _items_to_commit(session: AsyncSession, body: CommitItems) -> list[PlanItem]:
    query = select(PlanItem).with_for_update().order_by(PlanItem.due_date, PlanItem.id)
    if body.item_ids:
        query = query.where(PlanItem.id.in_(body.item_ids))
        found = {i.id: i for i in (await session.scalars(query)).all()}
        for index, item_id in enumerate(body.item_ids):
            if item_id not in found:
                raise InvalidField(f"item_ids[{index}]", f"no plan item {item_id!r}")
        return [found[i] for i in dict.fromkeys(body.item_ids)]
    query = query.where(PlanItem.period.in_(_overlapping(body.period or "")), PlanItem.status == PLANNED)
    if body.due_by:
        query = query.where(PlanItem.due_date <= body.due_by)
    return list((await session.scalars(query)).all())


async def commit_items(
    session: AsyncSession,
    *,
    body: CommitItems,
    registry: RegistryClient,
    signer: Signer,
    caller: str,
) -> list[dict[str, Any]]:
    """Commit planned draws, one savepoint each: an item that cannot be drawn (no inspectors, say)
    is reported and stays planned while the others go ahead. A rule item whose filters match no
    active entity is marked empty: there is nothing to check."""
    cache, results = RegistryCache(), []
    for item in await _items_to_commit(session, body):
        if item.status != PLANNED:
            results.append({"item_id": item.id, "status": item.status, "draw_id": item.draw_id})
            continue
        results.append(await _commit_one(session, item, body.entropy_source, registry, signer, caller, cache))
    return results


async def _commit_one(
    session: AsyncSession,
    item: PlanItem,
    entropy_source: str,
    registry: RegistryClient,
    signer: Signer,
    caller: str,
    cache: RegistryCache,
) -> dict[str, Any]:
    body = DrawCreate.model_validate(item.spec | {"entropy_source": entropy_source})
    origin = Origin(item.id, item.rule_code, item.rules_version)
    try:
        async with session.begin_nested():
            draw = await commit_draw(
                session, body=body, registry=registry, caller=caller, signer=signer, origin=origin, cache=cache
            )
    except EmptyPool:
        if not item.rule_code:
            raise
        item.status = EMPTY_ITEM
        await session.flush()
        return {"item_id": item.id, "status": EMPTY_ITEM}
    except ProblemError as problem:
        if problem.status != 422:
            raise
        error = {"type": problem.slug, "field": problem.field, "detail": problem.detail}
        return {"item_id": item.id, "status": PLANNED, "error": error}
    item.status, item.draw_id = COMMITTED_ITEM, draw.id
    await session.flush()
    return {"item_id": item.id, "status": COMMITTED_ITEM, "draw_id": draw.id}
