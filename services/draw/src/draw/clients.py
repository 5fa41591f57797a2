"""Typed calls to the registry, the source the pools are frozen from."""

from datetime import date
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from draw.exceptions import RegistryFailed, RegistryUnavailable

PAGE_LIMIT = 1000


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

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def active_entities(self, sector: str) -> list[RegistryEntity]:
        items = await self._all_pages("/v1/entities", {"sector": sector, "active": "true"})
        return self._parse(_ENTITIES, items)

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

    async def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._http.get(path, params=params)
        except httpx.TimeoutException:
            raise RegistryUnavailable(f"the registry did not answer GET {path} in time") from None
        except httpx.TransportError as exc:
            raise RegistryUnavailable(f"the registry is unreachable ({type(exc).__name__})") from None
        if response.status_code in (401, 403):
            raise RegistryFailed(
                f"the registry refused the draw service's credential on GET {path} "
                f"(HTTP {response.status_code}); check DRAW_REGISTRY_TOKEN has registry:read"
            )
        if response.status_code >= 400:
            raise RegistryFailed(f"the registry answered GET {path} with HTTP {response.status_code}")
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
