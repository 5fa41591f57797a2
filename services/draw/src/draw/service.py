"""Draw rules after the commit (commit.py): execute runs ssj-draw-v1 once, the public record, reads."""

import asyncio
import itertools
import logging
import time
import zlib
from bisect import bisect_left
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from draw import algorithm, audit, events, frozen
from draw.db import insert_rows
from draw.exceptions import DrawNotFound, DrawVoided, NoInspectorLeft, ReRollRefused
from draw.models import EXECUTED, VOIDED, Draw, DrawInspector, DrawPool, DrawSelection
from draw.signing import Signer
from shared.collector import paused_gc, without_gc
from shared.paging import decode_cursor, encode_cursor
from shared.problems import InvalidField, ProblemError

log = logging.getLogger("ssj.draw")
SELECTION_COLUMNS = ("draw_id", "position", "entity_id", "stratum", "team")


@contextmanager
def named_input_errors() -> Iterator[None]:
    """The algorithm names the offending field; the caller gets that name in a 422."""
    try:
        yield
    except algorithm.DrawInputError as exc:
        raise InvalidField(exc.field, exc.message) from None


async def get_draw(session: AsyncSession, draw_id: str) -> Draw:
    draw = await session.get(Draw, draw_id)
    if draw is None:
        raise DrawNotFound(draw_id)
    return draw


async def locked_draw(session: AsyncSession, draw_id: str) -> Draw:
    """Row lock on PostgreSQL so concurrent executes and voids run one after the other."""
    query = select(Draw).where(Draw.id == draw_id).with_for_update().execution_options(populate_existing=True)
    draw = await session.scalar(query)
    if draw is None:
        raise DrawNotFound(draw_id)
    return draw


async def _frozen_inspectors(session: AsyncSession, draw_id: str) -> list[algorithm.Inspector]:
    query = select(DrawInspector.inspector_id, DrawInspector.conflicts).where(DrawInspector.draw_id == draw_id)
    return [algorithm.Inspector(i, tuple(c)) for i, c in (await session.execute(query)).all()]


def _mismatch(draw: Draw) -> ProblemError:
    log.error("draw %s: the frozen pools no longer match the published commitment", draw.id)
    return ProblemError(
        500,
        "commitment-mismatch",
        "Frozen pools were altered",
        f"the stored pools of {draw.id} no longer match its published commitment",
    )


async def _checked_pools(session: AsyncSession, draw: Draw) -> tuple[DrawPool, str, list[algorithm.Inspector]]:
    """The stored pools, proven against the published commitment before anything uses them."""
    stored = await session.get(DrawPool, draw.id)
    if stored is None:
        raise _mismatch(draw)
    inspectors = await _frozen_inspectors(session, draw.id)
    text, digest = frozen.decode_pool(stored.pool_text)
    expected = frozen.commitment_of(
        draw.id,
        digest,
        algorithm.inspectors_digest(inspectors),
        draw.team_size,
        draw.quotas,
        algorithm.secret_sha256(bytes.fromhex(draw.server_secret)),
        draw.entropy_source,
    )
    if expected != draw.commitment:
        raise _mismatch(draw)
    return stored, text, inspectors


async def frozen_pools(session: AsyncSession, draw: Draw) -> tuple[list[algorithm.Candidate], list[Any]]:
    _, text, inspectors = await _checked_pools(session, draw)
    with paused_gc():
        return frozen.parse_pool(text), inspectors


async def selections_of(session: AsyncSession, draw_id: str) -> list[DrawSelection]:
    query = select(DrawSelection).where(DrawSelection.draw_id == draw_id).order_by(DrawSelection.position)
    return list((await session.scalars(query)).all())


