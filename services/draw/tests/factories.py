"""Plain functions that build registry rows, draw plans and loaded registries."""

import itertools
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from draw import frozen
from draw.algorithm import Candidate, Inspector, commitment_sha256, commitment_text, pool_text, secret_sha256
from draw.models import Draw, DrawInspector, DrawPool
from registry.codes import CREDIT_CHARSET, credit_check_char
from shared.testing import auth

from .conftest import APPROVER, COMMITTER, EXECUTOR, READER, SYNC_JOB, VOIDER

_serial = itertools.count(1)
C, X = auth(COMMITTER[0]), auth(EXECUTOR[0])
V, A, R = auth(VOIDER[0]), auth(APPROVER[0]), auth(READER[0])


def credit_code(n: int) -> str:
    body = "9121040" + "".join(CREDIT_CHARSET[(n // 31**i) % 31] for i in range(10))
    return body + credit_check_char(body)


def entity(**overrides: Any) -> dict[str, Any]:
    n = next(_serial)
    base = {
        "id": f"ENT-{n:05d}",
        "sector": "entertainment",
        "subtype": "venue",
        "name": f"娱乐场所{n}",
        "credit_code": credit_code(n),
        "division_code": "210402",
        "grade": "A",
        "flags": {"lodging": False},
    }
    return base | overrides


def cafe(**overrides: Any) -> dict[str, Any]:
    return entity(sector="internet_cafe", subtype="cafe", grade=None, flags={}, **overrides)


def inspector(**overrides: Any) -> dict[str, Any]:
    n = next(_serial)
    base = {
        "id": f"INS-{n:04d}",
        "name": f"检查员{n}",
        "unit": "county_public_order",
        "jurisdiction": "210402",
        "qualification_expires_date": (date.today() + timedelta(days=365)).isoformat(),
    }
    return base | overrides


async def load(
    registry: httpx.AsyncClient,
    entities: Sequence[dict[str, Any]] = (),
    inspectors: Sequence[dict[str, Any]] = (),
) -> None:
    """Through the registry's own batch API, so the draw sees exactly what the registry serves."""
    if entities:
        r = await registry.post("/v1/entities:batch", json={"entities": list(entities)}, headers=auth(SYNC_JOB[0]))
        assert r.status_code == 200, r.text
    if inspectors:
        r = await registry.post(
            "/v1/inspectors:batch", json={"inspectors": list(inspectors)}, headers=auth(SYNC_JOB[0])
        )
        assert r.status_code == 200, r.text


def plan(**overrides: Any) -> dict[str, Any]:
    base = {
        "title": "2026Q4 娱乐场所 county check",
        "sector": "entertainment",
        "quota": {"percent": 50},
        "team_size": 2,
        "entropy_source": "drand mainnet round 12345678",
        "period": "2026-Q4",
        "due_date": "2026-12-31",
        "checking_body": "county_public_order",
    }
    return base | overrides


async def commit(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    r = await client.post("/v1/draws", json=plan(**overrides), headers=C)
    assert r.status_code == 201, r.text
    return r.json()


async def execute(client: httpx.AsyncClient, draw_id: str, entropy: str = "beacon-value") -> httpx.Response:
    return await client.post(f"/v1/draws/{draw_id}/execute", json={"external_entropy": entropy}, headers=X)


async def venues_and_team(
    registry: httpx.AsyncClient, *, venues: int = 6, inspectors: int = 4
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A small entertainment registry over grades A, B and C, and a county inspector pool."""
    rows = [entity(grade="ABC"[i % 3]) for i in range(venues)]
    staff = [inspector() for _ in range(inspectors)]
    await load(registry, rows, staff)
    return rows, staff


async def stored_draw(
    session: AsyncSession,
    pool: list[Candidate],
    inspectors: list[Inspector],
    quotas: dict[str, int],
    team_size: int,
) -> Draw:
    """A committed draw written straight to the tables, for states the API refuses to create."""
    draw_id, secret = f"d-{uuid.uuid4().hex[:12]}", secrets.token_bytes(32)
    commitment = commitment_text(draw_id, pool, inspectors, team_size, quotas, secret_sha256(secret), "test")
    draw = Draw(
        id=draw_id,
        title="stored",
        sector="entertainment",
        filters={},
        quota_rule={"per_stratum": quotas},
        quotas=quotas,
        team_size=team_size,
        entropy_source="test",
        status="committed",
        check_type="on_site",
        pool_size=len(pool),
        inspector_count=len(inspectors),
        commitment=commitment,
        commitment_sha256=commitment_sha256(commitment),
        server_secret=secret.hex(),
        committed_by="test",
        created_at=datetime.now(UTC),
    )
    session.add(draw)
    await session.flush()
    entities = [
        frozen.PoolEntity(
            c.entity_id, "entertainment", "venue", c.entity_id, credit_code(n), "210402", "A", {}, True, 1
        )
        for n, c in enumerate(sorted(pool, key=lambda c: c.entity_id), start=1)
    ]
    session.add(
        DrawPool(
            draw_id=draw_id,
            size=len(pool),
            pool_text=frozen.encode_pool(pool_text(pool)),
            snapshot=frozen.encode_snapshot(frozen.SNAPSHOT_COLUMNS, entities),
        )
    )
    session.add_all(
        DrawInspector(
            draw_id=draw_id,
            inspector_id=i.inspector_id,
            name=i.inspector_id,
            unit="county_public_order",
            conflicts=sorted(i.conflicts),
            inspector_version=1,
        )
        for i in inspectors
    )
    await session.flush()
    return draw
