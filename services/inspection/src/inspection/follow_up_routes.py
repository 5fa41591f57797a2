"""Recusal at the door (回避) and rectification re-inspection (复查)."""

from typing import Any

from fastapi import APIRouter

from inspection import rectifications, recusals, service
from inspection.dependencies import TEAM_ONLY, ActingOfficer, DrawDep, Now, ReadCaller, ValidInspection
from inspection.schemas import InspectionRead, RecusalRead, ReinspectionRead
from inspection.submissions import RecusalIn, ReinspectionIn
from shared.db import SessionDep

router = APIRouter(tags=["follow-up"])


@router.post(
    "/inspections/{inspection_id}/recusals",
    response_model=InspectionRead,
    summary="Declare your own conflict (回避) and get a substitute drawn by the draw service",
    responses=TEAM_ONLY
    | {
        409: {"description": "inspection completed, or the draw service's team differs"},
        422: {"description": "the draw service found nobody eligible"},
        503: {"description": "the draw service is unreachable; nothing changed"},
    },
)
async def recuse(
    inspection_id: str, body: RecusalIn, session: SessionDep, officer: ActingOfficer, draw: DrawDep, now: Now
) -> Any:
    """You leave the team; the substitute is drawn from the draw's seed and frozen inspector pool
    (recomputable from the public draw record) and takes your seat. Logged in the history."""
    inspection = await recusals.recuse(
        session, inspection_id=inspection_id, body=body, officer=officer, draw=draw, now=now
    )
    return await service.inspection_read(session, inspection)


@router.get(
    "/inspections/{inspection_id}/recusals",
    response_model=list[RecusalRead],
    summary="Recusals declared on an inspection and the substitutes drawn for them",
)
async def list_recusals(_: ReadCaller, inspection: ValidInspection, session: SessionDep) -> Any:
    return await recusals.recusals_of(session, inspection.id)


@router.post(
    "/inspections/{inspection_id}/reinspections",
    response_model=ReinspectionRead,
    status_code=201,
    summary="Record a re-inspection (复查) of an ordered rectification: rectified or not",
    responses=TEAM_ONLY
    | {
        409: {"description": "no open rectification, or 'not rectified' before the deadline has passed"},
        422: {"description": "evidence not uploaded to this inspection"},
    },
)
async def reinspect(
    inspection_id: str, body: ReinspectionIn, session: SessionDep, officer: ActingOfficer, now: Now
) -> Any:
    """Closes the order and sends `ssj.inspection.rectification_closed`. A blasting unit found not
    rectified after its deadline is ordered to suspend (停业整顿): `ssj.inspection.sanctioned`."""
    record = await rectifications.reinspect(session, inspection_id=inspection_id, body=body, officer=officer, now=now)
    return ReinspectionRead.model_validate(record)