@without_gc
async def execute_draw(
    session: AsyncSession, *, draw_id: str, external_entropy: str, caller: str, signer: Signer
) -> tuple[Draw, list[Any]]:
    """Runs §2 once. The same entropy again returns the stored result; other entropy is a re-roll."""
    draw = await locked_draw(session, draw_id)
    if draw.status == VOIDED:
        raise DrawVoided(draw.id, draw.replaced_by)
    if draw.status == EXECUTED:
        if draw.external_entropy != external_entropy:
            raise ReRollRefused(draw.id)
        return draw, await selections_of(session, draw.id)
    clock = [time.perf_counter()]
    stored, text, inspectors = await _checked_pools(session, draw)
    clock.append(time.perf_counter())
    with named_input_errors():
        seed = algorithm.seed(draw.commitment, bytes.fromhex(draw.server_secret), external_entropy)
    try:
        chosen, snapshots = await asyncio.to_thread(
            _run, seed, (draw.team_size, dict(draw.quotas)), stored.snapshot, text, inspectors
        )
    except algorithm.NoEligibleInspector as exc:
        raise NoInspectorLeft(exc.entity_id) from None
    clock.append(time.perf_counter())
    draw.status, draw.external_entropy, draw.seed = EXECUTED, external_entropy, seed.hex()
    draw.executed_at, draw.executed_by = datetime.now(UTC), caller
    await session.flush()
    rows = [(draw.id, s.position, s.entity_id, s.stratum, list(s.team)) for s in chosen]
    await insert_rows(session, DrawSelection.__table__, SELECTION_COLUMNS, rows)  # type: ignore[arg-type]
    await events.draw_executed(session, draw, chosen, snapshots)
    await audit.append(session, signer, kind=audit.EXECUTED, draw_id=draw.id, data=_executed_entry(draw, chosen))
    clock.append(time.perf_counter())
    timings = tuple(b - a for a, b in itertools.pairwise(clock))
    log.info("draw %s executed: %d selections (load %.2f s, draw %.2f s, store %.2f s)", draw.id, len(chosen), *timings)
    return draw, chosen


def _run(
    seed: bytes, shape: tuple[int, dict[str, int]], snapshot: bytes, text: str, inspectors: list[algorithm.Inspector]
) -> tuple[list[algorithm.Selection], dict[str, dict[str, Any]]]:
    """§2 and the selected entities' snapshots: pure and CPU-bound, so it runs in a worker thread,
    with the snapshot decompressed beside the draw."""
    with ThreadPoolExecutor(1) as aside:  # the collector is paused by execute_draw
        raw = aside.submit(zlib.decompress, snapshot)
        pool = frozen.parse_pool(text)
        chosen = algorithm.execute(seed, pool, inspectors, *shape)
        ids = [c.entity_id for c in pool]  # the pool text's order: by id
        positions = {s.entity_id: bisect_left(ids, s.entity_id) for s in chosen}
        return chosen, frozen.snapshots_of(raw.result(), positions)


def _executed_entry(draw: Draw, chosen: list[algorithm.Selection]) -> dict[str, Any]:
    return {
        "commitment_sha256": draw.commitment_sha256,
        "external_entropy": draw.external_entropy,
        "seed": draw.seed,
        "selections": len(chosen),
        "selections_sha256": audit.selections_sha256(chosen),
        "executed_by": draw.executed_by,
    }


async def public_record(session: AsyncSession, draw: Draw) -> dict[str, object]:
    """§3, rebuilt from the frozen pools: the secret and outcome only once the draw has run. A voided
    draw that had run keeps its record: the void does not unpublish what happened."""
    pool, inspectors = await frozen_pools(session, draw)
    entropy = draw.external_entropy if draw.seed is not None else None
    record = algorithm.build_record(
        draw.id,
        pool,
        inspectors,
        draw.team_size,
        draw.quotas,
        draw.entropy_source,
        bytes.fromhex(draw.server_secret),
        entropy,
    )
    if record["commitment"] != draw.commitment:
        raise _mismatch(draw)
    # Substitutes drawn at the door follow the §3 fields, so a §3 verifier still accepts the record.
    from draw.substitutes import record_substitutions  # substitutes imports this module's callers

    substitutions = await record_substitutions(session, draw.id)
    if substitutions:
        record["substitutions"] = substitutions
    return record


async def list_draws(
    session: AsyncSession,
    *,
    sector: str | None,
    status: str | None,
    period: str | None,
    rule_code: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Draw], str | None]:
    """Newest first, keyset-paged on (created_at, id) so new draws never shift a page."""
    query = select(Draw).order_by(Draw.created_at.desc(), Draw.id.desc()).limit(limit + 1)
    for column, value in ((Draw.sector, sector), (Draw.status, status), (Draw.period, period)):
        if value:
            query = query.where(column == value)
    if rule_code:
        query = query.where(Draw.rule_code == rule_code)
    after = decode_cursor(cursor)
    if after is not None:
        try:
            at, last_id = datetime.fromisoformat(after["at"]), str(after["id"])
        except (KeyError, TypeError, ValueError):
            raise InvalidField("cursor", "not a cursor this service issued") from None
        query = query.where(or_(Draw.created_at < at, and_(Draw.created_at == at, Draw.id < last_id)))
    rows = list((await session.scalars(query)).all())
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor({"at": last.created_at.isoformat(), "id": last.id})
