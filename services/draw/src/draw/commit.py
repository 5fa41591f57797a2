"""Committing a draw (draw-algorithm.md §1): freeze the target pool from a registry snapshot and the
inspector pool of the checking body, weigh candidates by the risk policy, and publish the
commitment before any randomness exists (an event, a log line and an audit-log leaf)."""

import asyncio
import hashlib
import itertools
import logging
import secrets
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from draw import algorithm, audit, events, frozen, pools
from draw.clients import RegistryClient, RegistryInspector
from draw.db import insert_rows
from draw.exceptions import EmptyPool
from draw.frozen import PoolEntity
from draw.models import COMMITTED, Draw, DrawInspector, DrawPool
from draw.schemas import DrawCreate, DrawSpec
from draw.service import named_input_errors
from draw.signing import Signer
from shared.collector import without_gc
from shared.problems import InvalidField

log = logging.getLogger("ssj.draw")


@dataclass
class Origin:
    """Where a draw comes from, when not from a bare request: a plan item, or a voided draw."""

    plan_item_id: str | None = None
    rule_code: str | None = None
    rules_version: str | None = None
    replaces: str | None = None


@dataclass
class RegistryCache:
    """One registry read per sector for a batch of commits (a plan commits dozens of draws)."""

    entities: dict[str, tuple[list[str], list[PoolEntity]]] = field(default_factory=dict)
    inspectors: list[RegistryInspector] | None = None


async def _check_subtypes(spec: DrawSpec, registry: RegistryClient) -> None:
    if spec.grades and spec.sector != "entertainment":
        raise InvalidField("grades", "only entertainment venues are graded (治安分级)")
    if spec.subtypes:
        known = await registry.subtypes(spec.sector)
        for index, subtype in enumerate(spec.subtypes):
            if subtype not in known:
                raise InvalidField(
                    f"subtypes[{index}]", f"{subtype!r} is not a subtype of {spec.sector} ({', '.join(known)})"
                )


async def _freeze(
    spec: DrawSpec, registry: RegistryClient, today: date, cache: RegistryCache
) -> tuple[list[str], list[PoolEntity], list[RegistryInspector]]:
    await _check_subtypes(spec, registry)
    if spec.sector not in cache.entities:
        cache.entities[spec.sector] = await registry.active_entities(spec.sector)
    header, everyone = cache.entities[spec.sector]
    entities = pools.matching_entities(everyone, spec)
    if not entities:
        raise EmptyPool(spec.sector)
    if cache.inspectors is None:
        cache.inspectors = await registry.active_inspectors()
    inspectors = sorted(pools.eligible_inspectors(cache.inspectors, spec, today), key=lambda i: i.id)
    return header, entities, inspectors


def spec_of(draw: Draw) -> dict[str, Any]:
    """The plan a draw was committed from, to commit it again as a replacement."""
    columns = {
        "title": draw.title,
        "sector": draw.sector,
        "quota": draw.quota_rule,
        "team_size": draw.team_size,
        "period": draw.period,
        "due_date": draw.due_date,
        "checking_body": draw.checking_body,
        "jurisdiction": draw.jurisdiction,
        "check_type": draw.check_type,
        "joint_departments": draw.joint_departments,
        "risk_policy": draw.risk_policy or "none",
    }
    return columns | {k: v for k, v in draw.filters.items() if k in DrawSpec.model_fields}


@dataclass
class _Frozen:
    """Everything a commit stores, computed in one synchronous stretch."""

    quotas: pools.Quotas
    size: int
    strata: dict[str, int]
    inspectors: list[algorithm.Inspector]
    commitment: str
    pool_blob: bytes
    snapshot_blob: bytes


def _prepare(
    body: DrawCreate,
    draw_id: str,
    secret: bytes,
    header: list[str],
    entities: list[PoolEntity],
    inspectors: list[RegistryInspector],
) -> _Frozen:
    """Pure and CPU-bound, so it runs in a worker thread; the snapshot is compressed beside the rest."""
    with ThreadPoolExecutor(1) as aside:  # the collector is paused by commit_draw
        snapshot = aside.submit(frozen.compress, frozen.snapshot_bytes(header, entities))
        pool, inspector_pool = pools.candidates(entities, body.risk_policy), pools.inspector_pool(inspectors)
        quotas = pools.resolve_quotas(body.quota, pool, body.risk_policy)
        pools.check_teams_possible(pool, quotas.quotas, inspector_pool, body.team_size)
        with named_input_errors():
            algorithm.validate_inputs(draw_id, pool, inspector_pool, body.team_size, quotas.quotas, body.entropy_source)
        pool_text = algorithm.pool_text(pool)
        commitment = frozen.commitment_of(
            draw_id,
            hashlib.sha256(pool_text.encode()).hexdigest(),
            algorithm.inspectors_digest(inspector_pool),
            body.team_size,
            quotas.quotas,
            algorithm.secret_sha256(secret),
            body.entropy_source,
        )
        blob = frozen.encode_pool(pool_text)
        return _Frozen(quotas, len(pool), _strata(pool), inspector_pool, commitment, blob, snapshot.result())


