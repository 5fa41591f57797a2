from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from draw import compliance, periods, plans
from draw.dependencies import CountiesDep, ReadCaller, RulesDep
from draw.exceptions import UnknownRule
from shared.db import SessionDep
from shared.problems import InvalidField

router = APIRouter(prefix="/v1", tags=["compliance"])
Format = Literal["json", "csv"]
PeriodQuery = Query(description="Reporting period: 2026, 2026-H2, 2026-Q4 or 2026-11", examples=["2026-Q4"])
AsOf = Query(None, description="Judge overdue checks as of this day (default: today in Fushun)")
FormatQuery = Query("json", description="json, or csv (UTF-8 with BOM, for spreadsheets)")
RULE_COLUMNS = {
    "rule_code": "the rule",
    "checking_body": "unit",
    "jurisdiction": "area",
    "stratum": "stratum",
    "required": "checks the rules require (null: not yet known, nothing committed)",
    "drawn": "drawn entities",
    "completed": "reported completed by inspection",
    "overdue": "drawn entities past due and not completed",
    "status": "met, in_progress, overdue, not_planned or missed",
}


async def _rows(
    session: Any, period: str, rule: str | None, table: Any, counties: list[str], as_of: date | None
) -> Any:
    try:
        parsed = periods.parse(period)
    except ValueError as exc:
        raise InvalidField("period", str(exc)) from None
    known = [r.code for r in table.rules]
    if rule is not None and rule not in known:
        raise UnknownRule("rule", rule, known)
    chosen = plans.chosen_rules(table, [rule] if rule else None)
    return await compliance.report(
        session, period=parsed, table=chosen, counties=counties, as_of=as_of or periods.bureau_today()
    )


def _answer(records: list[dict[str, Any]], fmt: str, name: str) -> Response:
    if fmt == "csv":
        return Response(
            compliance.to_csv(records),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return JSONResponse({"items": records})


@router.get(
    "/compliance",
    summary="Compliance with the frequency rules (抽查频次落实情况), per rule, body and stratum",
    responses={200: {"description": f"items: one per rule period, checking body and stratum — {RULE_COLUMNS}"}},
)
async def get_compliance(
    session: SessionDep,
    table: RulesDep,
    counties: CountiesDep,
    _: ReadCaller,
    period: str = PeriodQuery,
    rule: str | None = Query(None, description="Only this rule (see /public/v1/rules)"),
    as_of: date | None = AsOf,
    format: Format = FormatQuery,
) -> Response:
    """For every rule period meeting `period`: required checks (from the rule and the frozen pool sizes),
    drawn, completed (from ssj.inspection.completed) and the overdue entities; `format=csv` exports."""
    rows = await _rows(session, period, rule, table, counties, as_of)
    return _answer(compliance.as_dicts(rows), format, f"compliance-{period}")


@router.get(
    "/compliance/units",
    summary="Per-unit report (单位落实情况): each checking body's obligations, met and overdue",
)
async def get_unit_compliance(
    session: SessionDep,
    table: RulesDep,
    counties: CountiesDep,
    _: ReadCaller,
    period: str = PeriodQuery,
    as_of: date | None = AsOf,
    format: Format = FormatQuery,
) -> Response:
    """The accountability view the seed asks for (推进随机抽查工作不力的，要给予通报批评): per unit and
    area, obligations, how many are met or overdue, checks required, drawn and completed."""
    rows = await _rows(session, period, None, table, counties, as_of)
    return _answer(compliance.by_unit(rows), format, f"compliance-units-{period}")
