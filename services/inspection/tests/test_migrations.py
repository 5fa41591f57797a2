import asyncio
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from inspection.db import Base
from shared.db import make_engine
from shared.migrations import alembic_config, upgrade

from .conftest import SERVICE_DIR

pytestmark = pytest.mark.integration


async def test_migrations_match_the_models(database_url):
    """alembic check fails if the models changed without a migration."""
    await asyncio.to_thread(command.check, alembic_config(SERVICE_DIR, database_url))


async def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def test_sqlite_upgrade_and_downgrade(tmp_path: Path):
    """The embedded default (make run) migrates too, and the downgrade leaves nothing behind."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'inspection.db'}"
    upgrade(SERVICE_DIR, url)
    assert await _tables(url) == set(Base.metadata.tables)
    await asyncio.to_thread(command.downgrade, alembic_config(SERVICE_DIR, url), "base")
    assert await _tables(url) == set()
