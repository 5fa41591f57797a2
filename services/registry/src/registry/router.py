from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from registry import export, imports, listing, risk, service, store
from registry.catalog import CATALOG_VERSION, CATALOG_VERSIONS, catalog_view, checklist
from registry.dependencies import EntityBatchBody, EntityFilters, ReadCaller, WriteCaller
from registry.models import Entity, Inspector
from registry.schemas import (
    BatchResult,
    EntityDetail,
    EntityHistory,
    EntityList,
    ImportReport,
    InspectorBatch,
    InspectorHistory,
    InspectorList,
    InspectorRead,
    RiskSignalRead,
    Sector,
    Snapshot,
    Unit,
)
from shared.db import SessionDep
from shared.limits import RATE_LIMITED, rate_limited
from shared.problems import InvalidField, NotFound

router = APIRouter(prefix="/v1")
Limit = Annotated[int, Query(ge=1, le=1000, description="Page size")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
SnapshotParam = Annotated[
    int | None,
    Query(ge=0, description="Read the registry as it was at this change number (from a previous answer's `snapshot`)"),
]
IMPORT_BODY = {
    "required": True,
    "content": {
        "text/csv": {
            "schema": {"type": "string"},
            "example": "id,sector,subtype,name,credit_code,division_code,grade,lodging\n"
            "ENT-0001,entertainment,venue,抚顺金色年华KTV有限公司,91210400MA0XXXXXX0,210402,B,否\n",
        },
        "application/json": {"schema": {"$ref": "#/components/schemas/EntityBatch"}},
    },
}


BATCH_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EntityBatch"}}},
}


@router.post(
    "/entities:batch",
    response_model=BatchResult,
    tags=["entities"],
    summary="Upsert regulated entities (受监管主体) in one validated batch",
    openapi_extra={"requestBody": BATCH_BODY},
)
async def upsert_entities(_: WriteCaller, batch: EntityBatchBody, session: SessionDep, request: Request) -> Any:
    """All or nothing: any invalid row rejects the batch with every error listed by field.
    Changed entities get a new version and an `ssj.registry.entity.upserted` event; unchanged
    ones (same content) are left alone. Up to REGISTRY_MAX_BATCH_SIZE rows (5000) per call."""
    return await service.upsert_entities(session, batch.entities, request.app.state.settings.max_batch_size)


@router.post(
    "/entities:import",
    response_model=ImportReport,
    tags=["entities"],
    summary="Bulk import (批量导入) of a CSV file (UTF-8 or GBK) or JSON list, row by row",
    openapi_extra={"requestBody": IMPORT_BODY},
)
async def import_entities(
    request: Request,
    session: SessionDep,
    caller: WriteCaller,
    encoding: Annotated[
        Literal["utf-8", "gbk", "gb18030"] | None, Query(description="CSV encoding; default: charset, else UTF-8")
    ] = None,
    all_or_nothing: Annotated[bool, Query(description="Refuse the whole file if any row is invalid")] = False,
    row_offset: Annotated[int, Query(ge=0, description="Added to reported row numbers (for split files)")] = 0,
) -> Any:
    """Valid rows are kept (inserted or updated by content digest), each invalid row is reported
    with its row number, field and reason (credit code GB 32100, ID card GB 11643, Fushun
    division GB/T 2260, the sector's required fields, duplicates within the file). Headers may be
    the English field names or the Chinese ones (统一社会信用代码, 行政区划代码, 治安分级, 提供住宿,
    消防安全重点单位, 经营异常名录 ...). A file that cannot be read as a whole — wrong encoding, broken
    quoting, ragged rows, unknown columns, too large — is refused and nothing is written."""
    settings = request.app.state.settings
    rows = imports.rows_from_upload(
        await request.body(),
        request.headers.get("content-type", ""),
        encoding=encoding,
        row_offset=row_offset,
        max_bytes=settings.max_import_bytes,
        max_rows=settings.max_import_rows,
    )
    return await imports.import_entities(
        session, rows, by=caller.name, all_or_nothing=all_or_nothing, now=datetime.now(UTC)
    )


