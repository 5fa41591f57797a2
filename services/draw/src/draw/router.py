from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter

from draw import commit, service, voids
from draw.dependencies import CommitCaller, ExecuteCaller, RegistryDep, SignerDep, ValidDraw, VoidCaller
from draw.schemas import (
    DrawCreate,
    DrawExecute,
    DrawList,
    DrawRead,
    DrawRecord,
    Sector,
    SelectionRead,
    VoidApproval,
    VoidRequest,
    VoidResult,
)
from shared.db import SessionDep
from shared.limits import RATE_LIMITED, rate_limited

router = APIRouter(prefix="/v1", tags=["draws"])
# Public reads: anyone may audit draws, within a per-client rate.
PUBLIC: dict[str, Any] = {"dependencies": [Depends(rate_limited("draws"))], "responses": RATE_LIMITED}
Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]


_SELECTIONS = TypeAdapter(list[SelectionRead])


def _read(draw: Any, selections: list[Any] | None) -> DrawRead:
    read = DrawRead.model_validate(draw)
    if selections is not None:  # one validation call for tens of thousands of selections
        read.selections = _SELECTIONS.validate_python(selections, from_attributes=True)
    return read


@router.post(
    "/draws",
    response_model=DrawRead,
    status_code=201,
    summary="Commit a draw (抽取承诺): freeze the target and inspector pools, publish the commitment",
)
async def commit_draw(
    body: DrawCreate, session: SessionDep, registry: RegistryDep, signer: SignerDep, caller: CommitCaller
) -> Any:
    """Fetches the sector's active entities (weighted by registry risk signals under `risk_policy`) and
    the qualified inspectors of the checking body from the registry, freezes them, and publishes the
    commitment text before any randomness exists; the commit is appended to the audit log. The
    server secret stays hidden until execution. 422 names the field when the quota exceeds a stratum,
    the pool is empty, no inspector is eligible or the team cannot be formed; 502/503 when the registry
    fails (nothing is stored)."""
    draw = await commit.commit_draw(session, body=body, registry=registry, caller=caller.name, signer=signer)
    return _read(draw, None)


@router.post(
    "/draws/{draw_id}/execute",
    response_model=DrawRead,
    summary="Execute a committed draw (执行抽取) with the declared public entropy",
)
async def execute_draw(
    draw_id: str, body: DrawExecute, session: SessionDep, signer: SignerDep, caller: ExecuteCaller
) -> Any:
    """Runs ssj-draw-v1: random targets per stratum, then random teams (双随机). Runs once: the same
    external_entropy again returns the same result, also to concurrent callers; different entropy is
    refused with 409 (re-roll), as is executing a voided draw."""
    draw, selections = await service.execute_draw(
        session, draw_id=draw_id, external_entropy=body.external_entropy, caller=caller.name, signer=signer
    )
    return _read(draw, selections)


@router.get("/draws", response_model=DrawList, summary="List draws, newest first (public)", **PUBLIC)
async def list_draws(
    session: SessionDep,
    sector: Sector | None = None,
    status: Literal["committed", "executed", "voided"] | None = None,
    period: str | None = Query(None, description="Exact reporting period, e.g. 2026-Q4"),
    rule_code: str | None = Query(None, description="Draws planned for this rule"),
    cursor: str | None = None,
    limit: Limit = 50,
) -> Any:
    items, next_cursor = await service.list_draws(
        session, sector=sector, status=status, period=period, rule_code=rule_code, cursor=cursor, limit=limit
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/draws/{draw_id}", response_model=DrawRead, summary="One draw: plan, commitment and result (public)", **PUBLIC
)
async def get_draw(draw: ValidDraw, session: SessionDep) -> Any:
    selections = await service.selections_of(session, draw.id) if draw.seed is not None else None
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


@router.post(
    "/draws/{draw_id}/void-request",
    response_model=DrawRead,
    summary="Request a void (申请作废) with a reason; a second person must approve it",
)
async def request_void(draw_id: str, body: VoidRequest, session: SessionDep, caller: VoidCaller) -> Any:
    """The first of two people: states why the draw must not stand. The draw is unchanged until a
    different caller with draw:void approves; 409 if it is voided or a request is already pending."""
    draw = await voids.request_void(session, draw_id=draw_id, reason=body.reason, caller=caller.name)
    return _read(draw, None)


@router.post(
    "/draws/{draw_id}/void-approval",
    response_model=VoidResult,
    summary="Approve a void (批准作废): the draw is voided, published and drawn again under a new id",
)
async def approve_void(
    draw_id: str,
    body: VoidApproval,
    session: SessionDep,
    registry: RegistryDep,
    signer: SignerDep,
    caller: VoidCaller,
) -> Any:
    """The second person: must not be the requester (403). Voids the draw (`ssj.draw.voided`, audit
    log), and commits a replacement from the same plan against today's registry with the new
    entropy_source; the plan item, if any, now points to the replacement."""
    voided, replacement = await voids.approve_void(
        session,
        draw_id=draw_id,
        entropy_source=body.entropy_source,
        caller=caller.name,
        registry=registry,
        signer=signer,
    )
    return {"voided": _read(voided, None), "replacement": _read(replacement, None)}
