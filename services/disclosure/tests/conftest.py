from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from disclosure.config import Settings
from disclosure.main import create_app
from shared.testing import app_client, caller, database_fixtures

SERVICE_DIR = Path(__file__).resolve().parents[1]
APPROVER = caller("disclosure-office", "disclosure:read", "disclosure:approve")
READER = caller("audit-desk", "disclosure:read")
# For officers the caller name is the inspector id: INS-3 was on the factories' default team.
TEAM_MEMBER = caller("INS-3", "disclosure:read", "disclosure:approve")
OFFICER = caller("INS-9", "disclosure:read", "disclosure:approve")


database_url, engine, sessionmaker = database_fixtures(SERVICE_DIR, "disclosure_test")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # The approve handler's best-effort sequencing is off, so tests see the feed before and after
    # the sequencer runs; test_router turns it on where that nudge is what is under test.
    return Settings(
        database_url=database_url,
        embedded_bus_path=str(tmp_path / "bus.sqlite"),
        callers=[APPROVER[1], READER[1], TEAM_MEMBER[1], OFFICER[1]],
        log_json=False,
        feed_sequence_on_approve=False,
        feed_cache_seconds=0,
        export_dir=tmp_path / "exports",
    )


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI, sessionmaker) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with app_client(app, sessionmaker) as client:
        yield client
