"""Typed calls to the registry, the source the pools are frozen from.

Entities come from the paged `GET /v1/entities`, or, when the registry offers it, from the bulk
export `GET /v1/entities:export?sector=&active=true`: tab-separated text in PostgreSQL COPY text
escaping, a header line naming the columns (id, sector, subtype, name, credit_code,
division_code, grade, flags, active, version and optionally risk; flags and risk as JSON), then
one line per entity. Paging a million entities costs tens of seconds; the export a few. A
registry without the export answers 404 and the client pages, remembering the answer.
"""

import asyncio
import json
import operator
import sys
from datetime import date
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from draw.exceptions import RegistryFailed, RegistryUnavailable
from draw.frozen import NULL, SNAPSHOT_COLUMNS, PoolEntity, unescape

PAGE_LIMIT = 1000
EXPORT_PATH = "/v1/entities:export"
EXPORT_REQUIRED = ("id", "sector", "subtype", "name", "credit_code", "division_code", "grade", "flags", "active")


class RegistryEntity(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    sector: str
    subtype: str
    name: str
    credit_code: str
    division_code: str
    grade: str | None
    flags: dict[str, bool]
    active: bool
    version: int
    # Risk signals (complaints, abnormal list, violations, penalties, fires, hazards), in whatever
    # shape the registry serves them: risk.py reads them defensively.
    risk: Any = None

    def pool_entity(self) -> PoolEntity:
        return PoolEntity(
            self.id,
            self.sector,
            self.subtype,
            self.name,
            self.credit_code,
            self.division_code,
            self.grade,
            dict(self.flags),
            self.active,
            self.version,
            self.risk,
        )


class RegistryInspector(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    unit: str
    jurisdiction: str
    qualification_expires_date: date | None
    active: bool
    conflicts: list[str]
    version: int


_ENTITIES = TypeAdapter(list[RegistryEntity])
_INSPECTORS = TypeAdapter(list[RegistryInspector])


class RegistryClient:
    """One shared httpx client (made in the app lifespan) carrying the service's registry:read token."""

    def __init__(self, http: httpx.AsyncClient, *, bulk_export: bool = True) -> None:
        self._http = http
        self._export = bulk_export

    async def active_entities(self, sector: str) -> tuple[list[str], list[PoolEntity]]:
        """The snapshot header and the sector's active entities, sorted by id."""
        if self._export:
            exported = await self._exported(sector)
            if exported is not None:
                return exported
        items = await self._all_pages("/v1/entities", {"sector": sector, "active": "true"})
        rows = [e.pool_entity() for e in self._parse(_ENTITIES, items)]
        return list(SNAPSHOT_COLUMNS), sorted(rows, key=lambda e: e.id)

    async def _exported(self, sector: str) -> tuple[list[str], list[PoolEntity]] | None:
        response = await self._request(EXPORT_PATH, {"sector": sector, "active": "true"})
        if response.status_code in (404, 405):
            self._export = False
            return None
        self._check_status(response, EXPORT_PATH)
        try:
            return await asyncio.to_thread(parse_export, response.text)  # commit_draw pauses the collector
        except (ValueError, KeyError, IndexError) as exc:
            raise RegistryFailed(f"the registry's entity export could not be read: {exc}") from None

    async def active_inspectors(self) -> list[RegistryInspector]:
        items = await self._all_pages("/v1/inspectors", {"active": "true"})
        return self._parse(_INSPECTORS, items)

    async def subtypes(self, sector: str) -> list[str]:
        """The sector's subtype codes from the public item-list catalog."""
        catalog = await self._get("/v1/catalog", {})
        for entry in catalog.get("sectors", []):
            if entry.get("code") == sector:
                return sorted(entry.get("subtypes", {}))
        return []

    async def _all_pages(self, path: str, params: dict[str, Any]) -> list[Any]:
        items: list[Any] = []
        cursor = None
        while True:
            page = await self._get(path, params | {"limit": PAGE_LIMIT} | ({"cursor": cursor} if cursor else {}))
            items.extend(page.get("items", []))
            cursor = page.get("next_cursor")
            if not cursor:
                return items

    async def _request(self, path: str, params: dict[str, Any]) -> httpx.Response:
        try:
            return await self._http.get(path, params=params)
        except httpx.TimeoutException:
            raise RegistryUnavailable(f"the registry did not answer GET {path} in time") from None
        except httpx.TransportError as exc:
            raise RegistryUnavailable(f"the registry is unreachable ({type(exc).__name__})") from None

    @staticmethod
    def _check_status(response: httpx.Response, path: str) -> None:
        if response.status_code in (401, 403):
            raise RegistryFailed(
                f"the registry refused the draw service's credential on GET {path} "
                f"(HTTP {response.status_code}); check DRAW_REGISTRY_TOKEN has registry:read"
            )
        if response.status_code >= 400:
            raise RegistryFailed(f"the registry answered GET {path} with HTTP {response.status_code}")

    async def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        response = await self._request(path, params)
        self._check_status(response, path)
        try:
            body = response.json()
        except ValueError:
            raise RegistryFailed(f"the registry answered GET {path} with something other than JSON") from None
        if not isinstance(body, dict):
            raise RegistryFailed(f"the registry answered GET {path} with an unexpected shape")
        return body

    @staticmethod
    def _parse(adapter: TypeAdapter[Any], items: list[Any]) -> Any:
        try:
            return adapter.validate_python(items)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise RegistryFailed(f"the registry sent a row this service cannot read: {first['msg']}") from None


def parse_export(text: str) -> tuple[list[str], list[PoolEntity]]:
    """The export's header and entities, sorted by id. Written for a million lines: one split per
    line and no per-cell calls; repeated cells (sector, subtype, area, grade) are interned and each
    distinct JSON text (`{}`, a few risk shapes) is parsed once and shared. Name and credit code
    stay only in the kept line, the entity's snapshot, which is all that reads them."""
    lines = text.split("\n")
    header = lines[0].rstrip("\r").split("\t")
    missing = [c for c in EXPORT_REQUIRED if c not in header]
    if missing:
        raise ValueError(f"the header lacks {', '.join(missing)}")
    wanted = [c for c in (*EXPORT_REQUIRED, "version", "risk") if c in header]
    cells = operator.itemgetter(*(header.index(c) for c in wanted))
    has_version, has_risk, width = "version" in header, "risk" in header, len(header)
    parsed: dict[str, Any] = {NULL: None}
    intern, rows, new = sys.intern, [], tuple.__new__
    for line in lines[1:]:
        f = line.split("\t")
        if len(f) != width:
            if not line:
                continue
            raise ValueError(f"line for {f[0]!r} has {len(f)} cells, the header {width}")
        i, sector, subtype, _, _, division, grade, flags, active, *rest = cells(f)
        version, risk = (rest.pop(0) if has_version else "1"), (rest.pop(0) if has_risk else NULL)
        if flags not in parsed or risk not in parsed:
            _parse_json(parsed, flags, risk)
        if "\\" in i:
            i = unescape(i) or i
        kind = (intern(sector), intern(subtype), intern(division), None if grade == NULL else intern(grade))
        row = (i, *kind[:2], "", "", *kind[2:], parsed[flags] or _NO_FLAGS, active in _TRUE, int(version))
        rows.append(new(PoolEntity, (*row, parsed[risk], line)))  # tuple.__new__: PoolEntity() runs Python
    rows.sort(key=operator.attrgetter("id"))
    return header, rows


_TRUE = frozenset(("t", "true", "1"))
_NO_FLAGS: dict[str, Any] = {}


def _parse_json(parsed: dict[str, Any], *values: str) -> None:
    for value in values:
        if value not in parsed:
            raw = unescape(value)
            parsed[value] = None if raw is None else json.loads(raw)
