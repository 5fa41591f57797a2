"""Substitutes for inspectors who recuse themselves at the door (回避), drawn, never picked by hand.

An inspector may discover a conflict only on arrival. The replacement is drawn from the draw's
own seed and frozen inspector pool, so anyone holding the public record can recompute it:

    h = INT(H(seed || "S" || entity_id || 0x00 || BE32(n)))
    substitute = eligible[h mod len(eligible)]

`n` counts the substitutions already made for that entity (0 for the first); `eligible` is the
frozen inspector pool sorted by inspector_id, less the current team, less those whose frozen
conflicts name the entity, less every inspector already recused from it in this draw (the new
conflict is recorded here: the frozen pool and its digest never change). The substitute takes
the recused inspector's seat. The record lists substitutions after the §3 fields, so a §3
verifier still accepts it, and `verify_substitutions` replays them.
"""

import hashlib
import logging
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from draw.db import Base, UtcDateTime, messaging
from draw.dependencies import ExecuteCaller
from draw.exceptions import DrawNotFound
from draw.models import EXECUTED, Draw, DrawInspector, DrawSelection
from shared.db import SessionDep
from shared.messaging import emit
from shared.problems import Conflict, InvalidField, ProblemError

log = logging.getLogger("ssj.draw.substitutes")
SUBSTITUTE_DRAWN = "ssj.draw.substitute_drawn"
Ident = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")]


class DrawSubstitution(Base):
    """One drawn substitute. (draw, entity, recused) is unique: asking again returns this row."""

    __tablename__ = "draw_substitutions"
    __table_args__ = (
        UniqueConstraint("draw_id", "entity_id", "recused_inspector_id", name="uq_draw_substitutions_recused"),
    )

    draw_id: Mapped[str] = mapped_column(ForeignKey("draws.id", ondelete="CASCADE"), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    recused_inspector_id: Mapped[str] = mapped_column(String(64))
    substitute_inspector_id: Mapped[str] = mapped_column(String(64))
    team: Mapped[list[str]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(120))
    drawn_at: Mapped[datetime] = mapped_column(UtcDateTime)


# --- the pure rule ------------------------------------------------------------------------


def substitute_hash(seed: bytes, entity_id: str, n: int) -> int:
    return int.from_bytes(hashlib.sha256(seed + b"S" + entity_id.encode() + b"\x00" + n.to_bytes(4, "big")).digest())


def pick_substitute(
    seed: bytes,
    entity_id: str,
    n: int,
    pool: Sequence[tuple[str, Collection[str]]],
    team: Collection[str],
    recused: Collection[str],
) -> str | None:
    """The n-th substitute for `entity_id`, or None when nobody eligible is left."""
    eligible = sorted(
        inspector_id
        for inspector_id, conflicts in pool
        if inspector_id not in team and inspector_id not in recused and entity_id not in conflicts
    )
    if not eligible:
        return None
    return eligible[substitute_hash(seed, entity_id, n) % len(eligible)]


def verify_substitutions(record: dict[str, Any]) -> str | None:
    """None if every entry of record["substitutions"] recomputes from the record, else the first
    reason it does not. Run it after the §3 verifier has accepted the rest of the record."""
    try:
        seed = bytes.fromhex(record["seed"])
        pool = [(i["inspector_id"], tuple(i["conflicts"])) for i in record["inspectors"]]
        teams = {s["entity_id"]: list(s["team"]) for s in record["selections"]}
        recused: dict[str, list[str]] = {}
        for index, entry in enumerate(record.get("substitutions", [])):
            entity_id, team = entry["entity_id"], teams.get(entry["entity_id"])
            gone = recused.setdefault(entity_id, [])
            if team is None or entry["sequence"] != len(gone) or entry["recused_inspector_id"] not in team:
                return f"substitutions[{index}] does not follow the selections and earlier substitutions"
            gone.append(entry["recused_inspector_id"])
            pick = pick_substitute(seed, entity_id, entry["sequence"], pool, team, gone)
            if pick is None or entry["substitute_inspector_id"] != pick:
                said = entry["substitute_inspector_id"]
                return f"substitutions[{index}]: the drawn substitute is {pick!r}, not {said!r}"
            team[team.index(entry["recused_inspector_id"])] = pick
            if entry["team"] != team:
                return f"substitutions[{index}]: the team after it is {team}"
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return f"substitutions could not be checked ({type(error).__name__}: {error})"
    return None


# --- the service --------------------------------------------------------------------------


class SubstituteIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "entity_id": "ENT-00017",
                    "recused_inspector_id": "INS-0003",
                    "team": ["INS-0003", "INS-0007"],
                    "reason": "检查对象负责人系其近亲属",
                }
            ]
        },
    )

    entity_id: Ident
    recused_inspector_id: Ident = Field(description="The team member who declared the conflict")
    team: list[Ident] = Field(min_length=1, description="The entity's team as the caller knows it now")
    reason: str = Field("", max_length=500, description="The declared conflict (internal, never in the record)")


class SubstituteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    draw_id: str
    entity_id: str
    sequence: int = Field(description="n: substitutions made for this entity before this one")
    recused_inspector_id: str
    substitute_inspector_id: str
    team: list[str] = Field(description="The team after the substitution; the substitute has the recused seat")
    drawn_at: datetime


async def _executed_draw(session: AsyncSession, draw_id: str) -> Draw:
    draw = await session.get(Draw, draw_id)
    if draw is None:
        raise DrawNotFound(draw_id)
    if draw.status != EXECUTED or draw.seed is None:
        raise Conflict("draw-not-executed", f"draw {draw_id} has not been executed: it has no teams yet")
    return draw


