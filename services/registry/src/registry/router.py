from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from registry import service
from registry.catalog import CATALOG_VERSION, SECTORS, checklist, sector_view
from registry.dependencies import ReadCaller, WriteCaller
from registry.models import Entity, Inspector
from registry.schemas import (
    BatchResult,
    EntityBatch,
    EntityList,
    EntityRead,
    InspectorBatch,
    InspectorList,
    Sector,
    Unit,
)
from shared.db import SessionDep
from shared.limits import RATE_LIMITED, rate_limited
from shared.problems import NotFound

router = APIRouter(prefix="/v1")
Limit = Annotated[int, Query(ge=1, le=1000, description="Page size")]


@router.post(
    "/entities:batch",
    response_model=BatchResult,
    tags=["entities"],
    summary="Upsert regulated entities (受监管主体) in one validated batch",
)
async def upsert_entities(batch: EntityBatch, session: SessionDep, request: Request, _: WriteCaller) -> Any:
    """All or nothing: any invalid row rejects the batch with every error listed by field.
    Changed entities get a new version and an `ssj.registry.entity.upserted` event."""
    return await service.upsert_entities(session, batch.entities, request.app.state.settings.max_batch_size)


@router.get(
    "/entities",
    response_model=EntityList,
    tags=["entities"],
    summary="List regulated entities, filtered by sector, with cursor paging",
)
async def list_entities(
    session: SessionDep,
    _: ReadCaller,
    sector: Sector | None = None,
    active: bool | None = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> Any:
    filters = [Entity.sector == sector] if sector else []
    if active is not None:
        filters.append(Entity.active == active)
    items, next_cursor = await service.page(session, Entity, filters, cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/entities/{entity_id}", response_model=EntityRead, tags=["entities"], summary="One regulated entity")
async def get_entity(entity_id: str, session: SessionDep, _: ReadCaller) -> Any:
    entity = await session.get(Entity, entity_id)
    if entity is None:
        raise NotFound("entity", entity_id)
    return entity


@router.post(
    "/inspectors:batch",
    response_model=BatchResult,
    tags=["inspectors"],
    summary="Upsert law-enforcement inspectors (执法检查人员) in one validated batch",
)
async def upsert_inspectors(batch: InspectorBatch, session: SessionDep, request: Request, _: WriteCaller) -> Any:
    return await service.upsert_inspectors(session, batch.inspectors, request.app.state.settings.max_batch_size)


@router.get(
    "/inspectors",
    response_model=InspectorList,
    tags=["inspectors"],
    summary="List inspectors, filtered by unit and active status, with cursor paging",
)
async def list_inspectors(
    session: SessionDep,
    _: ReadCaller,
    unit: Unit | None = None,
    active: bool | None = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> Any:
    filters = [Inspector.unit == unit] if unit else []
    if active is not None:
        filters.append(Inspector.active == active)
    items, next_cursor = await service.page(session, Inspector, filters, cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/catalog",
    tags=["catalog"],
    summary="The item list (随机抽查事项清单): sectors, legal bases, check items",
    dependencies=[Depends(rate_limited("catalog"))],
    responses=RATE_LIMITED,
)
async def get_catalog() -> dict[str, Any]:
    """Public: the legal check items are published as part of 一公开."""
    return {"version": CATALOG_VERSION, "sectors": [sector_view(code) for code in SECTORS]}


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
) -> dict[str, Any]:
    flags = {"key_unit": key_unit, "crowded_place": crowded_place}
    return {"version": CATALOG_VERSION, "sector": sector, "items": checklist(sector, flags)}
