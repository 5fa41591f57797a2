import asyncio
import sqlite3
import zlib
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from draw import frozen
from draw.db import Base
from shared.db import make_engine
from shared.migrations import alembic_config, upgrade
from shared.testing import downgrade, migrated_database, schema_drift, table_names

from .conftest import SERVICE_DIR

pytestmark = pytest.mark.integration
TABLES = {
    "draws",
    "draw_pools",
    "draw_inspectors",
    "draw_selections",
    "draw_substitutions",
    "plans",
    "plan_items",
    "audit_entries",
    "audit_tree_heads",
    "completions",
    "outbox",
    "inbox",
    "idempotency_keys",
}


async def test_migrations_build_exactly_the_models_and_downgrade_cleanly():
    url = await migrated_database(SERVICE_DIR, "draw_migrations")
    assert await schema_drift(url, Base.metadata) == []
    await downgrade(SERVICE_DIR, url)
    assert await table_names(url) == {"alembic_version"}
    upgrade(SERVICE_DIR, url)
    assert await table_names(url) == TABLES | {"alembic_version"}


def test_the_embedded_sqlite_default_migrates(tmp_path: Path):
    path = tmp_path / "var" / "draw.db"
    upgrade(SERVICE_DIR, f"sqlite+aiosqlite:///{path}")
    with sqlite3.connect(path) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert names == TABLES | {"alembic_version"}


async def test_frozen_pools_are_carried_into_compressed_values_and_back():
    url = await migrated_database(SERVICE_DIR, "draw_carry")
    cfg = alembic_config(SERVICE_DIR, url)
    await asyncio.to_thread(command.downgrade, cfg, "draw_0003")
    engine = make_engine(url)
    draw = {
        "id": "d-000000000001",
        "title": "t",
        "sector": "entertainment",
        "filters": "{}",
        "quota_rule": "{}",
        "quotas": "{}",
        "team_size": 1,
        "entropy_source": "e",
        "status": "committed",
        "pool_size": 2,
        "inspector_count": 0,
        "commitment": "c",
        "commitment_sha256": "h",
        "server_secret": "s",
        "committed_by": "x",
    }
    rows = [
        ("E1", "entertainment/A", 3, "名称\t一", '{"lodging": true}', "A"),
        ("E2", "entertainment/venue", 1, "n2", "{}", None),
    ]
    try:
        async with engine.begin() as conn:
            columns = ", ".join(draw)
            values = ", ".join(f":{k}" for k in draw)
            await conn.execute(text(f"INSERT INTO draws ({columns}, created_at) VALUES ({values}, now())"), draw)
            for entity_id, stratum, weight, name, flags, grade in rows:
                await conn.execute(
                    text(
                        "INSERT INTO draw_candidates VALUES (:d, :e, :s, :w, :n, '91210402MA0000001X', 'venue', "
                        "'210402', :g, CAST(:f AS json), 4)"
                    ),
                    {"d": draw["id"], "e": entity_id, "s": stratum, "w": weight, "n": name, "g": grade, "f": flags},
                )
        upgrade(SERVICE_DIR, url)
        async with engine.connect() as conn:
            pool_blob, snapshot = (await conn.execute(text("SELECT pool_text, snapshot FROM draw_pools"))).one()
        assert frozen.decode_pool(pool_blob)[0] == "E1\tentertainment/A\t3\nE2\tentertainment/venue\t1\n"
        found = frozen.snapshots_of(zlib.decompress(snapshot), {"E1": 0, "E2": 1})
        assert found["E1"]["name"] == "名称\t一" and found["E1"]["flags"] == {"lodging": True}
        assert (found["E2"]["grade"], found["E1"]["version"], found["E1"]["sector"]) == (None, "4", "entertainment")
        await asyncio.to_thread(command.downgrade, cfg, "draw_0003")
        async with engine.connect() as conn:
            back = (
                await conn.execute(text("SELECT entity_id, weight, name, flags FROM draw_candidates ORDER BY 1"))
            ).all()
        assert [tuple(r) for r in back] == [("E1", 3, "名称\t一", {"lodging": True}), ("E2", 1, "n2", {})]
    finally:
        await engine.dispose()
