"""Idempotency-Key and the body-size limit, through a real app on both databases."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from shared.app import create_service_app
from shared.db import SessionDep, make_engine
from shared.idempotency import idempotency_table
from shared.settings import ServiceSettings
from shared.testing import app_client, create_database

metadata = MetaData()
keys = idempotency_table(metadata)
orders = Table(
    "orders", metadata, Column("id", Integer, primary_key=True, autoincrement=True), Column("item", String(50))
)
router = APIRouter()


class Order(BaseModel):
    item: str


@router.post("/orders", status_code=201, summary="place an order")
async def place(order: Order, session: SessionDep) -> dict[str, object]:
    if order.item == "explode":
        raise RuntimeError("boom")
    result = await session.execute(orders.insert().values(item=order.item))
    return {"id": result.inserted_primary_key[0], "item": order.item}


@router.post("/secrets", status_code=201, summary="issue a secret")
async def issue(response: Response, session: SessionDep) -> dict[str, object]:
    response.headers["Cache-Control"] = "no-store"
    result = await session.execute(orders.insert().values(item="secret"))
    return {"id": result.inserted_primary_key[0], "secret": "whsec_do-not-keep"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
async def client(request, tmp_path: Path):  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path}/idem.db" if request.param == "sqlite" else await create_database("idem")
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await engine.dispose()
    settings = ServiceSettings(
        database_url=url, embedded_bus_path=str(tmp_path / "bus"), log_json=False, max_body_bytes=2000
    )
    app = create_service_app(settings, title="t", description="t", routers=[router], idempotency=keys)
    async with app_client(app) as c:
        yield c, app


async def _count(app) -> int:  # type: ignore[no-untyped-def]
    async with app.state.sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(orders))


async def test_a_retry_gets_the_first_answer_and_changes_nothing(client):
    c, app = client
    first = await c.post("/orders", json={"item": "tea"}, headers={"Idempotency-Key": "k1"})
    again = await c.post("/orders", json={"item": "tea"}, headers={"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _count(app) == 1


async def test_without_a_key_every_request_runs(client):
    c, app = client
    await c.post("/orders", json={"item": "tea"})
    await c.post("/orders", json={"item": "tea"})
    assert await _count(app) == 2


async def test_the_same_key_for_another_request_is_refused(client):
    c, app = client
    await c.post("/orders", json={"item": "tea"}, headers={"Idempotency-Key": "k2"})
    r = await c.post("/orders", json={"item": "coffee"}, headers={"Idempotency-Key": "k2"})
    assert r.status_code == 422 and r.json()["field"] == "Idempotency-Key"
    assert await _count(app) == 1


async def test_keys_are_scoped_to_the_caller(client):
    c, app = client
    await c.post("/orders", json={"item": "tea"}, headers={"Idempotency-Key": "k3", "Authorization": "Bearer a"})
    await c.post("/orders", json={"item": "tea"}, headers={"Idempotency-Key": "k3", "Authorization": "Bearer b"})
    assert await _count(app) == 2


async def test_validation_failures_are_replayed_too(client):
    c, app = client
    first = await c.post("/orders", json={"nope": 1}, headers={"Idempotency-Key": "k4"})
    again = await c.post("/orders", json={"nope": 1}, headers={"Idempotency-Key": "k4"})
    assert first.status_code == again.status_code == 422 and again.json() == first.json()


async def test_server_errors_are_not_stored_so_a_retry_runs_again(client):
    c, app = client
    with pytest.raises(RuntimeError):  # the in-process transport re-raises what became a 500
        await c.post("/orders", json={"item": "explode"}, headers={"Idempotency-Key": "k5"})
    async with app.state.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(keys)) == 0


async def test_a_running_request_blocks_its_key_until_it_goes_stale(client):
    c, app = client
    body = b'{"item": "tea"}'
    async with app.state.sessionmaker() as s, s.begin():
        import hashlib

        fp = hashlib.sha256(b"POST /orders?\n" + body).hexdigest()
        await s.execute(
            keys.insert().values(
                caller=hashlib.sha256(b"").hexdigest(), key="k6", request_sha256=fp, created_at=datetime.now(UTC)
            )
        )
    headers = {"Idempotency-Key": "k6", "Content-Type": "application/json"}
    r = await c.post("/orders", content=body, headers=headers)
    assert r.status_code == 409 and r.headers["retry-after"] == "1"
    async with app.state.sessionmaker() as s, s.begin():
        await s.execute(keys.update().values(created_at=datetime.now(UTC) - timedelta(minutes=5)))
    assert (await c.post("/orders", content=body, headers=headers)).status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
async def test_malformed_keys_are_refused(client, key):
    c, app = client
    r = await c.post("/orders", json={"item": "tea"}, headers={"Idempotency-Key": key})
    assert r.status_code == 422 and r.json()["field"] == "Idempotency-Key"
    assert await _count(app) == 0


async def test_oversized_bodies_are_refused_with_413(client):
    c, app = client
    r = await c.post("/orders", json={"item": "x" * 5000})
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    assert await _count(app) == 0


async def test_malformed_json_names_the_body(client):
    c, _ = client
    r = await c.post("/orders", content=b'{"item": ', headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["field"] == "body"


async def test_answers_that_carry_a_secret_are_never_stored(client):
    c, app = client
    first = await c.post("/secrets", headers={"Idempotency-Key": "s1"})
    assert first.status_code == 201
    async with app.state.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(keys)) == 0
        assert "whsec_" not in str((await s.execute(select(keys))).all())
