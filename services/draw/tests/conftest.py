"""Two real services on real PostgreSQL: the registry app runs in-process on its own migrated
database, and the draw app reaches it through httpx.ASGITransport, as it would over the network."""

import base64
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from draw.config import Settings
from draw.main import create_app
from draw.signing import Signer, load_signer
from registry.config import Settings as RegistrySettings
from registry.main import create_app as create_registry_app
from shared.db import make_engine
from shared.testing import app_client, caller, database_fixtures, migrated_database, rolled_back

SERVICE_DIR = Path(__file__).resolve().parents[1]
REGISTRY_DIR = SERVICE_DIR.parent / "registry"
COMMITTER = caller("planner", "draw:commit")
EXECUTOR = caller("draw-operator", "draw:execute")
VOIDER = caller("duty-officer", "draw:void")
APPROVER = caller("deputy-director", "draw:void")
READER = caller("supervisor", "draw:read")
# A fixed Ed25519 seed: tests never write a key file, and can pin the public key.
SIGNING_KEY = base64.b64encode(bytes(range(32))).decode()
SYNC_JOB = caller("sync-job", "registry:read", "registry:write")
DRAW_SERVICE = caller("draw", "registry:read")


database_url, engine, sessionmaker = database_fixtures(SERVICE_DIR, "draw_test")


@pytest.fixture(scope="session")
async def registry_database_url() -> str:
    return await migrated_database(REGISTRY_DIR, "registry_for_draw")


@pytest.fixture(scope="session")
async def registry_engine(registry_database_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(registry_database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def registry_app(
    registry_database_url: str, registry_engine, tmp_path: Path
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = RegistrySettings(
        database_url=registry_database_url,
        embedded_bus_path=str(tmp_path / "rbus.sqlite"),
        callers=[SYNC_JOB[1], DRAW_SERVICE[1]],
        log_json=False,
    )
    app = create_registry_app(settings)
    async with rolled_back(registry_engine) as maker, app_client(app, maker) as client:
        yield app, client


@pytest.fixture
def registry(registry_app) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    """A client of the registry, to load the entities and inspectors a test draws from."""
    return registry_app[1]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_bus_path=str(tmp_path / "bus.sqlite"),
        callers=[COMMITTER[1], EXECUTOR[1], VOIDER[1], APPROVER[1], READER[1]],
        registry_token=DRAW_SERVICE[0],
        audit_signing_key=SIGNING_KEY,
        audit_signing_key_file=None,
        log_json=False,
    )


def draw_app(settings: Settings, registry_app: FastAPI) -> FastAPI:
    return create_app(settings, registry_transport=httpx.ASGITransport(registry_app))


@pytest.fixture
async def client(settings: Settings, sessionmaker, registry_app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with app_client(draw_app(settings, registry_app[0]), sessionmaker) as client:
        yield client


@pytest.fixture
async def durable(settings: Settings, registry_app, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A draw app that really commits, on a database of its own: for the concurrency tests."""
    url = await migrated_database(SERVICE_DIR, "draw_durable")
    app = draw_app(settings.model_copy(update={"database_url": url}), registry_app[0])
    async with app_client(app) as client:
        yield client, app.state.sessionmaker


@pytest.fixture
def signer() -> Signer:
    return load_signer(SIGNING_KEY, None, "ssj.test/draw-audit")


@pytest.fixture
def client_with(
    settings: Settings, sessionmaker, registry_app
) -> Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]:  # type: ignore[no-untyped-def]
    """A client of a draw app with some settings changed (say, fewer counties), rolled back."""

    @asynccontextmanager
    async def make(**updates: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = draw_app(settings.model_copy(update=updates), registry_app[0])
        async with app_client(app, sessionmaker) as client:
            yield client

    return make
