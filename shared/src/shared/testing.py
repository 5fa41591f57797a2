"""Test support shared by every service's suite: real PostgreSQL databases migrated by Alembic,
a rolled-back transaction per test, registered callers with chosen scopes, ASGI clients."""

import asyncio
import hashlib
import os
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy import MetaData, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.db import make_engine
from shared.events import Event
from shared.messaging import Messaging, row_events
from shared.migrations import alembic_config, upgrade
from shared.settings import CallerConfig

PG_BASE = os.environ.get("SSJ_TEST_PG", "postgresql://postgres@127.0.0.1:55432")
KAFKA_BOOTSTRAP = os.environ.get("SSJ_TEST_KAFKA", "127.0.0.1:9092")


def async_url(database: str) -> str:
    return f"{PG_BASE.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{database}"


async def create_database(prefix: str) -> str:
    """A fresh, uniquely named database; returns its SQLAlchemy async URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(f"{PG_BASE}/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return async_url(name)


async def drop_databases(*urls: str) -> None:
    """Drop databases made by create_database (benchmarks clean up after themselves)."""
    conn = await asyncpg.connect(f"{PG_BASE}/postgres")
    try:
        for url in urls:
            await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


async def migrated_database(service_dir: Path, prefix: str) -> str:
    url = await create_database(prefix)
    upgrade(service_dir, url)
    return url


def database_fixtures(service_dir: Path, prefix: str) -> tuple[Any, Any, Any]:
    """One service's test database as pytest fixtures, to assign in its conftest:
    `database_url` (migrated once per session), `engine` (per session) and `sessionmaker`
    (per test, everything rolled back). Made per call, so each service keeps its own database."""
    import pytest  # a test dependency, not one of the services'

    @pytest.fixture(scope="session")
    async def database_url() -> str:
        return await migrated_database(service_dir, prefix)

    @pytest.fixture(scope="session")
    async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
        engine = make_engine(database_url)
        yield engine
        await engine.dispose()

    @pytest.fixture
    async def sessionmaker(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
        async with rolled_back(engine) as maker:
            yield maker

    return database_url, engine, sessionmaker


def caller(name: str, *scopes: str) -> tuple[str, CallerConfig]:
    """A fresh bearer token and the registration that grants it `scopes`."""
    token = secrets.token_urlsafe(24)
    return token, CallerConfig(name=name, token_sha256=hashlib.sha256(token.encode()).hexdigest(), scopes=list(scopes))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def rolled_back(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions made here commit into savepoints of one outer transaction that is rolled back."""
    async with engine.connect() as conn:
        outer = await conn.begin()
        yield async_sessionmaker(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        await outer.rollback()


@asynccontextmanager
async def app_client(
    app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """Runs the app's lifespan; when given, `sessionmaker` replaces the app's own (rolled back)."""
    async with app.router.lifespan_context(app):
        if sessionmaker is not None:
            app.state.sessionmaker = sessionmaker
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def schema_drift(url: str, metadata: MetaData) -> list[Any]:
    """What Alembic autogenerate would still change: [] when the migrations build exactly the models."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return list(await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), metadata)))
    finally:
        await engine.dispose()


async def downgrade(service_dir: Path, url: str, revision: str = "base") -> None:
    await asyncio.to_thread(command.downgrade, alembic_config(service_dir, url), revision)


async def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def outbox_events(session: AsyncSession, messaging: Messaging) -> list[Event]:
    """Every event the outbox holds, sent or not, in relay order and expanded as the relay would."""
    rows = (await session.execute(select(messaging.outbox).order_by(messaging.outbox.c.id))).all()
    return [event for row in rows for event, _ in await row_events(session, messaging, row)]