@without_gc
async def commit_draw(
    session: AsyncSession,
    *,
    body: DrawCreate,
    registry: RegistryClient,
    caller: str,
    signer: Signer,
    today: date | None = None,
    origin: Origin | None = None,
    cache: RegistryCache | None = None,
) -> Draw:
    clock = [time.perf_counter()]
    header, entities, inspectors = await _freeze(body, registry, today or pools.local_today(), cache or RegistryCache())
    draw_id, secret = f"d-{uuid.uuid4().hex[:12]}", secrets.token_bytes(algorithm.SECRET_BYTES)
    clock.append(time.perf_counter())
    made = await asyncio.to_thread(_prepare, body, draw_id, secret, header, entities, inspectors)
    clock.append(time.perf_counter())
    origin = origin or Origin()
    draw = Draw(
        id=draw_id,
        title=body.title,
        sector=body.sector,
        quotas=made.quotas.quotas,
        team_size=body.team_size,
        filters=body.model_dump(mode="json", exclude={"entropy_source"}),
        quota_rule=body.quota.model_dump(exclude_none=True),
        entropy_source=body.entropy_source,
        period=body.period,
        due_date=body.due_date,
        checking_body=body.checking_body,
        jurisdiction=body.jurisdiction,
        check_type=body.check_type,
        joint_departments=body.joint_departments,
        risk_policy=body.risk_policy,
        risk_summary=made.quotas.summary,
        strata=made.strata,
        status=COMMITTED,
        pool_size=made.size,
        inspector_count=len(made.inspectors),
        commitment=made.commitment,
        commitment_sha256=algorithm.commitment_sha256(made.commitment),
        server_secret=secret.hex(),
        committed_by=caller,
        created_at=datetime.now(UTC),
        plan_item_id=origin.plan_item_id,
        rule_code=origin.rule_code,
        rules_version=origin.rules_version,
        replaces=origin.replaces,
    )
    session.add(draw)
    await session.flush()
    session.add(DrawPool(draw_id=draw.id, size=made.size, pool_text=made.pool_blob, snapshot=made.snapshot_blob))
    await _store_inspectors(session, draw, inspectors)
    await events.draw_committed(session, draw)
    await audit.append(session, signer, kind=audit.COMMITTED, draw_id=draw.id, data=_committed_entry(draw))
    clock.append(time.perf_counter())
    # §1: the commitment is published and logged before execution; it holds only the secret's hash.
    log.info(
        "draw %s committed (%d candidates, %d inspectors; registry %.2f s, freeze %.2f s, store %.2f s): %r",
        draw.id,
        made.size,
        len(inspectors),
        *(b - a for a, b in itertools.pairwise(clock)),
        draw.commitment,
    )
    return draw


def _strata(pool: list[algorithm.Candidate]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for candidate in pool:
        sizes[candidate.stratum] = sizes.get(candidate.stratum, 0) + 1
    return dict(sorted(sizes.items()))


def _committed_entry(draw: Draw) -> dict[str, Any]:
    return {
        "commitment": draw.commitment,
        "commitment_sha256": draw.commitment_sha256,
        "committed_by": draw.committed_by,
        "plan_item_id": draw.plan_item_id,
        "rule_code": draw.rule_code,
        "rules_version": draw.rules_version,
        "risk_policy": draw.risk_policy,
        "replaces": draw.replaces,
    }


async def _store_inspectors(session: AsyncSession, draw: Draw, inspectors: list[RegistryInspector]) -> None:
    columns = ("draw_id", "inspector_id", "name", "unit", "conflicts", "inspector_version")
    rows = [(draw.id, i.id, i.name, i.unit, sorted(set(i.conflicts)), i.version) for i in inspectors]
    await session.flush()
    await insert_rows(session, DrawInspector.__table__, columns, rows)  # type: ignore[arg-type]
