from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from registry import runs, scheduler
from registry.dependencies import ReadCaller, WriteCaller
from registry.models import SyncRun
from registry.schemas import RunErrorList, SourceList, SyncRequest, SyncRunDetail, SyncRunList, SyncRunRead
from registry.sources import adapters
from shared.db import SessionDep

router = APIRouter(prefix="/v1")


@router.get(
    "/sources",
    response_model=SourceList,
    tags=["sync"],
    summary="The source systems (数据来源): wire format, schedule, running and last sync",
)
async def list_sources(request: Request, session: SessionDep, _: ReadCaller) -> Any:
    settings, items = request.app.state.settings, []
    for name, adapter in adapters().items():
        config = settings.sources.get(name)
        last = await session.scalar(
            select(SyncRun).where(SyncRun.source == name).order_by(SyncRun.created_at.desc()).limit(1)
        )
        active = await scheduler.active_run(session, name)
        items.append(
            {
                "name": name,
                "title_zh": adapter.title_zh,
                "paging": adapter.paging,
                "encoding": adapter.encoding,
                "incremental": adapter.incremental,
                "configured": config is not None,
                "url": config.url if config else None,
                "every_minutes": config.every_minutes if config else None,
                "full_every_hours": config.full_every_hours if config else None,
                "active_run": active.id if active else None,
                "last_run": runs.run_view(last) if last else None,
            }
        )
    return {"items": items}


@router.post(
    "/sources/{source}/sync",
    response_model=SyncRunRead,
    status_code=202,
    tags=["sync"],
    summary="Start a sync of one source system now (手动同步); the worker runs it",
    responses={409: {"description": "A sync of this source is already queued or running, or it is not configured"}},
)
async def request_sync(
    source: str, body: SyncRequest, request: Request, response: Response, session: SessionDep, caller: WriteCaller
) -> Any:
    """Queued for the registry worker, which runs it page by page; follow it at the Location
    (GET /v1/sync-runs/{id}). Two syncs of one source never run at once: while one is queued or
    running, this answers 409 naming it."""
    run = await scheduler.request_sync(
        session, source=source, mode=body.mode, by=caller.name, settings=request.app.state.settings
    )
    response.headers["Location"] = f"/v1/sync-runs/{run.id}"
    return runs.run_view(run)


@router.get("/sync-runs", response_model=SyncRunList, tags=["sync"], summary="Sync and import runs, newest first")
async def list_runs(
    session: SessionDep,
    _: ReadCaller,
    source: Annotated[str | None, Query(description="A source system, or `import`")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Any:
    return await runs.list_runs(session, source, cursor, limit)


@router.get(
    "/sync-runs/{run_id}",
    response_model=SyncRunDetail,
    tags=["sync"],
    summary="One run: status, progress, counts (inserted, updated, unchanged, deactivated, rejected), errors",
)
async def get_run(run_id: str, session: SessionDep, _: ReadCaller) -> Any:
    run = await runs.get_run(session, run_id)
    errors = await runs.errors_page(session, run_id, None, 100)
    return runs.run_view(run) | {"errors": errors["items"], "errors_total": errors["total"]}


@router.get(
    "/sync-runs/{run_id}/errors",
    response_model=RunErrorList,
    tags=["sync"],
    summary="The records a run rejected: row, source id, field and reason",
)
async def get_run_errors(
    run_id: str,
    session: SessionDep,
    _: ReadCaller,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Any:
    await runs.get_run(session, run_id)
    return await runs.errors_page(session, run_id, cursor, limit)
