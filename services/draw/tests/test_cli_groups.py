"""`ssj plan generate`, `ssj draw commit|execute|show` and `ssj audit verify` against a real draw
API (uvicorn in a thread, its own PostgreSQL database, a registry that serves the bulk export)."""

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from draw.main import create_app
from shared.testing import caller, migrated_database
from ssj_cli import audit, draws
from ssj_cli.main import cli

from .conftest import SERVICE_DIR
from .test_audit import PUBLIC_KEY
from .test_export import HEADER, line, registry_with_export

pytestmark = pytest.mark.integration
OPERATOR = caller("operator", "draw:commit", "draw:execute", "draw:read")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def live(settings, tmp_path: Path) -> Iterator[str]:  # type: ignore[misc]
    url = await migrated_database(SERVICE_DIR, "draw_cli")
    cafes = "\n".join([HEADER, *(line(n) for n in range(40))])
    live_settings = settings.model_copy(update={"database_url": url, "callers": [OPERATOR[1]]})
    app = create_app(live_settings, registry_transport=httpx.ASGITransport(registry_with_export(cafes)))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def run(group, args: list[str], url: str):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(group, args, env={"SSJ_DRAW_URL": url, "SSJ_TOKEN": OPERATOR[0]})
    return result


def _save(path: Path, value: object) -> str:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return str(path)


async def test_plan_commit_execute_show_and_verify(live, tmp_path):
    generated = run(draws.plan, ["generate", "2026-11", "--rule", "internet-cafe", "--commit", "beacon round 1"], live)
    assert generated.exit_code == 0, generated.output
    committed = [row.split("\t") for row in generated.stdout.splitlines() if "\tcommitted\t" in row]
    assert len(committed) == 3
    draw_ids = [row[2] for row in committed]
    executed = run(draws.draw, ["execute", *draw_ids, "--entropy", "0a1b"], live)
    assert executed.exit_code == 0, executed.output
    assert executed.stdout.count("\texecuted\t2 selected") == 3  # 5 % of 40 cafés
    record = tmp_path / "record.json"
    shown = run(draws.draw, ["show", draw_ids[0], "--record", str(record)], live)
    assert shown.exit_code == 0 and json.loads(shown.stdout)["id"] == draw_ids[0]
    assert CliRunner().invoke(cli, ["verify-draw", str(record)]).stdout == "valid\n"
    online = run(audit.audit, ["verify", "--key", PUBLIC_KEY, "--url", live, "--all-entries"], live)
    assert online.exit_code == 0, online.output
    assert "valid: tree head: size 6" in online.stdout and "6 inclusion proofs" in online.stdout


async def test_offline_verification_accepts_the_log_and_catches_tampering(live, tmp_path):
    plan_file = _save(
        tmp_path / "plan.json",
        {"title": "cli draw", "sector": "internet_cafe", "quota": {"percent": 10}, "period": "2026-11"},
    )
    assert run(draws.draw, ["commit", "--file", plan_file, "--entropy-source", "b"], live).exit_code == 0
    async with httpx.AsyncClient(base_url=live) as http:
        old_head = (await http.get("/public/v1/audit/tree-head")).json()
        committed = run(draws.draw, ["commit", "--file", plan_file, "--entropy-source", "b2"], live)
        assert committed.exit_code == 0, committed.output
        head = (await http.get("/public/v1/audit/tree-head")).json()
        inclusion = (await http.get("/public/v1/audit/inclusion-proof", params={"leaf_index": 0})).json()
        params = {"first": 1, "second": 2}
        consistency = (await http.get("/public/v1/audit/consistency-proof", params=params)).json()
    files = {
        "--head": _save(tmp_path / "head.json", head),
        "--inclusion": _save(tmp_path / "inclusion.json", inclusion),
        "--old-head": _save(tmp_path / "old.json", old_head),
        "--consistency": _save(tmp_path / "consistency.json", consistency),
    }
    args = ["verify", "--key", PUBLIC_KEY, *(part for pair in files.items() for part in pair)]
    ok = CliRunner().invoke(audit.audit, args)
    assert ok.exit_code == 0 and ok.stdout.startswith("valid: tree head: size 2"), ok.output
    _save(tmp_path / "inclusion.json", inclusion | {"data": inclusion["data"].replace("committed", "executed")})
    forged = CliRunner().invoke(audit.audit, args)
    assert forged.exit_code == 1 and "leaf 0 is not in the signed tree of size 2" in forged.output
    other_key = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
    wrong = CliRunner().invoke(audit.audit, ["verify", "--key", other_key, "--head", files["--head"]])
    assert wrong.exit_code == 1 and "does not verify" in wrong.output
    bad_commit = run(draws.draw, ["commit", "--plan-item", "p-1", "--file", plan_file, "--entropy-source", "b"], live)
    assert bad_commit.exit_code == 2 and "not both" in bad_commit.output
