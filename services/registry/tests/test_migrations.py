import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from registry.db import Base
from shared.db import make_engine
from shared.migrations import upgrade
from shared.testing import create_database, downgrade, migrated_database, schema_drift, table_names

from .conftest import SERVICE_DIR

pytestmark = pytest.mark.integration
TABLES = {
    "entities",
    "entity_versions",
    "inspectors",
    "inspector_versions",
    "change_counters",
    "risk_signals",
    "sync_runs",
    "sync_errors",
    "sync_seen",
    "outbox",
    "inbox",
    "idempotency_keys",
}


async def test_migrations_build_exactly_the_models_and_downgrade_cleanly():
    url = await migrated_database(SERVICE_DIR, "registry_migrations")
    assert await schema_drift(url, Base.metadata) == []
    await downgrade(SERVICE_DIR, url)
    assert await table_names(url) == {"alembic_version"}
    upgrade(SERVICE_DIR, url)
    assert await table_names(url) == TABLES | {"alembic_version"}


async def test_rows_loaded_before_versions_existed_get_version_rows_and_change_numbers():
    url = await create_database("registry_backfill")
    upgrade(SERVICE_DIR, url, "registry_0002")
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            for ident in ("OLD-2", "OLD-1"):
                await conn.execute(
                    text(
                        "INSERT INTO entities (id, sector, subtype, name, credit_code, division_code, flags, active,"
                        " digest, version, updated_at) VALUES (:id, 'blasting', 'commercial', 'n', 'c', '210402',"
                        " '{}', true, 'd', 3, now())"
                    ),
                    {"id": ident},
                )
            await conn.execute(
                text(
                    "INSERT INTO inspectors (id, name, unit, jurisdiction, active, conflicts, digest, version,"
                    " updated_at) VALUES ('INS-1', 'n', 'police_station', '210402', true, '[]', 'd', 1, now())"
                )
            )
        upgrade(SERVICE_DIR, url)
        async with engine.connect() as conn:
            versions = (
                await conn.execute(text("SELECT entity_id, version, seq, change FROM entity_versions ORDER BY seq"))
            ).all()
            assert [tuple(v) for v in versions] == [("OLD-1", 3, 1, "migrated"), ("OLD-2", 3, 2, "migrated")]
            assert (await conn.execute(text("SELECT seq, qualifications FROM inspectors"))).one() == (3, [])
            assert await conn.scalar(text("SELECT value FROM change_counters WHERE name = 'changes'")) == 3
    finally:
        await engine.dispose()


def test_the_embedded_sqlite_default_migrates(tmp_path: Path):
    path = tmp_path / "var" / "registry.db"
    upgrade(SERVICE_DIR, f"sqlite+aiosqlite:///{path}")
    with sqlite3.connect(path) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        counter = conn.execute("SELECT value FROM change_counters").fetchone()
    assert names == TABLES | {"alembic_version"} and counter == (0,)
