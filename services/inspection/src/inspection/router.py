from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from inspection import audit, results, service
from inspection.dependencies import TEAM_ONLY, ActingOfficer, Now, ReadCaller, ValidInspection
from inspection.evidence_routes import router as evidence_router
from inspection.follow_up_routes import router as follow_up_router
from inspection.models import Inspection
from inspection.schemas import (
    CheckType,
    HistoryList,
    Ident,
    InspectionList,
    InspectionRead,
    Sector,
    Status,
    VersionRead,
)
from inspection.service import InspectionFilter
from inspection.submissions import ConfirmIn, CorrectionIn, ResultIn
from shared.db import SessionDep

router = APIRouter(prefix="/v1", tags=["inspections"])
Limit = Annotated[int, Query(ge=1, le=1000, description="Page size")]
RESULT_ANSWERS: dict[int | str, dict[str, Any]] = TEAM_ONLY | {
    200: {"description": "every team member has confirmed this content: the version is recorded"},
    202: {"description": "recorded as the draft, confirmed by you; `draft.awaiting` still has to confirm"},
    409: {"description": "completed already / not completed yet / draft changed / team of one"},
    422: {"description": "findings do not cover the checklist, or disagree with the outcome (field named)"},
}


async def _result_answer(session: AsyncSession, inspection: Inspection, response: Response) -> InspectionRead:
    if inspection.draft_content is not None:
        response.status_code = 202
    return await service.inspection_read(session, inspection)


@router.get(
    "/inspections",
    response_model=InspectionList,
    summary="List inspection tasks (检查任务) for an inspector or a unit, soonest due first",
)
async def list_inspections(
    session: SessionDep,
    _: ReadCaller,
    inspector: Annotated[Ident | None, Query(description="Tasks whose team includes this inspector id")] = None,
    status: Status | None = None,
    draw_id: str | None = None,
    sector: Sector | None = None,
    entity_id: Annotated[Ident | None, Query(description="One inspected unit's tasks (被检查单位)")] = None,
    checking_body: Annotated[str | None, Query(max_length=40, description="The checking unit's tasks")] = None,
    check_type: CheckType | None = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> Any:
    where = InspectionFilter(inspector, status, draw_id, sector, entity_id, checking_body, check_type)
    items, next_cursor = await service.list_inspections(session, where=where, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/inspections/{inspection_id}",
    response_model=InspectionRead,
    summary="One inspection task with its checklist (检查事项清单), findings, outcome and pending draft",
)
async def get_inspection(_: ReadCaller, inspection: ValidInspection, session: SessionDep) -> Any:
    return await service.inspection_read(session, inspection)


@router.post(
    "/inspections/{inspection_id}/complete",
    response_model=InspectionRead,
    summary="Submit the findings and outcome (检查结果) for the team to confirm (two-officer rule)",
    responses=RESULT_ANSWERS,
)
async def complete_inspection(
    inspection_id: str, body: ResultIn, response: Response, session: SessionDep, officer: ActingOfficer, now: Now
) -> Any:
    """One finding per checklist item, and an outcome that agrees with them (any sanction needs a
    non_compliant finding; 限期整改 a deadline after today; a fine its amount; 挂牌督办 a fire
    hazard; a blacklist its people and dates). The submission is a draft confirmed by you: 202
    until every team member has confirmed it (POST …/confirmations, or the same body again); then
    200, the result is fixed and `ssj.inspection.completed` and its follow-up events are sent."""
    inspection = await results.submit(session, inspection_id=inspection_id, result=body, officer=officer, now=now)
    return await _result_answer(session, inspection, response)


@router.post(
    "/inspections/{inspection_id}/confirmations",
    response_model=InspectionRead,
    summary="Confirm the draft result you reviewed (复核确认), by its digest",
    responses=RESULT_ANSWERS,
)
async def confirm_inspection(
    inspection_id: str, body: ConfirmIn, response: Response, session: SessionDep, officer: ActingOfficer, now: Now
) -> Any:
    """Confirms exactly `draft.sha256` as shown by GET; if the draft changed since, 409 and nothing is confirmed."""
    inspection = await results.confirm(
        session, inspection_id=inspection_id, draft_sha256=body.draft_sha256, officer=officer, now=now
    )
    return await _result_answer(session, inspection, response)


@router.post(
    "/inspections/{inspection_id}/corrections",
    response_model=InspectionRead,
    summary="Correct a completed result (更正): a new version with a reason, confirmed by the team",
    responses=RESULT_ANSWERS,
)
async def correct_inspection(
    inspection_id: str, body: CorrectionIn, response: Response, session: SessionDep, officer: ActingOfficer, now: Now
) -> Any:
    """Completed results never change in place: the corrected result is a draft of the next version,
    recorded once every team member has confirmed it. Earlier versions stay readable."""
    inspection = await results.submit(session, inspection_id=inspection_id, result=body, officer=officer, now=now)
    return await _result_answer(session, inspection, response)


@router.get(
    "/inspections/{inspection_id}/versions",
    response_model=list[VersionRead],
    summary="Every confirmed version of the result (1 = completion, then corrections), as confirmed",
)
async def list_versions(_: ReadCaller, inspection: ValidInspection, session: SessionDep) -> Any:
    return await service.versions(session, inspection.id)


@router.get(
    "/inspections/{inspection_id}/history",
    response_model=HistoryList,
    summary="The audit trail (操作记录) of an inspection: every step, who took it and when",
)
async def get_history(
    _: ReadCaller, inspection: ValidInspection, session: SessionDep, cursor: str | None = None, limit: Limit = 200
) -> Any:
    items, next_cursor = await audit.history(session, inspection_id=inspection.id, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


router.include_router(evidence_router)
router.include_router(follow_up_router)