async def _locked_selection(session: AsyncSession, draw_id: str, entity_id: str) -> DrawSelection:
    """Locked so two recusals for one entity take sequence numbers one after the other."""
    query = select(DrawSelection).where(DrawSelection.draw_id == draw_id, DrawSelection.entity_id == entity_id)
    selection = await session.scalar(query.with_for_update())
    if selection is None:
        raise InvalidField("entity_id", f"{entity_id} was not selected by draw {draw_id}")
    return selection


async def _earlier(session: AsyncSession, draw_id: str, entity_id: str) -> list[DrawSubstitution]:
    query = select(DrawSubstitution).where(DrawSubstitution.draw_id == draw_id, DrawSubstitution.entity_id == entity_id)
    return list((await session.scalars(query.order_by(DrawSubstitution.sequence))).all())


async def _frozen_pool(session: AsyncSession, draw_id: str) -> list[tuple[str, list[str]]]:
    query = select(DrawInspector.inspector_id, DrawInspector.conflicts).where(DrawInspector.draw_id == draw_id)
    return [(inspector_id, conflicts) for inspector_id, conflicts in (await session.execute(query)).all()]


def _check_request(body: SubstituteIn, team: list[str]) -> None:
    if body.team != team:
        raise Conflict("team-mismatch", f"the draw's current team for {body.entity_id} is {team}", field="team")
    if body.recused_inspector_id not in team:
        raise InvalidField("recused_inspector_id", f"{body.recused_inspector_id} is not on the team {team}")


async def draw_substitute(
    session: AsyncSession, *, draw_id: str, body: SubstituteIn, caller: str
) -> tuple[DrawSubstitution, bool]:
    """The substitute and whether it was drawn now (False: this recusal was already answered)."""
    draw = await _executed_draw(session, draw_id)
    selection = await _locked_selection(session, draw_id, body.entity_id)
    earlier = await _earlier(session, draw_id, body.entity_id)
    for row in earlier:
        if row.recused_inspector_id == body.recused_inspector_id:
            return row, False
    team = list(earlier[-1].team if earlier else selection.team)
    _check_request(body, team)
    recused = [row.recused_inspector_id for row in earlier] + [body.recused_inspector_id]
    assert draw.seed is not None
    pick = pick_substitute(
        bytes.fromhex(draw.seed), body.entity_id, len(earlier), await _frozen_pool(session, draw_id), team, recused
    )
    if pick is None:
        raise ProblemError(
            422,
            "no-eligible-inspector",
            "No substitute can be drawn",
            f"no inspector of draw {draw_id}'s frozen pool is off the team and free of a conflict "
            f"with {body.entity_id}",
            field="recused_inspector_id",
        )
    team[team.index(body.recused_inspector_id)] = pick
    row = DrawSubstitution(
        draw_id=draw_id,
        entity_id=body.entity_id,
        sequence=len(earlier),
        recused_inspector_id=body.recused_inspector_id,
        substitute_inspector_id=pick,
        team=team,
        reason=body.reason,
        requested_by=caller,
        drawn_at=datetime.now(UTC),
    )
    session.add(row)
    await session.flush()
    await _substitute_drawn(session, draw, row)
    log.info("draw %s: %s recused from %s, substitute %s", draw_id, row.recused_inspector_id, row.entity_id, pick)
    return row, True


async def _substitute_drawn(session: AsyncSession, draw: Draw, row: DrawSubstitution) -> None:
    data = SubstituteRead.model_validate(row).model_dump(mode="json") | {"record_url": draw.record_url}
    await emit(
        session, messaging, type=SUBSTITUTE_DRAWN, source="/ssj/draw", key=draw.id, subject=row.entity_id, data=data
    )


async def record_substitutions(session: AsyncSession, draw_id: str) -> list[dict[str, Any]]:
    """The `substitutions` list of the public record, by entity then sequence (reasons stay internal)."""
    query = select(DrawSubstitution).where(DrawSubstitution.draw_id == draw_id)
    rows = (await session.scalars(query.order_by(DrawSubstitution.entity_id, DrawSubstitution.sequence))).all()
    return [
        {
            "entity_id": r.entity_id,
            "sequence": r.sequence,
            "recused_inspector_id": r.recused_inspector_id,
            "substitute_inspector_id": r.substitute_inspector_id,
            "team": list(r.team),
        }
        for r in rows
    ]


# --- the route ----------------------------------------------------------------------------

router = APIRouter(prefix="/v1", tags=["draws"])


@router.post(
    "/draws/{draw_id}/substitutes",
    response_model=SubstituteRead,
    status_code=201,
    summary="Draw a substitute for an inspector who recused at the door (回避替补抽取)",
    responses={
        200: {"description": "this recusal was already answered: the same substitute again"},
        404: {"description": "no such draw"},
        409: {"description": "draw not executed, or `team` is not the draw's current team"},
        422: {"description": "entity not selected, recused inspector not on the team, or nobody eligible"},
    },
)
async def substitute(
    draw_id: str, body: SubstituteIn, response: Response, session: SessionDep, caller: ExecuteCaller
) -> Any:
    """Deterministic from the executed draw's seed (see the module text): h = INT(H(seed || "S" ||
    entity_id || 0x00 || BE32(n))) over the eligible inspectors of the frozen pool sorted by id.
    Logged, published as `ssj.draw.substitute_drawn`, and replayable from the public record."""
    row, drawn = await draw_substitute(session, draw_id=draw_id, body=body, caller=caller.name)
    if not drawn:
        response.status_code = 200
    return row
