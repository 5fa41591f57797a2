"""A sync killed halfway resumes from its last committed page: nothing twice, nothing missing.
Once in-process (the worker dies between pages) and once for real (kill -9 of a worker process)."""

import asyncio
import json
import os
import signal
import socket
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uvicorn
from sqlalchemy import func, select

from registry.config import Settings
from registry.db import messaging
from registry.events import ENTITY_UPSERTED
from registry.fakes import FaultPlan, hotel
from registry.models import Entity, EntityVersion, SyncError, SyncRun
from registry.scheduler import claim, source_clients, tick
from registry.sources import Page, adapters
from registry.sync import execute
from shared.db import make_engine, make_sessionmaker
from shared.testing import migrated_database, outbox_events

from .conftest import SERVICE_DIR
from .factories import Fakes, W, expected_ids

pytestmark = pytest.mark.integration


class Killed(BaseException):
    """What a dying process looks like from inside: nothing after it runs, no except clause."""


class Dying:
    """The real adapter of a source, until it has served `pages` pages; then the process "dies"."""

    def __init__(self, name: str, pages: int, before_death: Any = None) -> None:
        self.inner, self.pages, self.before_death = adapters()[name], pages, before_death
        self.name, self.title_zh, self.paging = self.inner.name, self.inner.title_zh, self.inner.paging
        self.encoding, self.incremental = self.inner.encoding, self.inner.incremental

    async def fetch(self, client: Any, checkpoint: Any, since: Any, size: int) -> Page:
        if self.pages == 0:
            if self.before_death is None:
                raise Killed
            await self.before_death()
        self.pages -= 1
        return await self.inner.fetch(client, checkpoint, since, size)


async def _counts(sessionmaker: Any) -> dict[str, int]:
    async with sessionmaker() as s:
        events = await outbox_events(s, messaging)
        return {
            "entities": await s.scalar(select(func.count()).select_from(Entity)),
            "versions": await s.scalar(select(func.count()).select_from(EntityVersion)),
            "events": sum(e.type == ENTITY_UPSERTED for e in events),
            "errors": await s.scalar(select(func.count()).select_from(SyncError)),
        }


async def test_a_run_killed_between_pages_resumes_without_duplicates(client, sessionmaker, settings):
    fakes = Fakes()
    fakes.add("hotel", size=60)
    valid, invalid = expected_ids("hotel", fakes.population("hotel"))
    r = await client.post("/v1/sources/hotel/sync", json={}, headers=W)
    with pytest.raises(Killed):
        await tick(sessionmaker, fakes.clients, settings, owner="worker-a", systems={"hotel": Dying("hotel", 2)})
    async with sessionmaker() as s:
        run = await s.get(SyncRun, r.json()["id"])
        assert (run.status, run.pages_done, run.lease_owner) == ("running", 2, "worker-a")
    # Another worker finds it: not while the lease is fresh, but once the heartbeat is stale.
    assert await tick(sessionmaker, fakes.clients, settings, owner="worker-b") == []
    later = datetime.now(UTC) + timedelta(seconds=settings.sync_lease_seconds + 1)
    done = await tick(sessionmaker, fakes.clients, settings, owner="worker-b", clock=lambda: later)
    assert done == [(r.json()["id"], "succeeded")]
    async with sessionmaker() as s:
        run = await s.get(SyncRun, r.json()["id"])
    assert (run.status, run.resumes, run.pages_done) == ("succeeded", 1, 4)
    assert (run.inserted, run.updated, run.unchanged, run.rejected) == (len(valid), 0, 0, len(invalid))
    assert await _counts(sessionmaker) == {
        "entities": len(valid),
        "versions": len(valid),
        "events": len(valid),
        "errors": len(invalid),
    }


async def test_the_presumed_dead_worker_stops_when_it_finds_its_lease_taken(client, sessionmaker, settings):
    fakes = Fakes()
    fakes.add("hotel", size=60)
    valid, _ = expected_ids("hotel", fakes.population("hotel"))
    run_id = (await client.post("/v1/sources/hotel/sync", json={}, headers=W)).json()["id"]

    async def taken_over() -> None:  # worker-a stalls for longer than the lease; worker-b steps in
        later = datetime.now(UTC) + timedelta(seconds=settings.sync_lease_seconds + 1)
        async with sessionmaker() as s, s.begin():
            run = await claim(s, owner="worker-b", sources=settings.sources, now=later, lease_seconds=600)
            assert run is not None and run.id == run_id

    stalling = {"hotel": Dying("hotel", 1, taken_over)}
    assert await tick(sessionmaker, fakes.clients, settings, owner="worker-a", systems=stalling) == [(run_id, "lost")]
    status = await execute(
        sessionmaker,
        run_id,
        adapters()["hotel"],
        fakes.clients["hotel"],
        owner="worker-b",
        clock=lambda: datetime.now(UTC),
        lease_seconds=600,
        page_size=15,
        max_vanish_ratio=0.5,
    )
    assert status == "succeeded"
    counts = await _counts(sessionmaker)
    assert counts["entities"] == counts["versions"] == counts["events"] == len(valid)


