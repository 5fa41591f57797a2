from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from draw import service
from draw.dependencies import CommitCaller, ExecuteCaller, RegistryDep, ValidDraw
from draw.models import EXECUTED
from draw.schemas import DrawCreate, DrawExecute, DrawList, DrawRead, DrawRecord, Sector, SelectionRead
from shared.db import SessionDep
from shared.limits import RATE_LIMITED, rate_limited

router = APIRouter(prefix="/v1", tags=["draws"])
# Public reads: anyone may audit draws, within a per-client rate.
PUBLIC: dict[str, Any] = {"dependencies": [Depends(rate_limited("draws"))], "responses": RATE_LIMITED}
Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]


def _read(draw: Any, selections: list[Any] | None) -> DrawRead:
    read = DrawRead.model_validate(draw)
    if selections is not None:
        read.selections = [SelectionRead.model_validate(s) for s in selections]
    return read


@router.post(
    "/draws",
    response_model=DrawRead,
    status_code=201,
    summary="Commit a draw (抽取承诺): freeze the target and inspector pools, publish the commitment",
)
async def commit_draw(body: DrawCreate, session: SessionDep, registry: RegistryDep, caller: CommitCaller) -> Any:
    """Fetches the sector's active entities and the qualified inspectors from the registry, freezes them,
    and publishes the commitment text before any randomness exists. The server secret stays hidden
    until execution. 422 names the field when the quota exceeds a stratum, the pool is empty or the
    team cannot be formed; 502/503 when the registry fails (nothing is stored)."""
    draw = await service.commit_draw(session, body=body, registry=registry, caller=caller.name)
    return _read(draw, None)


@router.post(
    "/draws/{draw_id}/execute",
    response_model=DrawRead,
    summary="Execute a committed draw (执行抽取) with the declared public entropy",
)
async def execute_draw(draw_id: str, body: DrawExecute, session: SessionDep, caller: ExecuteCaller) -> Any:
    """Runs ssj-draw-v1: random targets per stratum, then random teams (双随机). Runs once: the same
    external_entropy again returns the same result; different entropy is refused with 409."""
    draw, selections = await service.execute_draw(
        session, draw_id=draw_id, external_entropy=body.external_entropy, caller=caller.name
    )
    return _read(draw, selections)


@router.get("/draws", response_model=DrawList, summary="List draws, newest first (public)", **PUBLIC)
async def list_draws(
    session: SessionDep,
    sector: Sector | None = None,
    status: Literal["committed", "executed"] | None = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> Any:
    items, next_cursor = await service.list_draws(session, sector=sector, status=status, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/draws/{draw_id}", response_model=DrawRead, summary="One draw: plan, commitment and result (public)", **PUBLIC
)
async def get_draw(draw: ValidDraw, session: SessionDep) -> Any:
    selections = await service.selections_of(session, draw.id) if draw.status == EXECUTED else None
    return _read(draw, selections)


@router.get(
    "/draws/{draw_id}/record",
    response_model=None,
    responses={200: {"model": DrawRecord}, **RATE_LIMITED},
    dependencies=[Depends(rate_limited("draws"))],
    summary="The public draw record (draw-algorithm.md §3): recompute and verify the draw yourself",
)
async def get_record(draw: ValidDraw, session: SessionDep) -> JSONResponse:
    """Before execution it carries the commitment only (no server_secret, external_entropy, seed or
    selections). Check it with `ssj verify-draw RECORD.json` or any independent implementation."""
    return JSONResponse(await service.public_record(session, draw))
