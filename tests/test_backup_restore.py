"""Backup and restore (docs/operations.md): a draw database dumped with deploy/backup.sh and
restored into an empty database serves the same audit log, whose signed head, inclusion and
consistency proofs verify with `ssj audit verify`, and the same draw records, which verify."""

import base64
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from draw.config import Settings as DrawSettings
from draw.main import create_app as create_draw_app
from draw.verify import verify_record
from registry.config import Settings as RegistrySettings
from registry.main import create_app as create_registry_app
from shared.testing import PG_BASE, app_client, auth, caller, create_database, migrated_database
from ssj_cli import demo
from ssj_cli.stack import ALL_SCOPES, service_dir

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[1]
SEED = bytes(range(32, 64))
PUBLIC_KEY = base64.b64encode(Ed25519PrivateKey.from_private_bytes(SEED).public_key().public_bytes_raw()).decode()
OPERATOR = caller("operator", *ALL_SCOPES)


def _backup(action: str, database: str, path: Path) -> None:
    pg = urlsplit(PG_BASE)
    env = os.environ | {
        "PGHOST": pg.hostname or "127.0.0.1",
        "PGPORT": str(pg.port),
        "PGUSER": pg.username or "postgres",
        "SSJ_DUMP_DB": database,
        "SSJ_RESTORE_DB": database,
    }
    subprocess.run(
        [str(ROOT / "deploy/backup.sh"), action, "draw", str(path)], env=env, check=True, capture_output=True
    )


def _serve(app) -> tuple[uvicorn.Server, str]:  # type: ignore[no-untyped-def]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return server, f"http://127.0.0.1:{port}"


def _draw_settings(url: str, tmp_path: Path) -> DrawSettings:
    return DrawSettings(
        database_url=url,
        embedded_bus_path=str(tmp_path / "bus.sqlite"),
        callers=[OPERATOR[1]],
        registry_token=OPERATOR[0],
        registry_url="http://registry",
        log_json=False,
        audit_signing_key=base64.b64encode(SEED).decode(),
    )


async def _draws_with_history(tmp_path: Path) -> tuple[str, dict, list[dict]]:  # type: ignore[type-arg]
    registry = create_registry_app(
        RegistrySettings(
            database_url=await migrated_database(service_dir("registry"), "restore_registry"),
            embedded_bus_path=str(tmp_path / "rbus.sqlite"),
            callers=[OPERATOR[1]],
            log_json=False,
        )
    )
    draw_url = await migrated_database(service_dir("draw"), "restore_draw")
    headers = auth(OPERATOR[0])
    async with app_client(registry) as reg:
        venues = [e for e in demo.entities(per_sector=12) if e["sector"] == "entertainment"]
        assert (await reg.post("/v1/entities:batch", json={"entities": venues}, headers=headers)).status_code == 200
        assert (
            await reg.post("/v1/inspectors:batch", json={"inspectors": demo.inspectors()}, headers=headers)
        ).status_code == 200
        app = create_draw_app(_draw_settings(draw_url, tmp_path), registry_transport=httpx.ASGITransport(registry))
        async with app_client(app) as draw:
            for n in range(3):
                body = {
                    "title": f"restore {n}",
                    "sector": "entertainment",
                    "quota": {"percent": 20},
                    "team_size": 2,
                    "inspector_units": ["county_public_order"],
                    "entropy_source": f"drill {n}",
                    "period": "2026-Q4",
                }
                committed = (await draw.post("/v1/draws", json=body, headers=headers)).json()
                if n < 2:  # the last stays committed: its secret must survive the round trip unrevealed
                    r = await draw.post(
                        f"/v1/draws/{committed['id']}/execute", json={"external_entropy": str(n)}, headers=headers
                    )
                    assert r.status_code == 200, r.text
            head = (await draw.get("/public/v1/audit/tree-head")).json()
            listing = (await draw.get("/v1/draws")).json()["items"]
            records = [(await draw.get(f"/v1/draws/{d['id']}/record")).json() for d in listing]
    return draw_url, head, records


async def test_a_restored_draw_database_serves_a_log_and_records_that_verify(tmp_path):
    draw_url, head_before, records_before = await _draws_with_history(tmp_path)
    assert head_before["tree_size"] == 5  # three commits, two executions
    dump = tmp_path / "draw.dump"
    _backup("dump", draw_url.rsplit("/", 1)[1], dump)
    restored_url = await create_database("restored_draw")
    _backup("restore", restored_url.rsplit("/", 1)[1], dump)

    server, base = _serve(create_draw_app(_draw_settings(restored_url, tmp_path)))
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            head = (await client.get("/public/v1/audit/tree-head")).json()
            listing = (await client.get("/v1/draws")).json()["items"]
            records = [(await client.get(f"/v1/draws/{d['id']}/record")).json() for d in listing]
        assert (head["tree_size"], head["root_hash"]) == (head_before["tree_size"], head_before["root_hash"])
        assert records == records_before
        executed = [r for r in records if "selections" in r]
        assert len(executed) == 2 and all(verify_record(r) is None for r in executed)
        verify = subprocess.run(
            [
                sys.executable,
                "-m",
                "ssj_cli.main",
                "audit",
                "verify",
                "--key",
                PUBLIC_KEY,
                "--url",
                base,
                "--all-entries",
            ],
            capture_output=True,
            text=True,
        )
        assert verify.returncode == 0, verify.stdout + verify.stderr
        wrong_key = base64.b64encode(bytes(32)).decode()
        refused = subprocess.run(
            [sys.executable, "-m", "ssj_cli.main", "audit", "verify", "--key", wrong_key, "--url", base],
            capture_output=True,
            text=True,
        )
        assert refused.returncode == 1
    finally:
        server.should_exit = True
