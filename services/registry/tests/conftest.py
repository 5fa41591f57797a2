from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from registry.config import Settings
from registry.main import create_app
from shared.testing import app_client, caller, database_fixtures

SERVICE_DIR = Path(__file__).resolve().parents[1]
WRITER = caller("sync-job", "registry:read", "registry:write")
READER = caller("draw", "registry:read")
SOURCES = ("hotel", "security", "explosives", "fire", "market", "netcafe")
UNSCHEDULED = {"url": "http://fake", "page_size": 15, "every_minutes": 0, "full_every_hours": 0}


database_url, engine, sessionmaker = database_fixtures(SERVICE_DIR, "registry_test")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_bus_path=str(tmp_path / "bus.sqlite"),
        callers=[WRITER[1], READER[1]],
        log_json=False,
        max_batch_size=50,
        # Every source is configured but none is scheduled: tests ask for each sync they want.
        sources={name: UNSCHEDULED for name in SOURCES},
        sync_lease_seconds=600,
    )


@pytest.fixture
async def client(settings: Settings, sessionmaker) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with app_client(create_app(settings), sessionmaker) as client:
        yield client
