"""Typed calls to other services. Registry errors propagate: the consumer retries rather than
guess a checklist. Draw errors become problems: a recusal without a drawn substitute changes nothing."""

import httpx
from pydantic import BaseModel, ConfigDict

from inspection.exceptions import DrawFailed, DrawUnavailable
from inspection.schemas import Checklist, EntitySnapshot

# The flags the catalog's checklist endpoint understands (fire safety's extra items).
CHECKLIST_FLAGS = ("key_unit", "crowded_place")
ChecklistKey = tuple[str, tuple[bool, ...]]


def checklist_key(entity: EntitySnapshot) -> ChecklistKey:
    """Entities with the same key get the same checklist."""
    return entity.sector, tuple(entity.flags.get(flag, False) for flag in CHECKLIST_FLAGS)


async def fetch_checklist(registry: httpx.AsyncClient, key: ChecklistKey) -> Checklist:
    """GET the public catalog's checklist; raises on network errors, non-2xx or a malformed body."""
    sector, values = key
    params = {flag: "true" if value else "false" for flag, value in zip(CHECKLIST_FLAGS, values, strict=True)}
    response = await registry.get(f"/v1/catalog/{sector}/checklist", params=params)
    response.raise_for_status()
    return Checklist.model_validate(response.json())


class Substitute(BaseModel):
    """The draw service's answer (POST /v1/draws/{draw_id}/substitutes)."""

    model_config = ConfigDict(extra="ignore")

    sequence: int
    recused_inspector_id: str
    substitute_inspector_id: str
    team: list[str]


class DrawClient:
    """Substitutes are drawn by the draw service from the draw's own seed, never chosen here."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def substitute(
        self, draw_id: str, *, entity_id: str, recused_inspector_id: str, team: list[str], reason: str
    ) -> Substitute:
        body = {"entity_id": entity_id, "recused_inspector_id": recused_inspector_id, "team": team, "reason": reason}
        try:
            response = await self._http.post(f"/v1/draws/{draw_id}/substitutes", json=body)
        except httpx.TransportError as exc:
            raise DrawUnavailable(f"the draw service is unreachable ({type(exc).__name__})") from None
        if response.status_code in (401, 403):
            raise DrawFailed(
                502,
                f"the draw service refused this service's credential (HTTP {response.status_code}); "
                "check INSPECTION_DRAW_TOKEN has draw:execute",
            )
        if response.status_code >= 500:
            raise DrawUnavailable(f"the draw service answered HTTP {response.status_code}")
        if response.status_code >= 400:
            raise DrawFailed(409 if response.status_code == 409 else 422, _problem_detail(response))
        try:
            return Substitute.model_validate(response.json())
        except ValueError:
            raise DrawFailed(502, "the draw service answered with something other than a substitute") from None


def _problem_detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return f"draw service: {detail or f'HTTP {response.status_code}'}"
