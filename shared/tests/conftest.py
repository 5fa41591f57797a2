import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import make_engine
from shared.messaging import Messaging, messaging_tables
from shared.settings import ServiceSettings
from shared.testing import KAFKA_BOOTSTRAP, create_database

metadata = MetaData()
MESSAGING: Messaging = messaging_tables(metadata)
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False),
    Column("label", String(100)),
)


async def _engine(url: str) -> AsyncEngine:
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return engine


@pytest.fixture(params=["embedded", pytest.param("kafka", marks=pytest.mark.integration)])
async def backend(request, tmp_path: Path) -> AsyncIterator[tuple[ServiceSettings, AsyncEngine]]:
    """The same tests run on SQLite + embedded log and on PostgreSQL + Kafka."""
    if request.param == "embedded":
        url = f"sqlite+aiosqlite:///{tmp_path}/svc.db"
    else:
        url = await create_database("shared_test")
    settings = ServiceSettings(
        service_name="t",
        database_url=url,
        bus=request.param,
        kafka_bootstrap=KAFKA_BOOTSTRAP,
        embedded_bus_path=str(tmp_path / "bus.sqlite"),
        topic_prefix=f"t{uuid.uuid4().hex[:8]}.",
        kafka_partitions=2,
        relay_interval_seconds=0.05,
        log_json=False,
    )
    engine = await _engine(url)
    yield settings, engine
    await engine.dispose()
