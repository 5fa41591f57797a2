import asyncio

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import disclosure.models  # noqa: F401  (registers the tables)
from disclosure.db import Base
from shared.db import make_engine
from shared.migrations import alembic_config, upgrade
from shared.testing import create_database

from .conftest import SERVICE_DIR

pytestmark = pytest.mark.integration


async def _differences(url: str) -> list:
    engine = make_engine(url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata))
    await engine.dispose()
    return diff


async def test_migrations_match_the_models_and_go_down_and_up_again():
    url = await create_database("disclosure_migrations")
    upgrade(SERVICE_DIR, url)
    assert await _differences(url) == []
    await asyncio.to_thread(command.downgrade, alembic_config(SERVICE_DIR, url), "base")
    upgrade(SERVICE_DIR, url)
    assert await _differences(url) == []
