from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from draw.config import Settings as DrawSettings
from draw.main import create_app as draw_app
from inspection.config import Settings
from inspection.consumers import Deps
from inspection.main import create_app
from registry.config import Settings as RegistrySettings
from registry.main import create_app as registry_app
from shared.db import make_engine
from shared.testing import app_client, caller, database_fixtures, migrated_database, rolled_back

SERVICE_DIR = Path(__file__).resolve().parents[1]
READER = caller("disclosure", "inspection:read")
# Each officer has a credential of their own; its registered name is their inspector id.
OFFICERS = {i: caller(i, "inspection:read", "inspection:record") for i in ("INS-1", "INS-2", "INS-3", "INS-7", "INS-9")}
# A field gateway that authenticates officers itself and names them in X-Inspector-Id.
GATEWAY = caller("field-gateway", "inspection:read", "inspection:record")
# A tablet issued to one officer: bound to INS-3 although its registered name says otherwise.
TABLET = caller("tablet-0042", "inspection:read", "inspection:record")
BINDINGS = {"field-gateway": ["*"], "tablet-0042": ["INS-3"]}
T0 = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # 10:00 in Fushun


class Clock:
    """The time the app and the jobs see; tests move it instead of waiting."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


database_url, engine, sessionmaker = database_fixtures(SERVICE_DIR, "inspection_test")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    callers = [READER[1], GATEWAY[1], TABLET[1], *(registration for _, registration in OFFICERS.values())]
    return Settings(
        database_url=database_url,
        embedded_bus_path=str(tmp_path / "bus.sqlite"),
        evidence_dir=str(tmp_path / "evidence"),
        callers=callers,
        inspector_bindings=BINDINGS,
        draw_url="http://127.0.0.1:9",  # nothing listens: only recusal_client reaches a draw service
        draw_timeout_seconds=2,
        log_json=False,
    )


@pytest.fixture
async def client(settings: Settings, sessionmaker, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with app_client(create_app(settings, clock=clock), sessionmaker) as client:
        yield client


@pytest.fixture(scope="session")
async def registry(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FastAPI]:
    """The real registry app, in process: its public catalog is what the consumer calls."""
    db = tmp_path_factory.mktemp("registry") / "r.db"
    app = registry_app(RegistrySettings(database_url=f"sqlite+aiosqlite:///{db}", log_json=False))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
def registry_calls() -> list[httpx.URL]:
    return []


@pytest.fixture
async def deps(registry: FastAPI, registry_calls: list[httpx.URL], clock: Clock) -> AsyncIterator[Deps]:
    async def record(request: httpx.Request) -> None:
        registry_calls.append(request.url)

    transport = httpx.ASGITransport(app=registry)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://registry", event_hooks={"request": [record]}
    ) as client:
        yield Deps(registry=client, clock=clock)


# --- the real registry and draw services, on PostgreSQL, for recusals ---------------------------

REGISTRY_SYNC = caller("sync-job", "registry:read", "registry:write")
DRAW_READS_REGISTRY = caller("draw", "registry:read")
PLANNER = caller("planner", "draw:commit", "draw:execute")
INSPECTION_AT_DRAW = caller("inspection", "draw:execute")


@dataclass
class DrawStack:
    registry: httpx.AsyncClient
    draw: httpx.AsyncClient
    app: FastAPI
    sessionmaker: Any


@pytest.fixture(scope="session")
async def registry_database_url() -> str:
    return await migrated_database(SERVICE_DIR.parent / "registry", "registry_for_inspection")


@pytest.fixture(scope="session")
async def draw_database_url() -> str:
    return await migrated_database(SERVICE_DIR.parent / "draw", "draw_for_inspection")


@pytest.fixture(scope="session")
async def draw_engines(registry_database_url: str, draw_database_url: str):  # type: ignore[no-untyped-def]
    engines = make_engine(registry_database_url), make_engine(draw_database_url)
    yield engines
    for e in engines:
        await e.dispose()


def _draw_settings(url: str, tmp_path: Path) -> DrawSettings:
    extra: dict[str, Any] = {}
    if "audit_signing_key_file" in DrawSettings.model_fields:
        extra["audit_signing_key_file"] = tmp_path / "audit.key"
    return DrawSettings(
        database_url=url,
        embedded_bus_path=str(tmp_path / "dbus.sqlite"),
        callers=[PLANNER[1], INSPECTION_AT_DRAW[1]],
        registry_token=DRAW_READS_REGISTRY[0],
        log_json=False,
        **extra,
    )


@pytest.fixture
async def draw_stack(
    registry_database_url: str, draw_database_url: str, draw_engines, tmp_path: Path
) -> AsyncIterator[DrawStack]:  # type: ignore[no-untyped-def]
    """The registry and draw apps in process, each on its own migrated database, rolled back after."""
    registry_settings = RegistrySettings(
        database_url=registry_database_url,
        embedded_bus_path=str(tmp_path / "rbus.sqlite"),
        callers=[REGISTRY_SYNC[1], DRAW_READS_REGISTRY[1]],
        log_json=False,
    )
    registry = registry_app(registry_settings)
    async with (
        rolled_back(draw_engines[0]) as registry_maker,
        app_client(registry, registry_maker) as registry_client,
        rolled_back(draw_engines[1]) as draw_maker,
    ):
        draw = draw_app(_draw_settings(draw_database_url, tmp_path), registry_transport=httpx.ASGITransport(registry))
        async with app_client(draw, draw_maker) as draw_client:
            yield DrawStack(registry_client, draw_client, draw, draw_maker)


@pytest.fixture
async def recusal_client(settings: Settings, sessionmaker, clock: Clock, draw_stack: DrawStack):  # type: ignore[no-untyped-def]
    """The inspection app calling the real draw app, with a credential that has draw:execute."""
    with_draw = settings.model_copy(update={"draw_token": SecretStr(INSPECTION_AT_DRAW[0])})
    app = create_app(with_draw, clock=clock, draw_transport=httpx.ASGITransport(draw_stack.app))
    async with app_client(app, sessionmaker) as client:
        yield client
