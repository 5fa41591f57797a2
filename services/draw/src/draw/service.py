"""Draw rules: commit freezes the pools and publishes a commitment; execute runs ssj-draw-v1 once."""

import logging
import secrets
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from draw import algorithm, events, pools
from draw.clients import RegistryClient, RegistryEntity, RegistryInspector
from draw.exceptions import DrawNotFound, NoInspectorLeft, ReRollRefused
from draw.models import COMMITTED, EXECUTED, Draw, DrawCandidate, DrawInspector, DrawSelection
from draw.schemas import DrawCreate
from shared.paging import decode_cursor, encode_cursor
from shared.problems import InvalidField, ProblemError

log = logging.getLogger("ssj.draw")


@contextmanager
def _named_input_errors() -> Iterator[None]:
    """The algorithm names the offending field; the caller gets that name in a 422."""
    try:
        yield
    except algorithm.DrawInputError as exc:
        raise InvalidField(exc.field, exc.message) from None


async def _check_filters(body: DrawCreate, registry: RegistryClient) -> None:
    if body.grades and body.sector != "entertainment":
        raise InvalidField("grades", "only entertainment venues are graded (治安分级)")
    if body.subtypes:
        known = await registry.subtypes(body.sector)
        for index, subtype in enumerate(body.subtypes):
            if subtype not in known:
                raise InvalidField(
                    f"subtypes[{index}]", f"{subtype!r} is not a subtype of {body.sector} ({', '.join(known)})"
                )


async def _freeze(
    body: DrawCreate,
    registry: RegistryClient,
    today: date,
) -> tuple[list[RegistryEntity], list[RegistryInspector]]:
    await _check_filters(body, registry)
    entities = pools.matching_entities(await registry.active_entities(body.sector), body.subtypes, body.grades)
    if not entities:
        raise InvalidField("sector", f"no active {body.sector} entity matches the filters: the pool is empty")
    inspectors = pools.eligible_inspectors(await registry.active_inspectors(), body.inspector_units, today)
    return sorted(entities, key=lambda e: e.id), sorted(inspectors, key=lambda i: i.id)


async def commit_draw(
    session: AsyncSession,
    *,
    body: DrawCreate,
    registry: RegistryClient,
    caller: str,
    today: date | None = None,
) -> Draw:
    entities, inspectors = await _freeze(body, registry, today or pools.local_today())
    pool, inspector_pool = pools.candidates(entities), pools.inspector_pool(inspectors)
    quotas = pools.resolve_quotas(body.quota, Counter(c.stratum for c in pool))
    pools.check_teams_possible(pool, quotas, inspector_pool, body.team_size)
    draw_id, secret = f"d-{uuid.uuid4().hex[:12]}", secrets.token_bytes(algorithm.SECRET_BYTES)
    with _named_input_errors():
        commitment = algorithm.commitment_text(
            draw_id, pool, inspector_pool, body.team_size, quotas, algorithm.secret_sha256(secret), body.entropy_source
        )
    draw = Draw(
        id=draw_id,
        title=body.title,
        sector=body.sector,
        quotas=quotas,
        team_size=body.team_size,
        filters={"subtypes": body.subtypes, "grades": body.grades, "inspector_units": body.inspector_units},
        quota_rule=body.quota.model_dump(exclude_none=True),
        entropy_source=body.entropy_source,
        period=body.period,
        due_date=body.due_date,
        checking_body=body.checking_body,
        status=COMMITTED,
        pool_size=len(pool),
        inspector_count=len(inspector_pool),
        commitment=commitment,
        commitment_sha256=algorithm.commitment_sha256(commitment),
        server_secret=secret.hex(),
        committed_by=caller,
        created_at=datetime.now(UTC),
    )
    session.add(draw)
    await session.flush()
    await _store_pools(session, draw, entities, pool, inspectors)
    await events.draw_committed(session, draw)
    # §1: the commitment is published and logged before execution; it holds only the secret's hash.
    log.info("draw %s committed (%d candidates, %d inspectors): %r", draw.id, len(pool), len(inspectors), commitment)
    return draw


async def _store_pools(
    session: AsyncSession,
    draw: Draw,
    entities: list[RegistryEntity],
    pool: list[algorithm.Candidate],
    inspectors: list[RegistryInspector],
) -> None:
    strata = {c.entity_id: c for c in pool}
    await session.execute(
        insert(DrawCandidate),
        [
            {
                "draw_id": draw.id,
                "entity_id": e.id,
                "stratum": strata[e.id].stratum,
                "weight": strata[e.id].weight,
                "name": e.name,
                "credit_code": e.credit_code,
                "subtype": e.subtype,
                "division_code": e.division_code,
                "grade": e.grade,
                "flags": e.flags,
                "entity_version": e.version,
            }
            for e in entities
        ],
    )
    if inspectors:
        await session.execute(
            insert(DrawInspector),
            [
                {
                    "draw_id": draw.id,
                    "inspector_id": i.id,
                    "name": i.name,
                    "unit": i.unit,
                    "conflicts": sorted(set(i.conflicts)),
                    "inspector_version": i.version,
                }
                for i in inspectors
            ],
        )


