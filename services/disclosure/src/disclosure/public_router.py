"""Public routes (一公开): no credentials, rate limited per client. The feed (JSON and Atom with
archives), daily exports, search, one result with its releases, the blacklist, the publication
policy, appeal filing, and the server-rendered results page of the disclosure site."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import HTMLResponse

from disclosure import appeals, blacklist, exports, feed, feed_pages, public_reads, site
from disclosure.dependencies import Now, Rules
from disclosure.policy import POLICIES
from disclosure.public_schemas import (
    AppealFiled,
    AppealIn,
    BlacklistPage,
    FeedPage,
    PolicyRead,
    ResultReleases,
    SearchPage,
)
from shared.db import SessionDep
from shared.limits import RATE_LIMITED, rate_limited
from shared.problems import InvalidField

public_router = APIRouter(
    prefix="/public/v1", tags=["public"], dependencies=[Depends(rate_limited("public"))], responses=RATE_LIMITED
)
site_router = APIRouter(
    prefix="/public", tags=["public"], dependencies=[Depends(rate_limited("public"))], responses=RATE_LIMITED
)
IfNoneMatch = Annotated[str | None, Header(description="An ETag from an earlier answer: 304 if unchanged")]
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the If-None-Match tag is still current"}
}
ATOM_TYPE = "application/atom+xml; charset=utf-8"
Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]


def _answer(page: feed_pages.Page, if_none_match: str | None, media_type: str) -> Response:
    body, tag, full = page
    headers = {"ETag": tag, "Cache-Control": feed.IMMUTABLE if full else feed.HEAD}
    if feed.not_modified(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@public_router.get(
    "/feed",
    response_model=FeedPage,
    responses=NOT_MODIFIED,
    summary="The public feed of releases (抽查结果公开), oldest first; follow `next`",
)
async def get_feed(
    request: Request,
    cursor: str | None = None,
    limit: Annotated[int | None, Query(ge=1, le=500, description="Page size (default 50)")] = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Every release (first publications, corrections, penalties, statements, withdrawals) appears
    once, in the order the sequencer numbered it. Every page has `next`; on the last page it points
    to where new items will appear, so a reader polls it and never misses or repeats an item. A
    withdrawn result's releases are tombstones. Full pages are cached a day; send If-None-Match."""
    state = request.app.state
    limit = limit or state.settings.feed_page_size
    after = feed.cursor_position(cursor)
    page = await feed_pages.json_page(state.sessionmaker, state.feed_cache, after=after, limit=limit)
    return _answer(page, if_none_match, "application/json")


@public_router.get(
    "/feed.atom",
    response_class=Response,
    responses=NOT_MODIFIED | {200: {"content": {"application/atom+xml": {}}}},
    summary="The feed as Atom (RFC 4287): the newest releases, `prev-archive` to the archives (RFC 5005)",
)
async def get_atom(request: Request, if_none_match: IfNoneMatch = None) -> Response:
    """Subscribe here; walk `prev-archive` links back through full, never-changing archive pages."""
    state = request.app.state
    page = await feed_pages.atom_current(state.sessionmaker, base=_base(request), size=state.settings.atom_page_size)
    return _answer(page, if_none_match, ATOM_TYPE)


@public_router.get(
    "/archive/{number}.atom",
    response_class=Response,
    responses=NOT_MODIFIED | {200: {"content": {"application/atom+xml": {}}}, 404: {"description": "Not full yet"}},
    summary="One Atom archive page (RFC 5005 归档页), with prev-archive / next-archive / current links",
)
async def get_archive(request: Request, number: int, if_none_match: IfNoneMatch = None) -> Response:
    state = request.app.state
    size = state.settings.atom_page_size
    page = await feed_pages.atom_archive(
        state.sessionmaker, state.feed_cache, number=number, base=_base(request), size=size
    )
    return _answer(page, if_none_match, ATOM_TYPE)


@public_router.get(
    "/exports/{day}.jsonl",
    response_class=Response,
    responses=NOT_MODIFIED | {200: {"content": {"application/jsonl": {}}}, 404: {"description": "Not written yet"}},
    summary="The daily bulk export (每日全量导出): one JSON Lines file per local day, written after it ends",
)
async def get_export(day: str, request: Request, session: SessionDep, if_none_match: IfNoneMatch = None) -> Response:
    """Each line is a feed item positioned that day (Asia/Shanghai), in feed order, e.g. /exports/2026-11-20.jsonl."""
    body = await exports.served(session, request.app.state.settings.export_dir, exports.parse_day(day))
    return _answer((body, feed.etag(body), True), if_none_match, "application/jsonl; charset=utf-8")


