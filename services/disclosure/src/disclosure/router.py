"""Internal routes (bearer credential with scopes): the approval queue, decisions, corrections,
withdrawals and appeal decisions. Whoever was on the inspection team gets 403 on every decision."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request

from disclosure import appeals, releases, sequencer, service
from disclosure.dependencies import ApproveCaller, Now, ReadCaller
from disclosure.schemas import (
    AppealDecisionIn,
    AppealList,
    AppealRead,
    ApproveIn,
    CorrectionIn,
    RejectIn,
    ResultList,
    ResultRead,
    Status,
    WithdrawIn,
    WithholdIn,
)
from disclosure.workdays import local_date
from shared.db import SessionDep

router = APIRouter(prefix="/v1")
Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]


def _nudge(request: Request, background: BackgroundTasks) -> None:
    """Number the new release right after the commit, before the worker would."""
    settings = request.app.state.settings
    if settings.feed_sequence_on_approve:
        background.add_task(sequencer.nudge, request.app.state.sessionmaker, settings.sequencer_batch_size)


@router.get(
    "/results",
    response_model=ResultList,
    tags=["results"],
    summary="List inspection results by status (待审核 pending, 已公开 published, 不予公开 rejected, "
    "不公开 withheld, 已撤回 withdrawn)",
)
async def list_results(
    session: SessionDep, _: ReadCaller, status: Status | None = None, cursor: str | None = None, limit: Limit = 100
) -> Any:
    """Oldest first, so approvers work the queue in arrival order. Shows the inspection team and the
    unredacted notes: internal only."""
    items, next_cursor = await service.list_results(session, status=status, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/results/overdue",
    response_model=ResultList,
    tags=["results"],
    summary="Pending results past their publication deadline (逾期未公开: 20 working days after completion)",
)
async def list_overdue(
    session: SessionDep,
    _: ReadCaller,
    now: Now,
    as_of: Annotated[date | None, Query(description="Judge as of this local date (default: today)")] = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> Any:
    """Longest overdue first. Working days follow the configured calendar: public holidays and
    make-up working days (调休) included."""
    today = as_of or local_date(now)
    items, next_cursor = await service.list_overdue(session, today=today, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/results/{result_id}",
    response_model=ResultRead,
    tags=["results"],
    summary="One inspection result, with the redacted preview of what approval would publish",
)
async def get_result(result_id: str, session: SessionDep, _: ReadCaller) -> Any:
    return await service.get_result(session, result_id=result_id)


@router.post(
    "/results/{result_id}/approve",
    response_model=ResultRead,
    tags=["results"],
    summary="Approve a pending result for publication (内部审批通过 → 公开); answers the appeal code once",
)
async def approve_result(
    result_id: str,
    session: SessionDep,
    request: Request,
    background: BackgroundTasks,
    caller: ApproveCaller,
    now: Now,
    body: ApproveIn | None = None,
) -> Any:
    """Freezes release 1 from the redacted preview and queues it for the public feed. The answer
    carries `appeal_code` (申诉码), shown this once: print it on the entity's notice. Blasting
    units (case by case) need a `note`. 403 for a member of the inspection team; 409 unless pending."""
    note = body.note if body else None
    result = await service.approve(session, result_id=result_id, approver=caller.name, note=note, now=now)
    _nudge(request, background)
    return result


@router.post(
    "/results/{result_id}/reject",
    response_model=ResultRead,
    tags=["results"],
    summary="Refuse publication of a pending result (不予公开), with the reason",
)
async def reject_result(result_id: str, body: RejectIn, session: SessionDep, caller: ApproveCaller, now: Now) -> Any:
    """Nothing becomes public; the reason is kept for the record. Only pending results: 409 otherwise."""
    return await service.reject(session, result_id=result_id, approver=caller.name, reason=body.reason, now=now)


@router.post(
    "/results/{result_id}/withhold",
    response_model=ResultRead,
    tags=["results"],
    summary="Decide not to publish a blasting-unit result (根据实际情况不予公开), with the reason",
)
async def withhold_result(
    result_id: str, body: WithholdIn, session: SessionDep, caller: ApproveCaller, now: Now
) -> Any:
    """Only for sectors published case by case (爆破作业单位); other sectors' results are all public (422)."""
    return await service.withhold(session, result_id=result_id, approver=caller.name, reason=body.reason, now=now)


@router.post(
    "/results/{result_id}/corrections",
    response_model=ResultRead,
    status_code=201,
    tags=["results"],
    summary="Publish a correction (更正) of a published result as a new release",
)
async def correct_result(
    result_id: str,
    body: CorrectionIn,
    session: SessionDep,
    request: Request,
    background: BackgroundTasks,
    caller: ApproveCaller,
    now: Now,
) -> Any:
    """Corrected findings replace the published ones with the same item code; the reason is
    published with the release. Earlier releases stay as they were."""
    result = await service.result_or_404(session, result_id, lock=True)
    service.ensure_uninvolved(result, caller.name)
    release = await releases.correct(session, result, fields=body, reason=body.reason, by=caller.name, now=now)
    _nudge(request, background)
    return service.view(result, release.number)


@router.post(
    "/results/{result_id}/withdraw",
    response_model=ResultRead,
    status_code=201,
    tags=["results"],
    summary="Withdraw a published result (撤回): a tombstone release; final",
)
async def withdraw_result(
    result_id: str,
    body: WithdrawIn,
    session: SessionDep,
    request: Request,
    background: BackgroundTasks,
    caller: ApproveCaller,
    now: Now,
) -> Any:
    """The feed, Atom archives and exports show every release of the result as a tombstone from then on."""
    result = await service.result_or_404(session, result_id, lock=True)
    service.ensure_uninvolved(result, caller.name)
    release = await releases.withdraw(session, result, reason=body.reason, by=caller.name, now=now)
    _nudge(request, background)
    return service.view(result, release.number)


@router.post(
    "/results/{result_id}/appeal-code",
    response_model=ResultRead,
    tags=["appeals"],
    summary="Issue a new appeal code (重新生成申诉码) for a published result; the old one stops working",
)
async def reissue_appeal_code(result_id: str, session: SessionDep, caller: ApproveCaller) -> Any:
    """For a notice that was lost or must be served again."""
    result = await service.result_or_404(session, result_id, lock=True)
    service.ensure_uninvolved(result, caller.name)
    code = appeals.issue_code(result)
    await session.flush()
    return service.view(result, await releases.latest_number(session, result.id)) | {"appeal_code": code}


@router.get("/appeals", response_model=AppealList, tags=["appeals"], summary="Appeals (申诉), oldest first")
async def list_appeals(
    session: SessionDep,
    _: ReadCaller,
    status: Annotated[str | None, Query(pattern="^(filed|upheld|dismissed)$")] = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> Any:
    """`status=filed` is the queue awaiting a decision. Statements are shown unredacted: internal only."""
    items, next_cursor = await appeals.list_appeals(session, status=status, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/appeals/{appeal_id}/decide",
    response_model=AppealRead,
    tags=["appeals"],
    summary="Decide an appeal (申诉处理): upheld → a correction release; dismissed → the statement is published",
)
async def decide_appeal(
    appeal_id: str,
    body: AppealDecisionIn,
    session: SessionDep,
    request: Request,
    background: BackgroundTasks,
    caller: ApproveCaller,
    now: Now,
) -> Any:
    """By an officer not involved in the inspection (403 otherwise); once (409 after)."""
    appeal = await appeals.decide(session, appeal_id=appeal_id, decision=body, by=caller.name, now=now)
    _nudge(request, background)
    return appeal
