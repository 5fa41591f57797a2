"""The receiver in docs/receiver-kit.md, run as printed in its own process, takes real deliveries:
it verifies, stores each webhook-id once through retries and replays, keeps working through a
secret rotation, and refuses forgeries."""

import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from notify import enqueue, service
from notify.models import Delivery, Subscription
from notify.schemas import SecretRotation
from notify.webhooks import encode_body, new_secret, signed_headers

from .delivering import consume, settled, until, workers
from .factories import inspection_completed, subscription

pytestmark = pytest.mark.integration
GUIDE = Path(__file__).resolve().parents[3] / "docs" / "receiver-kit.md"


def snippet() -> str:
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1, "the guide has exactly one Python snippet"
    return blocks[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """The guide's receiver running: (its URL, its secret, its inbox database)."""
    (tmp_path / "receiver.py").write_text(snippet(), encoding="utf-8")
    secret, port, inbox = new_secret(), free_port(), tmp_path / "inbox.sqlite"
    env = {"SSJ_WEBHOOK_SECRET": secret, "SSJ_INBOX_DB": str(inbox), "PORT": str(port), "PATH": ""}
    proc = subprocess.Popen([sys.executable, str(tmp_path / "receiver.py")], env=env, stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), 0.1).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/hooks/ssj", secret, inbox
    finally:
        proc.kill()
        proc.wait()


def stored(inbox: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(inbox) as conn:
        return conn.execute("SELECT webhook_id, type FROM received ORDER BY rowid").fetchall()


async def test_the_guides_receiver_takes_real_deliveries(committed, box, settings, kit):
    url, secret, inbox = kit
    sub, _ = await subscription(committed, box, department="market_regulation", url=url, secret=secret)
    event = inspection_completed("special_trade")
    await consume(committed, event)
    async with committed() as s:
        [delivery_id] = list(await s.scalars(select(Delivery.id).where(Delivery.subscription_id == sub.id)))
    async with workers(committed, settings):
        await until(settled(committed, delivery_id))
        assert stored(inbox) == [(delivery_id, "ssj.inspection.completed")]

        async with committed() as s, s.begin():  # a replay sends it again, with the same webhook-id
            since = datetime.now(UTC) - timedelta(minutes=1)
            replayed = await enqueue.replay(s, subscription=await s.get(Subscription, sub.id), since=since)
        assert replayed["requeued"] == 1
        await until(settled(committed, delivery_id))
        async with committed() as s, s.begin():  # rotation: the receiver still holds the old secret
            row = await s.get(Subscription, sub.id)
            await service.rotate_secret(s, subscription=row, box=box, data=SecretRotation(overlap_seconds=3600))
        await consume(committed, inspection_completed("entertainment"))
        await until(lambda: _rows(inbox, 2))
    async with committed() as s:
        delivered = list(await s.scalars(select(Delivery).where(Delivery.subscription_id == sub.id)))
    assert {(d.status, d.last_status) for d in delivered} == {("delivered", 204)}
    assert sorted(d.attempts for d in delivered) == [1, 2]  # the replay did reach the receiver, which kept one
    assert [i for i, _ in stored(inbox)] == [delivery_id, next(d.id for d in delivered if d.id != delivery_id)]


async def _rows(inbox: Path, n: int) -> bool:
    return len(stored(inbox)) >= n


async def test_the_guides_receiver_refuses_forgeries(kit):
    url, secret, inbox = kit
    body = encode_body({"specversion": "1.0", "id": "e-1", "type": "ssj.inspection.completed", "data": {}})
    async with httpx.AsyncClient() as http:
        forged = await http.post(url, content=body, headers=signed_headers([new_secret()], "msg-1", body, _now()))
        stale = await http.post(url, content=body, headers=signed_headers([secret], "msg-2", body, _now(-600)))
        tampered = signed_headers([secret], "msg-3", body, _now())
        altered = await http.post(url, content=body.replace("e-1", "e-2"), headers=tampered)
        genuine = await http.post(url, content=body, headers=signed_headers([secret], "msg-4", body, _now()))
    assert [r.status_code for r in (forged, stale, altered, genuine)] == [401, 401, 401, 204]
    assert stored(inbox) == [("msg-4", "ssj.inspection.completed")]


def _now(offset_seconds: int = 0) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=offset_seconds)
