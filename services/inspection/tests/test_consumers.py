import re
from datetime import date

import httpx
import pytest
from sqlalchemy import func, select

from inspection.consumers import Deps
from inspection.db import messaging
from inspection.models import HistoryEntry, Inspection, TeamMember
from shared.messaging import PermanentEventError

from .factories import deliver, deliver_twice, draw_data, draw_event, entity, fire_unit, selection

pytestmark = pytest.mark.integration


async def _tasks(sessionmaker) -> list[Inspection]:  # type: ignore[no-untyped-def]
    async with sessionmaker() as s:
        return list((await s.scalars(select(Inspection).order_by(Inspection.position))).all())


async def _count(sessionmaker, table) -> int:  # type: ignore[no-untyped-def]
    async with sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(table))


async def test_one_task_per_selection_with_team_and_checklist(sessionmaker, deps):
    venue, fire = entity(), fire_unit(key_unit=True, crowded_place=True)
    data = draw_data([selection(1, ["INS-3", "INS-7"], venue), selection(2, ["INS-1", "INS-2"], fire)])
    await deliver_twice(sessionmaker, draw_event(data), deps)

    first, second = await _tasks(sessionmaker)
    assert re.fullmatch(r"i-[0-9a-f]{12}", first.id) and first.id != second.id
    assert (first.draw_id, first.position, first.status) == (data["draw_id"], 1, "assigned")
    assert first.team == ["INS-3", "INS-7"] and second.team == ["INS-1", "INS-2"]
    assert first.entity == venue and first.entity_id == venue["id"] and first.sector == "entertainment"
    assert first.due_date == date(2026, 12, 20) and first.checking_body == "county_public_order"
    assert first.checklist_version == "2015-fushun-v1"
    assert len(first.checklist) == 8 and first.checklist[0]["code"] == "entertainment.filing"
    assert len(second.checklist) == 10 + 1 + 4 + 1
    assert {"fire_safety.decoration_obstacles", "fire_safety.fire_manager", "fire_safety.evacuation_staff"} <= {
        item["code"] for item in second.checklist
    }
    assert await _count(sessionmaker, TeamMember) == 4
    assert await _count(sessionmaker, messaging.inbox) == 1
    assert (first.check_type, first.joint_departments, first.version) == ("on_site", [], 0)
    async with sessionmaker() as s:
        history = (await s.scalars(select(HistoryEntry).order_by(HistoryEntry.id))).all()
    assert [(h.inspection_id, h.action, h.actor) for h in history] == [
        (first.id, "assigned", "draw"),
        (second.id, "assigned", "draw"),
    ]
    assert history[0].detail["team"] == ["INS-3", "INS-7"] and history[0].detail["draw_id"] == data["draw_id"]


async def test_same_selections_in_another_event_create_nothing_new(sessionmaker, deps, registry_calls):
    data = draw_data([selection(1, ["INS-1"]), selection(2, ["INS-2"])])
    await deliver_twice(sessionmaker, draw_event(data), deps)
    before = [(t.id, t.position) for t in await _tasks(sessionmaker)]
    calls = len(registry_calls)

    resent = draw_event(data)  # same draw re-published under a fresh event id: the inbox cannot help
    await deliver_twice(sessionmaker, resent, deps)
    assert [(t.id, t.position) for t in await _tasks(sessionmaker)] == before
    assert await _count(sessionmaker, TeamMember) == 2
    assert len(registry_calls) == calls


async def test_a_later_event_adds_only_missing_positions(sessionmaker, deps):
    one, two = selection(1, ["INS-1"]), selection(2, ["INS-2"])
    data = draw_data([one])
    await deliver_twice(sessionmaker, draw_event(data), deps)
    await deliver_twice(sessionmaker, draw_event(data | {"selections": [one, two]}), deps)
    assert [t.position for t in await _tasks(sessionmaker)] == [1, 2]


async def test_the_parts_of_a_large_draw_each_make_their_own_tasks(sessionmaker, deps):
    """A large draw's executed event comes in parts (draw/events.py); any order, any repeats."""
    selections = [selection(n, [f"INS-{n}"]) for n in range(1, 6)]
    parts = [
        draw_data(selections[at : at + 2], part=part, parts=3, selections_total=5)
        for part, at in enumerate(range(0, 5, 2), start=1)
    ]
    for data in (parts[2], parts[0], parts[2], parts[1]):
        await deliver(sessionmaker, draw_event(data), deps)
    assert [t.position for t in await _tasks(sessionmaker)] == [1, 2, 3, 4, 5]
    assert await _count(sessionmaker, TeamMember) == 5


async def test_checklists_are_fetched_once_per_sector_and_flags(sessionmaker, deps, registry_calls):
    selections = [
        selection(1, ["A"]),
        selection(2, ["B"]),
        selection(3, ["C"]),
        selection(4, ["D"], fire_unit(key_unit=True)),
        selection(5, ["E"], fire_unit(key_unit=True)),
        selection(6, ["F"], fire_unit()),
    ]
    await deliver_twice(sessionmaker, draw_event(draw_data(selections)), deps)
    assert len(registry_calls) == 3
    assert {str(url.params) for url in registry_calls if "fire_safety" in url.path} == {
        "key_unit=true&crowded_place=false",
        "key_unit=false&crowded_place=false",
    }
    tasks = await _tasks(sessionmaker)
    assert [len(t.checklist) for t in tasks] == [8, 8, 8, 14, 14, 10]


