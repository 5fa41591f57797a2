from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import text

from notify.config import Settings
from notify.main import create_app
from notify.secretbox import SecretBox
from shared.db import make_sessionmaker
from shared.testing import app_client, caller, database_fixtures

from .receiver import Receiver, serving

SERVICE_DIR = Path(__file__).resolve().parents[1]
ADMIN = caller("ops-console", "notify:admin")
OUTSIDER = caller("registry-sync", "registry:read")
SECRET_KEY = Fernet.generate_key().decode()


database_url, engine, sessionmaker = database_fixtures(SERVICE_DIR, "notify_test")


@pytest.fixture
async def committed(engine):  # type: ignore[no-untyped-def]
    """Real commits, for the delivery worker whose claims must be visible to other connections;
    everything but the seeded departments and rules is deleted afterwards."""
    yield make_sessionmaker(engine)
    async with engine.begin() as conn:
        for table in ("delivery_attempts", "deliveries", "notifications", "subscriptions", "outbox", "inbox"):
            await conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_bus_path=str(tmp_path / "bus.sqlite"),
        callers=[ADMIN[1], OUTSIDER[1]],
        log_json=False,
        secret_key=SecretStr(SECRET_KEY),
        retry_schedule_seconds=[0, 0.1, 0.1],
        delivery_timeout_seconds=0.5,
        delivery_poll_seconds=0.02,
    )


@pytest.fixture
def box(settings: Settings) -> SecretBox:
    return SecretBox(settings.secret_key)


@pytest.fixture
async def client(settings: Settings, sessionmaker) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with app_client(create_app(settings), sessionmaker) as client:
        yield client


@pytest.fixture
async def live_client(settings: Settings, committed) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """The API committing for real (its own engine), for tests where the delivery job must see its changes."""
    async with app_client(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
async def receiver_server() -> AsyncIterator[Receiver]:
    async with serving(Receiver()) as receiver:
        yield receiver


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.reset()
    return receiver_server