@public_router.get(
    "/results",
    response_model=SearchPage,
    summary="Search published results (抽查结果查询) by entity name, credit code, sector, period, outcome",
)
async def search_results(
    session: SessionDep,
    entity_name: Annotated[str | None, Query(max_length=100, description="Part of the name, e.g. 金色年华")] = None,
    credit_code: Annotated[str | None, Query(max_length=18, description="统一社会信用代码, exact")] = None,
    sector: Annotated[str | None, Query(max_length=32, description="e.g. internet_cafe")] = None,
    period: Annotated[
        str | None, Query(max_length=7, description="Completed in 2026, 2026-11, 2026-Q4, 2026-H2")
    ] = None,
    outcome: Annotated[str | None, Query(max_length=40, description="e.g. rectification_ordered")] = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> Any:
    """Most recently completed first; withdrawn results are not listed. Keep the filters when passing `cursor`."""
    filters = {"entity_name": entity_name, "credit_code": credit_code, "sector": sector, "period": period}
    items, next_cursor = await public_reads.search(
        session, filters=filters | {"outcome": outcome}, cursor=cursor, limit=limit
    )
    return {"items": items, "next_cursor": next_cursor}


@public_router.get(
    "/results/{result_id}",
    response_model=ResultReleases,
    summary="One published result (已公开的抽查结果): every release and the current compiled view",
)
async def get_public_result(result_id: str, session: SessionDep) -> Any:
    """404 for anything never published: pending, rejected and withheld results do not exist publicly."""
    return await public_reads.public_result(session, result_id=result_id)


@public_router.post(
    "/results/{result_id}/appeals",
    response_model=AppealFiled,
    status_code=201,
    summary="File an appeal (提出申诉) against a published result, with the code on the notice",
)
async def file_appeal(
    result_id: str, body: AppealIn, request: Request, session: SessionDep, now: Now, rules: Rules
) -> Any:
    """For the inspected entity, within the appeal period (working days after the first
    publication). A wrong code is 403; repeated wrong codes for one result are refused for an hour."""
    return await appeals.file_appeal(
        session,
        result_id=result_id,
        code=body.appeal_code,
        statement=body.statement,
        now=now,
        rules=rules,
        failures=request.app.state.appeal_failures,
    )


@public_router.get(
    "/blacklist",
    response_model=BlacklistPage,
    summary="The internet-café blacklist (网吧黑名单): cafés, responsible people (masked), period, restrictions",
)
async def get_blacklist(
    session: SessionDep,
    status: Annotated[
        str | None, Query(pattern="^(listed|lifted)$", description="listed (在列) or lifted (已移出)")
    ] = None,
    credit_code: Annotated[str | None, Query(max_length=18)] = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> Any:
    """Newest first. A listing is lifted by a release of its own when its period ends."""
    items, next_cursor = await blacklist.public_listing(
        session, status=status, credit_code=credit_code, cursor=cursor, limit=limit
    )
    return {"items": items, "next_cursor": next_cursor}


@public_router.get(
    "/policy", response_model=list[PolicyRead], summary="What each sector publishes (公开政策), as the rules state it"
)
async def get_policy() -> Any:
    return [p.as_dict() for p in POLICIES.values()]


@site_router.get(
    "/results",
    response_class=HTMLResponse,
    summary="The disclosure site's results page (抽查结果公示), server-rendered in Chinese",
)
async def results_page(
    request: Request,
    session: SessionDep,
    entity_name: Annotated[str | None, Query(max_length=100)] = None,
    credit_code: Annotated[str | None, Query(max_length=18)] = None,
    sector: Annotated[str | None, Query(max_length=32)] = None,
    period: Annotated[str | None, Query(max_length=7)] = None,
    outcome: Annotated[str | None, Query(max_length=40)] = None,
    cursor: str | None = None,
) -> HTMLResponse:
    """The same search as /public/v1/results, as a page; 20 results a page."""
    filters = {"entity_name": entity_name, "credit_code": credit_code, "sector": sector}
    filters |= {"period": period, "outcome": outcome}
    try:
        items, next_cursor = await public_reads.search(session, filters=filters, cursor=cursor, limit=20)
        error, status = None, 200
    except InvalidField as exc:
        items, next_cursor, error, status = [], None, f"查询条件有误：{exc.detail}", 422
    html = site.results_page(items, filters=filters, next_cursor=next_cursor, error=error)
    return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": site.CSP})
