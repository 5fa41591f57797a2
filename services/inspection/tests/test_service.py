from datetime import date

import pytest
from sqlalchemy import func, select

from inspection import service
from inspection.models import Inspection
from inspection.schemas import Checklist, DrawExecuted

from .factories import draw_data, selection

pytestmark = pytest.mark.integration
CHECKLIST = Checklist(
    version="v1",
    sector="entertainment",
    items=[{"code": "entertainment.filing", "name_zh": "备案", "name_en": "Filing"}],
)


async def test_the_unique_constraint_makes_a_second_task_for_a_selection_a_no_op(sessionmaker):
    """Even a caller that skips both the inbox and the existing-positions check cannot duplicate."""
    draw = DrawExecuted.model_validate(draw_data([selection(1, ["INS-1"])]))
    async with sessionmaker() as s, s.begin():
        kwargs = {"draw": draw, "selection": draw.selections[0], "checklist": CHECKLIST, "due_date": date(2026, 12, 31)}
        assert await service.create_task(s, **kwargs) is True
        assert await service.create_task(s, **kwargs) is False
        assert await s.scalar(select(func.count()).select_from(Inspection)) == 1