async def get_draw(session: AsyncSession, draw_id: str) -> Draw:
    draw = await session.get(Draw, draw_id)
    if draw is None:
        raise DrawNotFound(draw_id)
    return draw


async def _locked_draw(session: AsyncSession, draw_id: str) -> Draw:
    """Row lock on PostgreSQL so concurrent executes run one after the other; SQLite has one writer."""
    query = select(Draw).where(Draw.id == draw_id).with_for_update().execution_options(populate_existing=True)
    draw = await session.scalar(query)
    if draw is None:
        raise DrawNotFound(draw_id)
    return draw


async def _candidate_rows(session: AsyncSession, draw_id: str) -> list[Any]:
    """Plain rows, not ORM objects: a frozen pool may hold a hundred thousand entities."""
    query = select(DrawCandidate.__table__).where(DrawCandidate.draw_id == draw_id)
    return list((await session.execute(query)).all())


async def _frozen_inspectors(session: AsyncSession, draw_id: str) -> list[algorithm.Inspector]:
    query = select(DrawInspector.inspector_id, DrawInspector.conflicts).where(DrawInspector.draw_id == draw_id)
    return [algorithm.Inspector(i, tuple(c)) for i, c in (await session.execute(query)).all()]


def _check_untouched(draw: Draw, commitment: str) -> None:
    """The stored pools must still hash to the published commitment, or the record would lie."""
    if commitment != draw.commitment:
        log.error("draw %s: the frozen pools no longer match the published commitment", draw.id)
        raise ProblemError(
            500,
            "commitment-mismatch",
            "Frozen pools were altered",
            f"the stored pools of {draw.id} no longer match its published commitment",
        )


async def selections_of(session: AsyncSession, draw_id: str) -> list[DrawSelection]:
    query = select(DrawSelection).where(DrawSelection.draw_id == draw_id).order_by(DrawSelection.position)
    return list((await session.scalars(query)).all())


async def execute_draw(
    session: AsyncSession,
    *,
    draw_id: str,
    external_entropy: str,
    caller: str,
) -> tuple[Draw, list[DrawSelection]]:
    """Runs §2 once. The same entropy again returns the stored result; other entropy is a re-roll."""
    draw = await _locked_draw(session, draw_id)
    if draw.status == EXECUTED:
        if draw.external_entropy != external_entropy:
            raise ReRollRefused(draw.id)
        return draw, await selections_of(session, draw.id)
    rows = await _candidate_rows(session, draw.id)
    pool = [algorithm.Candidate(r.entity_id, r.stratum, r.weight) for r in rows]
    inspectors = await _frozen_inspectors(session, draw.id)
    secret = bytes.fromhex(draw.server_secret)
    with _named_input_errors():
        _check_untouched(
            draw,
            algorithm.commitment_text(
                draw.id,
                pool,
                inspectors,
                draw.team_size,
                draw.quotas,
                algorithm.secret_sha256(secret),
                draw.entropy_source,
            ),
        )
        seed = algorithm.seed(draw.commitment, secret, external_entropy)
    try:
        chosen = algorithm.execute(seed, pool, inspectors, draw.team_size, draw.quotas)
    except algorithm.NoEligibleInspector as exc:
        raise NoInspectorLeft(exc.entity_id) from None
    draw.status, draw.external_entropy, draw.seed = EXECUTED, external_entropy, seed.hex()
    draw.executed_at, draw.executed_by = datetime.now(UTC), caller
    selections = [
        DrawSelection(draw_id=draw.id, position=s.position, entity_id=s.entity_id, stratum=s.stratum, team=list(s.team))
        for s in chosen
    ]
    session.add_all(selections)
    await session.flush()
    await events.draw_executed(session, draw, selections, {r.entity_id: r for r in rows})
    log.info("draw %s executed: %d selections", draw.id, len(selections))
    return draw, selections


async def public_record(session: AsyncSession, draw: Draw) -> dict[str, object]:
    """§3, rebuilt from the frozen pools: the secret and outcome only once the draw has run."""
    rows = await _candidate_rows(session, draw.id)
    pool = [algorithm.Candidate(r.entity_id, r.stratum, r.weight) for r in rows]
    inspectors = await _frozen_inspectors(session, draw.id)
    entropy = draw.external_entropy if draw.status == EXECUTED else None
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
    _check_untouched(draw, str(record["commitment"]))
    return record


async def list_draws(
    session: AsyncSession,
    *,
    sector: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Draw], str | None]:
    """Newest first, keyset-paged on (created_at, id) so new draws never shift a page."""
    query = select(Draw).order_by(Draw.created_at.desc(), Draw.id.desc()).limit(limit + 1)
    if sector:
        query = query.where(Draw.sector == sector)
    if status:
        query = query.where(Draw.status == status)
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