@pytest.mark.parametrize(
    ("period", "given", "due"),
    [
        ("2026-Q4", None, date(2026, 12, 31)),
        ("2026-H1", None, date(2026, 6, 30)),
        ("2028-02", None, date(2028, 2, 29)),
        ("2026-Q4", "2026-10-01", date(2026, 10, 1)),
        ("2026-Q4", "2027-01-15", date(2026, 12, 31)),
        ("2026-Q4", "2026-09-30", date(2026, 12, 31)),
        ("2026", "2026-01-01", date(2026, 1, 1)),
    ],
)
async def test_tasks_are_due_inside_the_period(sessionmaker, deps, period, given, due):
    """A due date outside the period would let a check count for a period it was not done in."""
    event = draw_event(draw_data([selection(1, ["A"])], due_date=given, period=period))
    await deliver_twice(sessionmaker, event, deps)
    assert [t.due_date for t in await _tasks(sessionmaker)] == [due]


@pytest.mark.parametrize(
    ("fields", "check_type", "departments"),
    [
        ({"check_type": "online_patrol"}, "online_patrol", []),
        ({"check_type": "joint", "joint_departments": ["education", "health"]}, "joint", ["education", "health"]),
        ({}, "on_site", []),
        ({"check_type": "on_site", "joint_departments": None}, "on_site", []),
    ],
)
async def test_check_type_comes_from_the_draw(sessionmaker, deps, fields, check_type, departments):
    await deliver_twice(sessionmaker, draw_event(draw_data([selection(1, ["A", "B"])], **fields)), deps)
    [task] = await _tasks(sessionmaker)
    assert (task.check_type, task.joint_departments) == (check_type, departments)


def _without(key: str):  # type: ignore[no-untyped-def]
    def change(data):  # type: ignore[no-untyped-def]
        return {k: v for k, v in data.items() if k != key}

    return change


def _in_selection(**fields):  # type: ignore[no-untyped-def]
    def change(data):  # type: ignore[no-untyped-def]
        return data | {"selections": [data["selections"][0] | fields]}

    return change


@pytest.mark.parametrize(
    "broken",
    [
        _without("draw_id"),
        _without("selections"),
        lambda d: d | {"due_date": None, "period": "Q4 of 2026"},
        lambda d: d | {"selections": [d["selections"][0], d["selections"][0]]},
        _in_selection(team=[]),
        _in_selection(team=["INS-1", "INS-1"]),
        _in_selection(position=0),
        _in_selection(entity_id="ENT-other"),
        _in_selection(entity=entity(sector="casino")),
        lambda d: d | {"selections": "all of them"},
        lambda d: d | {"check_type": "joint"},
        lambda d: d | {"check_type": "on_site", "joint_departments": ["health"]},
        lambda d: d | {"check_type": "joint", "joint_departments": ["health", "health"]},
        lambda d: d | {"check_type": "telepathy"},
    ],
    ids=[
        "no-draw-id",
        "no-selections",
        "bad-period",
        "repeated-position",
        "empty-team",
        "officer-twice",
        "position-0",
        "entity-id-mismatch",
        "unknown-sector",
        "selections-not-a-list",
        "joint-without-departments",
        "departments-without-joint",
        "department-twice",
        "unknown-check-type",
    ],
)
async def test_malformed_events_are_permanent_errors_and_create_nothing(sessionmaker, deps, broken):
    event = draw_event(broken(draw_data([selection(1, ["INS-1"])])))
    for _ in range(2):
        with pytest.raises(PermanentEventError):
            await deliver(sessionmaker, event, deps)
    assert await _count(sessionmaker, Inspection) == 0


async def test_registry_outage_raises_for_retry_and_loses_nothing(sessionmaker, deps):
    event = draw_event(draw_data([selection(1, ["INS-1"])]))
    async with httpx.AsyncClient(base_url="http://127.0.0.1:9", timeout=2) as unreachable:
        for _ in range(2):
            with pytest.raises(httpx.TransportError):
                await deliver(sessionmaker, event, Deps(registry=unreachable))
    assert await _count(sessionmaker, Inspection) == 0
    assert await _count(sessionmaker, messaging.inbox) == 0  # not marked done: the retry will run it
    await deliver_twice(sessionmaker, event, deps)
    assert await _count(sessionmaker, Inspection) == 1


async def test_registry_error_status_raises_for_retry(sessionmaker, registry):
    event = draw_event(draw_data([selection(1, ["INS-1"])]))
    transport = httpx.ASGITransport(app=registry)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry/not-here") as wrong_path:
        for _ in range(2):
            with pytest.raises(httpx.HTTPStatusError):
                await deliver(sessionmaker, event, Deps(registry=wrong_path))
    assert await _count(sessionmaker, Inspection) == 0
