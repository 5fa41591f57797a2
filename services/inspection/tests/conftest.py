from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from inspection.config import Settings
from inspection.consumers import Deps
from inspection.main import create_app
from registry.config import Settings as RegistrySettings
from registry.main import create_app as registry_app
from shared.db import make_engine
from shared.testing import app_client, caller, migrated_database, rolled_back

SERVICE_DIR = Path(__file__).resolve().parents[1]
RECORDER = caller("field-app", "inspection:read", "inspection:record")
READER = caller("disclosure", "inspection:read")


@pytest.fixture(scope="session")
async def database_url() -> str:
    return await migrated_database(SERVICE_DIR, "inspection_test")


@pytest.fixture(scope="session")
async def engine(database_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def sessionmaker(engine):  # type: ignore[no-untyped-def]
    async with rolled_back(engine) as maker:
        yield maker


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_bus_path=str(tmp_path / "bus.sqlite"),
        callers=[RECORDER[1], READER[1]],
        log_json=False,
    )


@pytest.fixture
async def client(settings: Settings, sessionmaker) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with app_client(create_app(settings), sessionmaker) as client:
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
async def deps(registry: FastAPI, registry_calls: list[httpx.URL]) -> AsyncIterator[Deps]:
    async def record(request: httpx.Request) -> None:
        registry_calls.append(request.url)

    transport = httpx.ASGITransport(app=registry)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://registry", event_hooks={"request": [record]}
    ) as client:
        yield Deps(registry=client)
