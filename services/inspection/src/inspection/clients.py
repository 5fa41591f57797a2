"""Typed calls to the registry. Errors propagate: the consumer retries rather than guess a checklist."""

import httpx

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
