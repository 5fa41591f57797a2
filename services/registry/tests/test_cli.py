"""`ssj registry sync` and `ssj registry import` against a real registry API, worker and fake source
system, each on its own HTTP port, as an operator would run them."""

import asyncio
import csv
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner

from registry.config import Settings
from registry.fakes import hotel
from registry.main import create_app
from registry.scheduler import sync_job
from shared.db import make_engine, make_sessionmaker
from shared.testing import migrated_database
from ssj_cli.registry import registry

from .conftest import SERVICE_DIR, WRITER
from .factories import credit_code

pytestmark = pytest.mark.integration


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(app: Any) -> tuple[uvicorn.Server, str]:
    port = _port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return server, f"http://127.0.0.1:{port}"


def _worker(settings: Settings) -> tuple[threading.Event, threading.Thread]:
    """The registry worker's sync job, in a thread with its own event loop."""
    done = threading.Event()

    async def run() -> None:
        engine = make_engine(settings.database_url)
        stop = asyncio.Event()
        job = asyncio.create_task(sync_job(make_sessionmaker(engine), None, settings, stop))
        await asyncio.to_thread(done.wait)
        stop.set()
        await job
        await engine.dispose()

    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    return done, thread


@pytest.fixture
async def stack(tmp_path: Path) -> Iterator[dict[str, Any]]:  # type: ignore[misc]
    url = await migrated_database(SERVICE_DIR, "registry_cli")
    fake, fake_url = _serve(hotel.create_app(size=30))
    sources = {"hotel": {"url": fake_url, "page_size": 10, "every_minutes": 0, "full_every_hours": 0}}
    settings = Settings(
        database_url=url,
        callers=[WRITER[1]],
        sources=sources,
        sync_poll_seconds=0.05,
        embedded_bus_path=str(tmp_path / "bus.sqlite"),
        log_json=False,
    )
    api, api_url = _serve(create_app(settings))
    stop, worker = _worker(settings)
    yield {"url": api_url, "fake": fake}
    stop.set()
    worker.join(10)
    api.should_exit = fake.should_exit = True


def ssj(stack: dict[str, Any], *args: str) -> Any:
    return CliRunner().invoke(registry, ["--url", stack["url"], "--token", WRITER[0], *args])


async def test_sync_follows_the_run_to_its_end(stack):
    result = await asyncio.to_thread(ssj, stack, "sync", "hotel", "--poll", "0.05")
    assert result.exit_code == 0, result.output
    assert "queued" in result.output and "succeeded: inserted" in result.output
    assert "rejected 2" in result.output and "credit_code" in result.output
    again = await asyncio.to_thread(ssj, stack, "sync", "hotel", "--no-wait")
    assert again.exit_code == 0
    busy = await asyncio.to_thread(ssj, stack, "sync", "hotel")
    assert busy.exit_code in (0, 2)  # finished meanwhile, or refused as already running
    unknown = await asyncio.to_thread(ssj, stack, "sync", "casino")
    assert unknown.exit_code == 2 and "404" in unknown.output


async def test_import_splits_large_files_and_reports_the_files_own_rows(stack, tmp_path):
    rows = [["id", "行业", "类别", "名称", "统一社会信用代码", "行政区划代码", "治安分级", "提供住宿"]]
    rows += [[f"CLI-{i}", "娱乐场所", "娱乐场所", f"歌厅{i}", credit_code(), "210402", "A", "否"] for i in range(7)]
    rows[4][4] = rows[4][4][:17] + ("0" if rows[4][4][17] != "0" else "1")  # row 5: bad check digit
    rows.append(list(rows[2]))  # row 9: CLI-1 again, two uploads later
    rows.append([f"CLI-{9}", "娱乐场所", "娱乐场所", "歌厅9", credit_code(), "110101", "B", "是"])  # row 10
    path = tmp_path / "场所.csv"
    with path.open("w", encoding="gbk", newline="") as out:
        csv.writer(out).writerows(rows)
    errors = tmp_path / "errors.csv"
    result = await asyncio.to_thread(
        ssj, stack, "import", str(path), "--encoding", "gbk", "--batch-rows", "3", "--errors-csv", str(errors)
    )
    assert result.exit_code == 1, result.output
    assert "rows 9, inserted 6, updated 0, unchanged 0, rejected 3" in result.output
    with errors.open(encoding="utf-8-sig") as f:
        reported = [(int(r["row"]), r["field"]) for r in csv.DictReader(f)]
    assert reported == [(5, "credit_code"), (9, "id"), (10, "division_code")]

    wrong = await asyncio.to_thread(ssj, stack, "import", str(path))
    assert wrong.exit_code == 2 and "not valid utf-8" in wrong.output and "--encoding gbk" in wrong.output
