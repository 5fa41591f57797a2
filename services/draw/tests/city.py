"""A synthetic city for the plan tests: two counties, every sector, grade, subtype and checking
body of mission.md §2, some risky entities and some declared conflicts (回避)."""

from dataclasses import dataclass, field
from typing import Any

import httpx

from .factories import entity, inspector, load

COUNTIES = ["210402", "210421"]
CITY = "210400"
COUNTY_ENTITIES = {
    ("entertainment", "venue", "A"): 2,
    ("entertainment", "venue", "B"): 2,
    ("entertainment", "venue", "C"): 3,
    ("special_trade", "hotel", None): 4,
    ("special_trade", "seal_engraving", None): 2,
    ("special_trade", "pawn", None): 2,
    ("blasting", "commercial", None): 2,
    ("blasting", "non_commercial", None): 2,
}
CITY_ENTITIES = {
    ("security_service", "company", None): 30,
    ("security_service", "training", None): 6,
    ("security_service", "armed_escort", None): 40,
    ("fire_safety", "unit", None): 40,
    ("internet_cafe", "cafe", None): 45,
}
COUNTY_UNITS = ("county_public_order", "police_station", "blasting_supervision")
CITY_UNITS = ("city_public_order", "blasting_supervision", "fire_supervision", "network_security")


@dataclass
class City:
    entities: list[dict[str, Any]] = field(default_factory=list)
    inspectors: list[dict[str, Any]] = field(default_factory=list)

    def of(self, sector: str, subtype: str, grade: str | None = None, division: str | None = None) -> list[str]:
        return [
            e["id"]
            for e in self.entities
            if (e["sector"], e["subtype"], e.get("grade")) == (sector, subtype, grade)
            and (division is None or e["division_code"] == division)
        ]

    def conflicts(self) -> dict[str, set[str]]:
        return {i["id"]: set(i.get("conflicts", [])) for i in self.inspectors}


def _entities(kinds: dict[tuple[str, str, str | None], int], division: str) -> list[dict[str, Any]]:
    rows = []
    for (sector, subtype, grade), count in kinds.items():
        for n in range(count):
            extra: dict[str, Any] = {} if sector == "entertainment" else {"flags": {}}
            if sector == "internet_cafe" and n % 9 == 0:
                extra["flags"] = {"abnormal_list": True}
            rows.append(entity(sector=sector, subtype=subtype, grade=grade, division_code=division, **extra))
    return rows


def build() -> City:
    city = City()
    for county in COUNTIES:
        city.entities += _entities(COUNTY_ENTITIES, county)
        city.inspectors += [inspector(unit=u, jurisdiction=county) for u in COUNTY_UNITS for _ in range(3)]
    city.entities += _entities(CITY_ENTITIES, COUNTIES[0])
    city.inspectors += [inspector(unit=u, jurisdiction=CITY) for u in CITY_UNITS for _ in range(3)]
    city.inspectors += [inspector(unit="network_security", jurisdiction=c) for c in COUNTIES]
    # Recusals: one officer of each county body is recused from the first venue of the county.
    for county in COUNTIES:
        venue = next(e for e in city.entities if e["sector"] == "entertainment" and e["division_code"] == county)
        for unit in ("county_public_order", "police_station"):
            officer = next(i for i in city.inspectors if (i["unit"], i["jurisdiction"]) == (unit, county))
            officer["conflicts"] = [venue["id"]]
    cafe = next(e for e in city.entities if e["sector"] == "internet_cafe")
    next(i for i in city.inspectors if i["unit"] == "network_security")["conflicts"] = [cafe["id"]]
    return city


async def loaded(registry: httpx.AsyncClient) -> City:
    city = build()
    await load(registry, city.entities, city.inspectors)
    return city
