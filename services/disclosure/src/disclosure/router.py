from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Query, Request, Response

from disclosure import feed, sequencer, service
from disclosure.dependencies import ApproveCaller, ReadCaller
from disclosure.schemas import ApproveIn, FeedPage, PublicResult, RejectIn, ResultList, ResultRead, Status
from shared.db import SessionDep
from shared.limits import RATE_LIMITED, rate_limited

router = APIRouter(prefix="/v1", tags=["results"])
public_router = APIRouter(
    prefix="/public/v1", tags=["public"], dependencies=[Depends(rate_limited("public"))], responses=RATE_LIMITED
)
Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]


@router.get(
    "/results",
    response_model=ResultList,
    summary="List inspection results by approval status (待审核 pending, 已公开 published, 不予公开 rejected)",
)
async def list_results(
    session: SessionDep,
    _: ReadCaller,
    status: Status | None = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> Any:
    """Oldest first, so approvers work the queue in arrival order. Shows the inspection team and the
    unredacted notes: internal only."""
    items, next_cursor = await service.list_results(session, status=status, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/results/{result_id}",
    response_model=ResultRead,
    summary="One inspection result, with the redacted preview of what approval would publish",
)
async def get_result(result_id: str, session: SessionDep, _: ReadCaller) -> Any:
    return await service.get_result(session, result_id=result_id)


@router.post(
    "/results/{result_id}/approve",
    response_model=ResultRead,
    summary="Approve a pending result for publication (内部审批通过 → 公开)",
)
async def approve_result(
    result_id: str,
    session: SessionDep,
    request: Request,
    background: BackgroundTasks,
    caller: ApproveCaller,
    body: ApproveIn | None = None,
) -> Any:
    """Freezes release 1 from the redacted preview and queues it for the public feed, where it
    appears within a moment with the next feed position. Only pending results: 409 otherwise."""
    result = await service.approve(session, result_id=result_id, approver=caller.name, note=body.note if body else None)
    settings = request.app.state.settings
    if settings.feed_sequence_on_approve:  # runs after the commit, before the worker would
        background.add_task(sequencer.nudge, request.app.state.sessionmaker, settings.sequencer_batch_size)
    return result


@router.post(
    "/results/{result_id}/reject",
    response_model=ResultRead,
    summary="Refuse publication of a pending result (不予公开), with the reason",
)
async def reject_result(result_id: str, body: RejectIn, session: SessionDep, caller: ApproveCaller) -> Any:
    """Nothing becomes public; the reason is kept for the record. Only pending results: 409 otherwise."""
    return await service.reject(session, result_id=result_id, approver=caller.name, reason=body.reason)


@public_router.get(
    "/feed",
    response_model=FeedPage,
    responses={304: {"description": "Not modified: the If-None-Match tag is still current"}},
    summary="The public feed of published results (抽查结果公开), oldest first; follow `next`",
)
async def get_feed(
    request: Request,
    session: SessionDep,
    cursor: str | None = None,
    limit: Annotated[int | None, Query(ge=1, le=500, description="Page size (default 50)")] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Every page has `next`; on the last page it points to where new items will appear, so a
    reader polls it and never misses or repeats an item. Full pages never change (cached a day);
    send If-None-Match with the ETag to get 304 when nothing is new."""
    limit = limit or request.app.state.settings.feed_page_size
    after = feed.cursor_position(cursor)
    items = await service.feed_items(session, after=after, limit=limit)
    body = feed.page_body(items, after=after, limit=limit)
    headers = {"ETag": feed.etag(body), "Cache-Control": feed.cache_control(len(items), limit)}
    if feed.not_modified(if_none_match, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@public_router.get(
    "/results/{result_id}",
    response_model=PublicResult,
    summary="One published result as the public sees it (已公开的抽查结果)",
)
async def get_public_result(result_id: str, session: SessionDep) -> Any:
    """404 for anything not published: pending and rejected results do not exist publicly."""
    return await service.public_result(session, result_id=result_id)
