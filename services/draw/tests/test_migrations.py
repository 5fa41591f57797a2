import asyncio
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from draw.db import Base
from shared.db import make_engine
from shared.migrations import alembic_config, upgrade
from shared.testing import migrated_database

from .conftest import SERVICE_DIR

pytestmark = pytest.mark.integration
TABLES = {"draws", "draw_candidates", "draw_inspectors", "draw_selections", "outbox", "inbox", "idempotency_keys"}


async def test_migrations_build_exactly_the_models_and_downgrade_cleanly():
    url = await migrated_database(SERVICE_DIR, "draw_migrations")
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
            assert diff == []
        await asyncio.to_thread(command.downgrade, alembic_config(SERVICE_DIR, url), "base")
        async with engine.connect() as conn:
            assert await conn.run_sync(lambda c: inspect(c).get_table_names()) == ["alembic_version"]
        upgrade(SERVICE_DIR, url)
        async with engine.connect() as conn:
            assert set(await conn.run_sync(lambda c: inspect(c).get_table_names())) == TABLES | {"alembic_version"}
    finally:
        await engine.dispose()


def test_the_embedded_sqlite_default_migrates(tmp_path: Path):
    path = tmp_path / "var" / "draw.db"
    upgrade(SERVICE_DIR, f"sqlite+aiosqlite:///{path}")
    with sqlite3.connect(path) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert names == TABLES | {"alembic_version"}