@router.get(
    "/entities",
    response_model=EntityList,
    tags=["entities"],
    summary="List regulated entities by sector, grade, district, flags and risk, at a snapshot",
)
async def list_entities(
    session: SessionDep,
    _: ReadCaller,
    filters: EntityFilters,
    snapshot: SnapshotParam = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Any:
    """Every page of one listing is read at one `snapshot` (a change number, returned with each
    page and carried in the cursor): what a draw freezes is exactly the pool it asked for, even if
    the registry changes while it pages. Pass `?snapshot=` to read that state again later."""
    return await listing.list_entities(
        session, filters, cursor=cursor, snapshot=snapshot, limit=limit, today=service.today()
    )


@router.get(
    "/entities:export",
    tags=["entities"],
    summary="The whole listing as one tab-separated text (bulk export for the draw), at a snapshot",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/tab-separated-values": {}}, "description": "Header line, then one per entity"}},
)
async def export_entities(
    request: Request, session: SessionDep, _: ReadCaller, filters: EntityFilters, snapshot: SnapshotParam = None
) -> StreamingResponse:
    """The same filters as GET /v1/entities, all entities at once in id order: columns id, sector,
    subtype, name, credit_code, division_code, grade, flags (JSON), active (t/f), version, seq,
    risk (JSON), PostgreSQL COPY text escaping, NULL as \\N. The snapshot read is in the
    `X-Snapshot` header."""
    _, at = await listing.resolve(session, None, snapshot)
    listing.entity_conditions(filters, at)  # refuse bad filters now: once streaming, a 422 can't be sent
    body = export.lines(request.app.state.sessionmaker, filters, at, filters.as_of or service.today())
    media = "text/tab-separated-values; charset=utf-8"
    return StreamingResponse(body, media_type=media, headers={"X-Snapshot": str(at)})


@router.get("/snapshot", response_model=Snapshot, tags=["entities"], summary="The current change number (快照号)")
async def get_snapshot(session: SessionDep, _: ReadCaller) -> Any:
    """Read entities and inspectors with this ?snapshot= to see one consistent state of both."""
    return {"snapshot": await store.head(session)}


@router.get(
    "/entities/{entity_id}",
    response_model=EntityDetail,
    tags=["entities"],
    summary="One regulated entity, with its risk signals and their dates",
)
async def get_entity(entity_id: str, session: SessionDep, _: ReadCaller) -> Any:
    entity = await session.get(Entity, entity_id)
    if entity is None:
        raise NotFound("entity", entity_id)
    head, today = await store.head(session), service.today()
    summary = (await risk.summaries(session, [entity_id], today, head)).get(entity_id)
    signals = [RiskSignalRead.model_validate(s) for s in await risk.signals_of(session, entity_id)]
    return listing.entity_view(entity, summary) | {"risk_signals": signals}


@router.get(
    "/entities/{entity_id}/history",
    response_model=EntityHistory,
    tags=["entities"],
    summary="Every version of an entity (历史版本): what changed, when, by which run",
)
async def entity_history(entity_id: str, session: SessionDep, _: ReadCaller) -> Any:
    items = await listing.entity_history(session, entity_id)
    if not items:
        raise NotFound("entity", entity_id)
    return {"items": items}


@router.post(
    "/inspectors:batch",
    response_model=BatchResult,
    tags=["inspectors"],
    summary="Upsert law-enforcement inspectors (执法检查人员) in one validated batch",
)
async def upsert_inspectors(batch: InspectorBatch, session: SessionDep, request: Request, _: WriteCaller) -> Any:
    """Units, jurisdiction, qualifications with expiry, active status and declared conflicts of
    interest (回避). Every change is a new version, kept in the inspector's history."""
    return await service.upsert_inspectors(session, batch.inspectors, request.app.state.settings.max_batch_size)


@router.get(
    "/inspectors",
    response_model=InspectorList,
    tags=["inspectors"],
    summary="List inspectors by unit, jurisdiction, status and eligibility, at a snapshot",
)
async def list_inspectors(
    session: SessionDep,
    _: ReadCaller,
    unit: Unit | None = None,
    jurisdiction: Annotated[str | None, Query(examples=["210402"])] = None,
    active: bool | None = None,
    eligible_on: Annotated[
        date | None, Query(description="Active with every qualification valid on this day (expired: ineligible)")
    ] = None,
    snapshot: SnapshotParam = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Any:
    filters = listing.InspectorFilter(unit=unit, jurisdiction=jurisdiction, active=active, eligible_on=eligible_on)
    return await listing.list_inspectors(session, filters, cursor=cursor, snapshot=snapshot, limit=limit)


@router.get("/inspectors/{inspector_id}", response_model=InspectorRead, tags=["inspectors"], summary="One inspector")
async def get_inspector(inspector_id: str, session: SessionDep, _: ReadCaller) -> Any:
    inspector = await session.get(Inspector, inspector_id)
    if inspector is None:
        raise NotFound("inspector", inspector_id)
    return listing.inspector_view(inspector)


@router.get(
    "/inspectors/{inspector_id}/history",
    response_model=InspectorHistory,
    tags=["inspectors"],
    summary="Every version of an inspector: unit, qualifications, status and recusals over time",
)
async def inspector_history(inspector_id: str, session: SessionDep, _: ReadCaller) -> Any:
    items = await listing.inspector_history(session, inspector_id)
    if not items:
        raise NotFound("inspector", inspector_id)
    return {"items": items}


CatalogVersion = Annotated[str | None, Query(description=f"A published version (default: {CATALOG_VERSION})")]


def _version(version: str | None) -> str:
    if version is not None and version not in CATALOG_VERSIONS:
        raise InvalidField("version", f"{version!r} is not a catalog version ({', '.join(CATALOG_VERSIONS)})")
    return version or CATALOG_VERSION


@router.get(
    "/catalog",
    tags=["catalog"],
    summary="The item list (随机抽查事项清单): sectors, flags, legal bases, check items — versioned",
    dependencies=[Depends(rate_limited("catalog"))],
    responses=RATE_LIMITED,
)
async def get_catalog(version: CatalogVersion = None) -> dict[str, Any]:
    """Public: the legal check items are published as part of 一公开. `versions` lists every
    published version; a version never changes once published."""
    return catalog_view(_version(version)) | {"versions": list(CATALOG_VERSIONS)}


@router.get(
    "/catalog/{sector}/checklist",
    tags=["catalog"],
    summary="The check items that apply to one entity, given its sector and flags",
    dependencies=[Depends(rate_limited("catalog"))],
    responses=RATE_LIMITED,
)
async def get_checklist(
    sector: Sector,
    key_unit: bool = False,
    crowded_place: bool = False,
    version: CatalogVersion = None,
) -> dict[str, Any]:
    chosen = _version(version)
    flags = {"key_unit": key_unit, "crowded_place": crowded_place}
    return {"version": chosen, "sector": sector, "items": checklist(sector, flags, CATALOG_VERSIONS[chosen]["sectors"])}
