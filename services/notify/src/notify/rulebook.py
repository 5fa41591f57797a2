"""The routing rules as versioned data: every change is a new (id, version) row and the one before
stops being active, so each notification's (rule_id, rule_version) always names the exact rule
text that sent it, and the history shows who changed what when."""

from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from notify import routing
from notify.models import Department, RoutingRule
from notify.schemas import RuleCreate, RuleFields, RuleRevision
from shared.problems import Conflict, InvalidField, NotFound


def as_rule(row: RoutingRule) -> routing.Rule:
    def frozen(values: list[str] | None) -> frozenset[str] | None:
        return frozenset(values) if values is not None else None

    return routing.Rule(
        row.id,
        row.version,
        tuple(row.departments),
        frozenset(row.event_types),
        sectors=frozen(row.sectors),
        outcomes=frozen(row.outcomes),
        check_types=frozen(row.check_types),
        to_participants=row.to_participants,
        description_zh=row.description_zh,
    )


async def in_force(session: AsyncSession) -> list[RoutingRule]:
    return list(await session.scalars(select(RoutingRule).where(RoutingRule.active.is_(True)).order_by(RoutingRule.id)))


async def active_rules(session: AsyncSession) -> list[routing.Rule]:
    """The rules routing evaluates, in id order (the first rule naming a department is credited)."""
    return [as_rule(row) for row in await in_force(session)]


async def history(session: AsyncSession, *, rule_id: str) -> list[RoutingRule]:
    query = select(RoutingRule).where(RoutingRule.id == rule_id).order_by(RoutingRule.version)
    versions = list(await session.scalars(query))
    if not versions:
        raise NotFound("routing rule", rule_id)
    return versions


async def create_rule(session: AsyncSession, *, data: RuleCreate, by: str) -> RoutingRule:
    if await session.scalar(select(RoutingRule.id).where(RoutingRule.id == data.id).limit(1)) is not None:
        detail = f"rule {data.id!r} exists; PUT /v1/routing-rules/{data.id} revises it"
        raise Conflict("rule-exists", detail, field="id")
    await _check_departments(session, data)
    return await _insert(session, rule_id=data.id, version=1, data=data, active=True, by=by)


async def revise_rule(session: AsyncSession, *, rule_id: str, data: RuleRevision, by: str) -> RoutingRule:
    """Version n + 1 replaces the rule; deliveries already made keep naming version n."""
    latest = await session.scalar(select(func.max(RoutingRule.version)).where(RoutingRule.id == rule_id))
    if latest is None:
        raise NotFound("routing rule", rule_id)
    await _check_departments(session, data)
    await session.execute(update(RoutingRule).where(RoutingRule.id == rule_id).values(active=False))
    return await _insert(session, rule_id=rule_id, version=latest + 1, data=data, active=data.active, by=by)


async def _insert(
    session: AsyncSession, *, rule_id: str, version: int, data: RuleFields, active: bool, by: str
) -> RoutingRule:
    row = RoutingRule(
        id=rule_id,
        version=version,
        **data.model_dump(include=set(RuleFields.model_fields)),
        active=active,
        created_at=datetime.now(UTC),
        created_by=by,
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise Conflict("rule-changed", f"rule {rule_id!r} was changed concurrently; read it and retry") from None
    return row


async def _check_departments(session: AsyncSession, data: RuleFields) -> None:
    if not data.departments and not data.to_participants:
        raise InvalidField("departments", "name at least one department, or set to_participants")
    known = set(await session.scalars(select(Department.code).where(Department.code.in_(data.departments))))
    for position, code in enumerate(data.departments):
        if code not in known:
            raise InvalidField(f"departments[{position}]", f"unknown department {code!r}; see GET /v1/departments")
