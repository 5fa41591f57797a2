"""Voiding a draw (draw-algorithm.md §4): only with a reason and a second person's approval; the
void is logged and published, and the plan is drawn again under a new id and a new commitment."""

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from draw import audit, events
from draw.clients import RegistryClient
from draw.commit import Origin, commit_draw, spec_of
from draw.exceptions import SecondPersonRequired, VoidConflict
from draw.models import VOIDED, Draw, PlanItem
from draw.schemas import DrawCreate
from draw.service import locked_draw
from draw.signing import Signer

log = logging.getLogger("ssj.draw.voids")


async def request_void(session: AsyncSession, *, draw_id: str, reason: str, caller: str) -> Draw:
    """The first person: records why. Nothing changes for the draw until someone else approves."""
    draw = await locked_draw(session, draw_id)
    if draw.status == VOIDED:
        raise VoidConflict(f"draw {draw_id} is already voided (replacement: {draw.replaced_by})")
    if draw.void_requested_by is not None:
        raise VoidConflict(f"draw {draw_id} already has a void request by {draw.void_requested_by!r} awaiting approval")
    draw.void_reason, draw.void_requested_by, draw.void_requested_at = reason, caller, datetime.now(UTC)
    await session.flush()
    log.warning("void of draw %s requested by %s: %s", draw_id, caller, reason)
    return draw


async def approve_void(
    session: AsyncSession,
    *,
    draw_id: str,
    entropy_source: str,
    caller: str,
    registry: RegistryClient,
    signer: Signer,
) -> tuple[Draw, Draw]:
    """The second person: voids the draw and commits its replacement from the same plan, against
    today's registry, with new public randomness. Returns (voided, replacement)."""
    draw = await locked_draw(session, draw_id)
    if draw.status == VOIDED:
        raise VoidConflict(f"draw {draw_id} is already voided (replacement: {draw.replaced_by})")
    if draw.void_requested_by is None:
        raise VoidConflict(f"draw {draw_id} has no void request: a void starts with a reason (void-request)")
    if draw.void_requested_by == caller:
        raise SecondPersonRequired(draw_id, caller)
    body = DrawCreate.model_validate(spec_of(draw) | {"entropy_source": entropy_source})
    origin = Origin(draw.plan_item_id, draw.rule_code, draw.rules_version, replaces=draw.id)
    replacement = await commit_draw(session, body=body, registry=registry, caller=caller, signer=signer, origin=origin)
    draw.status, draw.voided_by, draw.voided_at, draw.replaced_by = VOIDED, caller, datetime.now(UTC), replacement.id
    await _repoint_plan_item(session, draw, replacement)
    await session.flush()
    await events.draw_voided(session, draw)
    await audit.append(session, signer, kind=audit.VOIDED, draw_id=draw.id, data=_voided_entry(draw))
    log.warning(
        "draw %s voided by %s (requested by %s); replacement %s",
        draw_id,
        caller,
        draw.void_requested_by,
        replacement.id,
    )
    return draw, replacement


async def _repoint_plan_item(session: AsyncSession, draw: Draw, replacement: Draw) -> None:
    if draw.plan_item_id is None:
        return
    item = await session.scalar(select(PlanItem).where(PlanItem.id == draw.plan_item_id).with_for_update())
    if item is not None and item.draw_id == draw.id:
        item.draw_id = replacement.id


def _voided_entry(draw: Draw) -> dict[str, object]:
    return {
        "commitment_sha256": draw.commitment_sha256,
        "executed": draw.seed is not None,
        "reason": draw.void_reason,
        "requested_by": draw.void_requested_by,
        "approved_by": draw.voided_by,
        "replacement_draw_id": draw.replaced_by,
    }
