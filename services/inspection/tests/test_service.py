from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from inspection import tasks
from inspection.clients import checklist_key
from inspection.models import HistoryEntry, Inspection, TeamMember
from inspection.schemas import Checklist, DrawExecuted
from shared.db import make_engine, make_sessionmaker
from shared.migrations import upgrade

from .conftest import SERVICE_DIR
from .factories import draw_data, selection

pytestmark = pytest.mark.integration
CHECKLIST = Checklist(
    version="v1",
    sector="entertainment",
    items=[{"code": "entertainment.filing", "name_zh": "备案", "name_en": "Filing"}],
)


async def _count(s, model) -> int:  # type: ignore[no-untyped-def]
    return await s.scalar(select(func.count()).select_from(model))


async def test_the_unique_constraint_makes_a_second_task_for_a_selection_a_no_op(sessionmaker):
    """Even a caller that skips both the inbox and the existing-positions check cannot duplicate."""
    draw = DrawExecuted.model_validate(draw_data([selection(p, ["INS-1", "INS-2"]) for p in (1, 2, 3)]))
    kwargs = {
        "draw": draw,
        "checklists": {checklist_key(draw.selections[0].entity): CHECKLIST},
        "due_date": date(2026, 12, 31),
        "event_id": "e-1",
        "now": datetime.now(UTC),
    }
    async with sessionmaker() as s, s.begin():
        assert await tasks.create_tasks(s, selections=draw.selections[:2], **kwargs) == 2
        assert await tasks.create_tasks(s, selections=draw.selections, **kwargs) == 1
        assert await tasks.create_tasks(s, selections=draw.selections, **kwargs) == 0
        assert await _count(s, Inspection) == 3
        assert await _count(s, TeamMember) == 6
        assert await _count(s, HistoryEntry) == 3


async def test_large_draws_are_inserted_in_chunks(sessionmaker, monkeypatch):
    """More tasks than one statement holds: every page lands, with its members and history."""
    monkeypatch.setattr(tasks, "TASK_ROWS", 7)
    draw = DrawExecuted.model_validate(draw_data([selection(p, ["INS-1", "INS-2"]) for p in range(1, 24)]))
    async with sessionmaker() as s, s.begin():
        created = await tasks.create_tasks(
            s,
            draw=draw,
            selections=draw.selections,
            checklists={checklist_key(draw.selections[0].entity): CHECKLIST},
            due_date=date(2026, 12, 31),
            event_id="e-2",
            now=datetime.now(UTC),
        )
        assert created == 23
        assert (await _count(s, TeamMember), await _count(s, HistoryEntry)) == (46, 23)
        positions = (await s.scalars(select(Inspection.position).order_by(Inspection.position))).all()
        assert list(positions) == list(range(1, 24))


async def test_the_embedded_sqlite_default_creates_tasks_once(tmp_path):
    """make run's SQLite takes the same set-based path, without COPY."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'inspection.db'}"
    upgrade(SERVICE_DIR, url)
    engine = make_engine(url)
    draw = DrawExecuted.model_validate(draw_data([selection(p, ["INS-1", "INS-2"]) for p in range(1, 6)]))
    kwargs = {
        "draw": draw,
        "selections": draw.selections,
        "checklists": {checklist_key(draw.selections[0].entity): CHECKLIST},
        "due_date": date(2026, 12, 31),
        "event_id": "e-3",
        "now": datetime.now(UTC),
    }
    try:
        for expected in (5, 0):
            async with make_sessionmaker(engine)() as s, s.begin():
                assert await tasks.create_tasks(s, **kwargs) == expected
        async with make_sessionmaker(engine)() as s:
            assert (await _count(s, Inspection), await _count(s, TeamMember), await _count(s, HistoryEntry)) == (
                5,
                10,
                5,
            )
    finally:
        await engine.dispose()
