from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from draw import periods, plans
from draw.dependencies import CommitCaller, CountiesDep, ReadCaller, RegistryDep, RulesDep, SignerDep
from draw.plan_schemas import (
    CommitItems,
    CommitResults,
    GenerateRequest,
    GenerateResult,
    PlanCreate,
    PlanItemList,
    PlanItemRead,
    PlanRead,
    RuleTableRead,
)
from draw.rules import RuleTable
from shared.db import SessionDep
from shared.limits import RATE_LIMITED, rate_limited
from shared.problems import InvalidField

router = APIRouter(prefix="/v1", tags=["plans"])
public = APIRouter(
    prefix="/public/v1", tags=["public"], dependencies=[Depends(rate_limited("rules"))], responses=RATE_LIMITED
)
Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]


def _period(code: str, field: str = "period") -> periods.Period:
    try:
        return periods.parse(code)
    except ValueError as exc:
        raise InvalidField(field, str(exc)) from None


def _plan_view(plan: Any, items: list[Any]) -> PlanRead:
    view = PlanRead.model_validate(plan)
    view.items = [PlanItemRead.model_validate(item) for item in items]
    return view


def table_view(table: RuleTable, counties: list[str]) -> dict[str, Any]:
    rules = []
    for rule in table.rules:
        view = asdict(rule) | {"strata": list(rule.strata), "check_types": list(rule.check_types)}
        view["percent"] = float(rule.percent) if rule.percent is not None else None
        rules.append(view)
    return {"version": table.version, "counties": counties, "rules": rules}


@public.get(
    "/rules",
    response_model=RuleTableRead,
    summary="The frequency rules in force (随机抽查频次): body, period, rounds, ratio (public)",
)
async def get_rules(table: RulesDep, counties: CountiesDep) -> Any:
    """The seed's §3 rules as data, with the version every generated plan records."""
    return table_view(table, counties)


@router.post(
    "/plans:generate",
    response_model=GenerateResult,
    summary="Generate the plan (生成抽查计划): every draw the rules require for a period",
)
async def generate_plan(
    body: GenerateRequest, session: SessionDep, table: RulesDep, counties: CountiesDep, _: CommitCaller
) -> Any:
    """Creates one planned draw per rule, rule period meeting `period`, checking body (the city, or each
    county for county bodies) and round, with its quota, team size, check type and due date. Safe to
    repeat: existing planned draws are returned, not duplicated (`created` counts new ones). 422
    names an unknown rule."""
    chosen = plans.chosen_rules(table, body.rules)
    items, created = await plans.generate(session, period=_period(body.period), table=chosen, counties=counties)
    return {"period": body.period, "rules_version": table.version, "created": created, "items": items}


@router.post(
    "/plans",
    response_model=PlanRead,
    status_code=201,
    summary="Create a manual plan: a special campaign (专项) or a joint check (联合抽查)",
)
async def create_plan(body: PlanCreate, session: SessionDep, caller: CommitCaller) -> Any:
    """For major holidays, key areas or the hot season of flammable/explosive enterprises, and for joint
    checks with education, health, work-safety or quality departments: a joint plan makes every item a
    joint check, and the executed draw carries check_type joint and joint_departments."""
    plan, items = await plans.create_plan(session, body=body, caller=caller.name)
    return _plan_view(plan, items)


@router.get("/plans/{plan_id}", response_model=PlanRead, summary="One manual plan and its planned draws")
async def get_plan(plan_id: str, session: SessionDep, _: ReadCaller) -> Any:
    plan, items = await plans.get_plan(session, plan_id)
    return _plan_view(plan, items)


@router.get("/plan-items", response_model=PlanItemList, summary="Planned draws (计划抽取), by due date")
async def list_plan_items(
    session: SessionDep,
    _: ReadCaller,
    period: str | None = Query(None, description="Items whose period meets this one (2026-Q4 lists its months)"),
    status: Literal["planned", "committed", "empty"] | None = None,
    rule_code: str | None = None,
    jurisdiction: str | None = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> Any:
    items, next_cursor = await plans.list_items(
        session,
        period=period,
        status=status,
        rule_code=rule_code,
        jurisdiction=jurisdiction,
        cursor=cursor,
        limit=limit,
    )
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/plan-items:commit",
    response_model=CommitResults,
    summary="Commit planned draws (批量承诺): freeze each one's pools under one declared entropy source",
)
async def commit_plan_items(
    body: CommitItems, session: SessionDep, registry: RegistryDep, signer: SignerDep, caller: CommitCaller
) -> Any:
    """Each item becomes a committed draw with its own id, secret and commitment, in the audit log. An
    item that cannot be drawn is reported with the problem (and stays planned) while the rest go
    ahead; a rule item whose county has no such entities becomes `empty`. Already committed items
    are reported as they are."""
    results = await plans.commit_items(session, body=body, registry=registry, signer=signer, caller=caller.name)
    return {"results": results}
