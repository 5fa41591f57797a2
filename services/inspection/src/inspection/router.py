from typing import Annotated, Any

from fastapi import APIRouter, Query

from inspection import service
from inspection.dependencies import ReadCaller, RecordCaller, ValidInspection
from inspection.periods import bureau_today
from inspection.schemas import CompletionIn, Ident, InspectionList, InspectionRead, Sector, Status
from shared.db import SessionDep

router = APIRouter(prefix="/v1", tags=["inspections"])
Limit = Annotated[int, Query(ge=1, le=1000, description="Page size")]


@router.get(
    "/inspections",
    response_model=InspectionList,
    summary="List inspection tasks (检查任务) by inspector, status, draw or sector, soonest due first",
)
async def list_inspections(
    session: SessionDep,
    _: ReadCaller,
    inspector: Annotated[Ident | None, Query(description="Tasks whose team includes this inspector id")] = None,
    status: Status | None = None,
    draw_id: str | None = None,
    sector: Sector | None = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> Any:
    items, next_cursor = await service.list_inspections(
        session, inspector=inspector, status=status, draw_id=draw_id, sector=sector, cursor=cursor, limit=limit
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/inspections/{inspection_id}",
    response_model=InspectionRead,
    summary="One inspection task with its checklist (检查事项清单), findings and outcome",
)
async def get_inspection(_: ReadCaller, inspection: ValidInspection) -> Any:
    return inspection


@router.post(
    "/inspections/{inspection_id}/complete",
    response_model=InspectionRead,
    summary="Record the findings and outcome (检查结果) of an inspection and close it",
    responses={
        404: {"description": "no such inspection"},
        409: {"description": "already completed; results are immutable"},
        422: {"description": "findings do not cover the checklist, or disagree with the outcome"},
    },
)
async def complete_inspection(
    inspection_id: str,
    completion: CompletionIn,
    session: SessionDep,
    caller: RecordCaller,
) -> Any:
    """One finding per checklist item, and an outcome that agrees with them (any sanction needs a
    non_compliant finding; 限期整改 needs a deadline after today). On success the result is
    fixed and `ssj.inspection.completed` goes to disclosure and notify."""
    return await service.complete(
        session, inspection_id=inspection_id, completion=completion, completed_by=caller.name, today=bureau_today()
    )
