"""Alembic plumbing shared by every service's migrations/env.py, and programmatic upgrade."""

import asyncio
import threading
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

from shared.idempotency import idempotency_table
from shared.messaging import messaging_tables


def run_env(target_metadata: MetaData, default_url: str) -> None:
    """Body of a service's env.py: online migrations over the async driver."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url") or default_url
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(config, url, target_metadata))


async def _run_online(config: Config, url: str, target_metadata: MetaData) -> None:
    section = dict(config.get_section(config.config_ini_section) or {})
    section["sqlalchemy.url"] = url
    engine = async_engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_migrate, target_metadata)
    await engine.dispose()


def _migrate(connection: Connection, target_metadata: MetaData) -> None:
    context.configure(
        connection=connection, target_metadata=target_metadata, render_as_batch=connection.dialect.name == "sqlite"
    )
    with context.begin_transaction():
        context.run_migrations()


def alembic_config(service_dir: Path, url: str) -> Config:
    cfg = Config(str(service_dir / "alembic.ini"))
    cfg.set_main_option("script_location", str(service_dir / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(service_dir: Path, url: str, revision: str = "head") -> None:
    """Upgrade in a helper thread, so it also works from inside a running event loop."""
    if url.startswith("sqlite"):
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            command.upgrade(alembic_config(service_dir, url), revision)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def create_messaging_tables(connection: Connection) -> None:
    """Outbox and inbox as of the first migration of every service."""
    metadata = MetaData()
    messaging_tables(metadata)
    metadata.create_all(connection)


def create_idempotency_table(connection: Connection) -> None:
    """The Idempotency-Key store, as of its first migration in every service."""
    metadata = MetaData()
    idempotency_table(metadata)
    metadata.create_all(connection)
