"""Plain functions that build valid registry payloads, fake source systems and sync runs."""

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from registry.codes import CREDIT_CHARSET, credit_check_char, id_check_char
from registry.config import Settings
from registry.fakes import FAKES, FaultPlan, explosives, fire, hotel, market, netcafe, security
from registry.fakes.population import Member, Population
from registry.scheduler import tick
from registry.sources.http import SourceClient
from shared.testing import auth

from .conftest import READER, WRITER

_serial = itertools.count(1)
W, R = auth(WRITER[0]), auth(READER[0])


def credit_code(n: int | None = None) -> str:
    n = next(_serial) if n is None else n
    body = "9121040" + "".join(CREDIT_CHARSET[(n // 31**i) % 31] for i in range(10))
    return body + credit_check_char(body)


def id_number(body17: str = "21040219800101001") -> str:
    return body17 + id_check_char(body17)


def entity(**overrides: Any) -> dict[str, Any]:
    n = next(_serial)
    base = {
        "id": f"ENT-{n:05d}",
        "sector": "entertainment",
        "subtype": "venue",
        "name": f"娱乐场所{n}",
        "credit_code": credit_code(n),
        "division_code": "210402",
        "grade": "A",
    }
    return base | overrides


def inspector(**overrides: Any) -> dict[str, Any]:
    n = next(_serial)
    base = {"id": f"INS-{n:04d}", "name": f"检查员{n}", "unit": "county_public_order", "jurisdiction": "210402"}
    return base | overrides


# --- fake source systems -------------------------------------------------------------------

PREFIX = {
    "hotel": "HTL-",
    "security": "SEC-",
    "explosives": "BLS-",
    "fire": "FIRE-",
    "market": "MKT-",
    "netcafe": "NET-",
}
REF: dict[str, Callable[[Population, Member], str]] = {
    "hotel": lambda p, m: hotel.render(p, m)["lgbm"],
    "security": lambda p, m: security.render(p, m)["orgId"],
    "explosives": lambda p, m: explosives.render(p, m)["DWBH"],
    "fire": lambda p, m: fire.unit_row(p, m)[0],
    "market": lambda p, m: market.render(p, m)["zch"],
    "netcafe": lambda p, m: netcafe.render(p, m)["wbbh"],
}


class Fakes:
    """The fake systems of one test and the retrying clients that reach them in-process."""

    def __init__(self) -> None:
        self.apps: dict[str, FastAPI] = {}
        self.clients: dict[str, SourceClient] = {}
        self.sleeps: list[float] = []

    async def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def add(self, source: str, *, size: int = 40, seed: int = 7, plan: FaultPlan | None = None) -> FastAPI:
        app = FAKES[source](seed=seed, size=size, plan=plan)
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://fake")
        self.apps[source], self.clients[source] = app, SourceClient(http, sleep=self._sleep)
        return app

    def population(self, source: str) -> Population:
        return self.apps[source].state.fake.population  # type: ignore[no-any-return]


def entity_id(source: str, population: Population, m: Member) -> str:
    return PREFIX[source] + REF[source](population, m)


def is_valid(source: str, population: Population, m: Member) -> bool:
    """Which records the registry must accept: the fakes' defects all make a record invalid, except
    a market row without grade that is not a venue, and a missing name healed by a later rename."""
    if m.defect is None:
        return True
    if m.defect == "no_grade":
        return population.current(m)["trade"] != "YL"
    if m.defect == "missing_name":
        return bool(population.current(m)["name"])
    return False


def expected_ids(source: str, population: Population) -> tuple[set[str], set[str]]:
    """(valid, invalid) entity ids the source lists today."""
    valid, invalid = set(), set()
    for m in population.visible():
        (valid if is_valid(source, population, m) else invalid).add(entity_id(source, population, m))
    return valid, invalid


SIGNAL_FIELDS: dict[str, list[tuple[str, str]]] = {
    "hotel": [("penalty", "penalties")],
    "security": [("complaint", "complaints")],
    "explosives": [("hidden_hazard", "hazards")],
    "fire": [("fire", "fires"), ("penalty", "penalties"), ("hidden_hazard", "hazards"), ("complaint", "complaints")],
    "market": [("complaint", "complaints"), ("penalty", "penalties")],
    "netcafe": [("complaint", "complaints"), ("serious_violation", "violations")],
}


def expected_signals(source: str, attrs: dict[str, Any]) -> set[tuple[str, str]]:
    """(kind, YYYYMMDD) of the risk signals a record of this source carries."""
    found = set()
    for kind, name in SIGNAL_FIELDS[source]:
        for value in attrs.get(name, []):
            found.add((kind, value[0] if isinstance(value, tuple) else value))
    if source == "netcafe" and attrs.get("abnormal") == "1":
        found.add(("abnormal_list", attrs["abnormal_since"]))
    return found


async def sync(
    client: httpx.AsyncClient,
    sessionmaker: Any,
    settings: Settings,
    fakes: Fakes,
    source: str,
    mode: str = "full",
    clock: Callable[[], datetime] | None = None,
) -> dict[str, Any]:
    """Ask for a sync through the API, let a worker run it, and return the run as the API shows it."""
    r = await client.post(f"/v1/sources/{source}/sync", json={"mode": mode}, headers=W)
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/v1/sync-runs/{r.json()['id']}"
    await tick(sessionmaker, fakes.clients, settings, owner="test-worker", clock=clock or (lambda: datetime.now(UTC)))
    run = await client.get(f"/v1/sync-runs/{r.json()['id']}", headers=R)
    return dict(run.json())


async def all_pages(client: httpx.AsyncClient, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        page = (await client.get(path, params=params | ({"cursor": cursor} if cursor else {}), headers=R)).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def day(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))
