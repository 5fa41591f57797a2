import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Table, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from shared.db import UtcDateTime as UtcDateTime
from shared.db import is_postgres
from shared.idempotency import idempotency_table
from shared.messaging import messaging_tables


class Base(DeclarativeBase):
    pass


messaging = messaging_tables(Base.metadata)
idempotency = idempotency_table(Base.metadata)
COPY_FROM = 500


async def insert_rows(
    session: AsyncSession, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Many rows in the session's transaction: COPY on PostgreSQL (tens of thousands of selections
    in a fraction of a second), a multi-row INSERT elsewhere."""
    if not rows:
        return
    if is_postgres(session) and len(rows) >= COPY_FROM:
        as_json = [isinstance(table.c[name].type, JSON) for name in columns]
        encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        records = [tuple(encode(v) if j else v for v, j in zip(row, as_json, strict=True)) for row in rows]
        raw = await (await session.connection()).get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.copy_records_to_table(table.name, records=records, columns=list(columns))
        return
    await session.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
