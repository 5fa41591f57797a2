"""The embedded default (SQLite, `make run`) writes through store.upsert, PostgreSQL through the
single-statement bulk path: the same requests must leave the same registry and the same events."""

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry.db import messaging
from registry.main import create_app
from shared.migrations import upgrade
from shared.testing import app_client, outbox_events

from .conftest import SERVICE_DIR
from .factories import Fakes, R, W, all_pages, credit_code, entity, sync

pytestmark = pytest.mark.integration
VOLATILE = {"seq", "superseded_seq", "changed_at", "run_id", "snapshot"}


def _stable(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in VOLATILE}


async def _scenario(client: httpx.AsyncClient, sessionmaker: Any, settings: Any) -> dict[str, Any]:
    rows = [
        entity(id="P-1", flags={"lodging": True}, established_date="2015-06-01"),
        entity(id="P-2", grade="C", legal_rep_id_number="21040219800101005x"),
        entity(
            id="P-3", sector="fire_safety", subtype="unit", grade=None, flags={"key_unit": True, "crowded_place": False}
        ),
        entity(id="P-4", active=False, closed_date="2025-01-01"),
    ]
    rows = [r | {"credit_code": credit_code(9000 + n), "name": f"单位{n}"} for n, r in enumerate(rows)]
    first = (await client.post("/v1/entities:batch", json={"entities": rows}, headers=W)).json()
    changed = [rows[0] | {"name": "改名"}, rows[1], rows[3] | {"active": True, "closed_date": None}]
    second = (await client.post("/v1/entities:batch", json={"entities": changed}, headers=W)).json()
    fakes = Fakes()
    fakes.add("hotel", size=30)
    runs = [await sync(client, sessionmaker, settings, fakes, "hotel")]
    fakes.population("hotel").advance(8)
    runs.append(await sync(client, sessionmaker, settings, fakes, "hotel"))
    listed = await all_pages(client, "/v1/entities", {"limit": 7})
    histories = {
        i["id"]: (await client.get(f"/v1/entities/{i['id']}/history", headers=R)).json()["items"] for i in listed
    }
    async with sessionmaker() as s:
        outbox = await outbox_events(s, messaging)
    events = sorted((e.type, json.dumps(_stable(e.data), sort_keys=True)) for e in outbox)
    return {
        "results": [first, second],
        "runs": [(r["status"], r["counts"], r["errors_total"]) for r in runs],
        "listed": [_stable(i) for i in listed],
        "histories": {k: [_stable(v) for v in h] for k, h in histories.items()},
        "events": events,
    }


async def test_sqlite_and_postgresql_paths_agree(client, sessionmaker, settings, tmp_path: Path):
    on_postgres = await _scenario(client, sessionmaker, settings)
    url = f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}"
    upgrade(SERVICE_DIR, url)
    app = create_app(settings.model_copy(update={"database_url": url}))
    async with app_client(app) as lite:
        on_sqlite = await _scenario(lite, app.state.sessionmaker, settings.model_copy(update={"database_url": url}))
    assert (
        on_sqlite["results"]
        == on_postgres["results"]
        == [
            {"inserted": 4, "updated": 0, "unchanged": 0},
            {"inserted": 0, "updated": 2, "unchanged": 1},
        ]
    )
    assert on_sqlite["runs"] == on_postgres["runs"]
    assert on_sqlite["listed"] == on_postgres["listed"]
    assert on_sqlite["histories"] == on_postgres["histories"]
    assert on_sqlite["events"] == on_postgres["events"]
    assert len(on_postgres["listed"]) > 20 and on_postgres["runs"][1][1]["deactivated"] > 0