async def test_a_stopping_worker_hands_its_run_back_for_an_immediate_resume(client, sessionmaker, settings):
    fakes = Fakes()
    fakes.add("hotel", size=60)
    valid, _ = expected_ids("hotel", fakes.population("hotel"))
    run_id = (await client.post("/v1/sources/hotel/sync", json={}, headers=W)).json()["id"]
    stop = asyncio.Event()

    async def sigterm() -> None:
        stop.set()

    stopping = {"hotel": Dying("hotel", 1, sigterm)}
    done = await tick(sessionmaker, fakes.clients, settings, owner="worker-a", systems=stopping, stop=stop)
    assert done == [(run_id, "released")]
    async with sessionmaker() as s:
        run = await s.get(SyncRun, run_id)
        assert (run.status, run.lease_owner, run.pages_done) == ("running", None, 2)
    assert await tick(sessionmaker, fakes.clients, settings, owner="worker-b") == [(run_id, "succeeded")]
    async with sessionmaker() as s:
        run = await s.get(SyncRun, run_id)
    assert (run.resumes, run.pages_done, run.inserted) == (1, 4, len(valid))
    assert (await _counts(sessionmaker))["events"] == len(valid)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(app: Any, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return server


async def test_a_worker_killed_with_sigkill_mid_sync_is_resumed_by_another(tmp_path):
    url = await migrated_database(SERVICE_DIR, "registry_kill")
    app = hotel.create_app(size=60, plan=FaultPlan(delay_seconds=0.25))
    port = _free_port()
    server = _serve(app, port)
    sources = {"hotel": {"url": f"http://127.0.0.1:{port}", "page_size": 10, "every_minutes": 0}}
    env = os.environ | {
        "REGISTRY_DATABASE_URL": url,
        "REGISTRY_SOURCES": json.dumps(sources),
        "REGISTRY_SYNC_POLL_SECONDS": "0.1",
        "REGISTRY_EMBEDDED_BUS_PATH": str(tmp_path / "bus.sqlite"),
        "REGISTRY_LOG_JSON": "false",
    }
    worker = await asyncio.create_subprocess_exec(sys.executable, "-m", "registry.worker", env=env)
    engine = make_engine(url)
    sessionmaker = make_sessionmaker(engine)
    try:
        run = await _wait_for_pages(sessionmaker, worker, 2)
        worker.send_signal(signal.SIGKILL)
        await asyncio.wait_for(worker.wait(), 10)
        async with sessionmaker() as s:
            run = await s.get(SyncRun, run.id)
        assert run.status == "running" and 2 <= run.pages_done < 6, "killed halfway"

        settings = Settings(database_url=url, sources=sources, sync_lease_seconds=120)
        later = datetime.now(UTC) + timedelta(seconds=121)
        app.state.fake.plan = FaultPlan()
        async with source_clients(settings) as clients:
            done = await tick(sessionmaker, clients, settings, owner="survivor", clock=lambda: later)
        assert done == [(run.id, "succeeded")]
        valid, invalid = expected_ids("hotel", app.state.fake.population)
        async with sessionmaker() as s:
            run = await s.get(SyncRun, run.id)
        assert (run.resumes, run.pages_done, run.inserted, run.unchanged, run.rejected) == (
            1,
            6,
            len(valid),
            0,
            len(invalid),
        )
        assert await _counts(sessionmaker) == {
            "entities": len(valid),
            "versions": len(valid),
            "events": len(valid),
            "errors": len(invalid),
        }
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
        server.should_exit = True
        await engine.dispose()


async def _wait_for_pages(sessionmaker: Any, worker: asyncio.subprocess.Process, pages: int) -> SyncRun:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert worker.returncode is None, "the worker exited on its own"
        async with sessionmaker() as s:
            run = await s.scalar(select(SyncRun).where(SyncRun.source == "hotel"))
        if run is not None and run.pages_done >= pages:
            return run
        await asyncio.sleep(0.05)
    raise AssertionError("the worker did not get through two pages in 30 s")
