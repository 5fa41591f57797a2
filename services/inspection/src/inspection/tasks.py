"""Tasks from executed draws, set-based: a 50,000-selection draw is fifty multi-row INSERTs of
tasks and a COPY each of their team members and history lines, not 150,000 single-row
statements. At most one task per (draw, position), however often the draw arrives."""

import json
import secrets
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from inspection import audit
from inspection.clients import ChecklistKey, checklist_key
from inspection.models import ASSIGNED, HistoryEntry, Inspection, TeamMember
from inspection.schemas import Checklist, DrawExecuted, Selection
from shared.db import is_postgres
from shared.messaging import insert_ignore

# Task rows per multi-row INSERT: 16,000 bind parameters, well under PostgreSQL's 32,767.
TASK_ROWS = 1000


def new_inspection_id() -> str:
    return "i-" + secrets.token_hex(6)


async def existing_positions(session: AsyncSession, *, draw_id: str) -> set[int]:
    rows = await session.scalars(select(Inspection.position).where(Inspection.draw_id == draw_id))
    return set(rows)


def task_row(
    draw: DrawExecuted, selection: Selection, checklist: tuple[str, list[dict[str, str]]], due_date: date, now: datetime
) -> dict[str, Any]:
    return {
        "id": new_inspection_id(),
        "draw_id": draw.draw_id,
        "position": selection.position,
        "checking_body": draw.checking_body,
        "period": draw.period,
        "entity_id": selection.entity_id,
        "sector": selection.entity.sector,
        "entity": selection.entity.model_dump(mode="json"),
        "status": ASSIGNED,
        "due_date": due_date,
        "check_type": draw.check_type,
        "joint_departments": list(draw.joint_departments),
        "checklist_version": checklist[0],
        "checklist": checklist[1],
        "version": 0,
        "created_at": now,
    }


async def _insert_tasks(session: AsyncSession, rows: list[dict[str, Any]]) -> set[str]:
    """Ids of the rows actually inserted; a (draw, position) that already has a task is skipped.
    One cached single-row statement, executed for many rows: SQLAlchemy sends them as multi-row
    INSERTs of up to TASK_ROWS (insertmanyvalues), without compiling a statement per chunk."""
    table = Inspection.__table__
    statement = (
        insert_ignore(session, table)
        .on_conflict_do_nothing(index_elements=["draw_id", "position"])
        .returning(table.c.id)
        .execution_options(insertmanyvalues_page_size=TASK_ROWS)
    )
    return set((await session.scalars(statement, rows)).all()) if rows else set()


async def create_tasks(
    session: AsyncSession,
    *,
    draw: DrawExecuted,
    selections: Sequence[Selection],
    checklists: dict[ChecklistKey, Checklist],
    due_date: date,
    event_id: str,
    now: datetime,
) -> int:
    """One task per selection with its team and checklist, and the first line of its history."""
    items = {key: (c.version, [item.model_dump() for item in c.items]) for key, c in checklists.items()}
    rows = [task_row(draw, s, items[checklist_key(s.entity)], due_date, now) for s in selections]
    inserted = await _insert_tasks(session, rows)
    members, history = [], []
    for row, selection in zip(rows, selections, strict=True):
        if row["id"] not in inserted:
            continue
        members += [
            {"inspection_id": row["id"], "inspector_id": i, "seat": seat} for seat, i in enumerate(selection.team)
        ]
        history.append(
            audit.entry(
                row["id"],
                "assigned",
                "draw",
                now,
                draw_id=draw.draw_id,
                position=selection.position,
                team=selection.team,
                event_id=event_id,
            )
        )
    await insert_rows(session, TeamMember.__table__, members)
    await insert_rows(session, HistoryEntry.__table__, history)
    return len(inserted)


async def insert_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Rows that cannot conflict (new tasks' members and history): COPY on PostgreSQL, in the
    session's transaction; one executemany elsewhere (the embedded SQLite default)."""
    if not rows:
        return
    if not is_postgres(session):
        await session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    as_json = [isinstance(table.c[name].type, JSON) for name in columns]
    records = [
        tuple(
            json.dumps(row[name], ensure_ascii=False) if j else row[name]
            for name, j in zip(columns, as_json, strict=True)
        )
        for row in rows
    ]
    raw = await (await session.connection()).get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_records_to_table(table.name, records=records, columns=columns)
