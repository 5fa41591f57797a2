"""Source adapters: one module per source system, each against that system's own wire format
(documented in the module and in services/registry/docs/sources.md).

An adapter turns one page of the source into Records: our entity (or inspector) fields, the
problems found while mapping, the risk signals the source reports, and where to continue.
"""

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from registry.risk import Signal
from registry.rules import Problem
from registry.sources.http import SourceClient


@dataclass
class Record:
    kind: Literal["entity", "inspector"]
    item_id: str | None
    source_ref: str | None
    source_version: str | None
    fields: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    raw: Any = None
    row: int | None = None


@dataclass
class Page:
    records: list[Record]
    next: dict[str, Any] | None  # the checkpoint to continue from; None when the listing is complete
    watermark: str | None = None  # since-style sources: the position reached
    total: int | None = None  # records in the whole listing, when the source says


class Adapter(Protocol):
    name: str
    title_zh: str
    paging: str
    encoding: str
    incremental: bool  # True: the source can list only what changed since a watermark

    async def fetch(
        self, client: SourceClient, checkpoint: dict[str, Any] | None, since: str | None, size: int
    ) -> Page: ...


def adapters() -> dict[str, Adapter]:
    """Every source system by its name in the API (/v1/sources/{source}/sync)."""
    from registry.sources import explosives, fire, hotel, market, netcafe, security

    found: list[Adapter] = [
        hotel.ADAPTER,
        security.ADAPTER,
        explosives.ADAPTER,
        fire.ADAPTER,
        market.ADAPTER,
        netcafe.ADAPTER,
    ]
    return {a.name: a for a in found}
