"""One inspection travels registry -> draw -> inspection -> disclosure -> notify through public
HTTP APIs and events, with every service in its own API and worker process."""

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from draw.verify import verify_record
from ssj_cli import demo

from .conftest import Running

SECTOR = "entertainment"


async def eventually(probe: Callable[[], Awaitable[Any]], timeout: float = 60, what: str = "") -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.url}: {response.status_code} {response.text}"
    return response.json()


@pytest.fixture(scope="module")
async def http(running: Running):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {running.config.admin_token}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
async def executed_draw(running: Running, http: httpx.AsyncClient) -> dict[str, Any]:
    url = running.config.url
    venues = [e for e in demo.entities(per_sector=12) if e["sector"] == SECTOR]
    ok(await http.post(url("registry") + "/v1/entities:batch", json={"entities": venues}))
    ok(await http.post(url("registry") + "/v1/inspectors:batch", json={"inspectors": demo.inspectors()}))
    for dept, secret in running.secrets.items():
        ok(
            await http.post(
                url("notify") + "/v1/subscriptions",
                json={"department": dept, "url": f"{running.receiver_url}/hooks/{dept}", "secret": secret},
            ),
            201,
        )
    draw = ok(
        await http.post(
            url("draw") + "/v1/draws",
            json={
                "title": "e2e 娱乐场所 A 级抽查",
                "sector": SECTOR,
                "quota": {"per_stratum": {"entertainment/A": 2, "entertainment/B": 1, "entertainment/C": 0}},
                "team_size": 2,
                "inspector_units": ["county_public_order"],
                "entropy_source": "e2e fixed string",
                "period": "2026-Q4",
                "checking_body": "county_public_order",
            },
        ),
        201,
    )
    return ok(
        await http.post(url("draw") + f"/v1/draws/{draw['id']}/execute", json={"external_entropy": "beacon-round-42"})
    )


async def test_public_record_verifies_and_cli_agrees(running: Running, executed_draw, tmp_path):
    async with httpx.AsyncClient() as anonymous:
        record = ok(await anonymous.get(running.config.url("draw") + f"/v1/draws/{executed_draw['id']}/record"))
    assert verify_record(record) is None
    assert len(record["selections"]) == 3
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    cli = [sys.executable, "-m", "ssj_cli.main", "verify-draw", str(path)]
    assert subprocess.run(cli, capture_output=True).returncode == 0
    record["selections"][0]["team"].reverse()
    path.write_text(json.dumps(record), encoding="utf-8")
    assert subprocess.run(cli, capture_output=True).returncode == 1


async def _inspections(running: Running, http: httpx.AsyncClient, draw_id: str) -> list[dict[str, Any]]:
    page = ok(await http.get(running.config.url("inspection") + "/v1/inspections", params={"draw_id": draw_id}))
    return page["items"]


async def test_the_whole_chain(running: Running, http: httpx.AsyncClient, executed_draw):
    url = running.config.url
    tasks = await eventually(lambda: _inspections(running, http, executed_draw["id"]), what="inspection tasks")
    tasks = await eventually(lambda: _full(_inspections(running, http, executed_draw["id"]), 3), what="all three tasks")
    task = ok(await http.get(url("inspection") + f"/v1/inspections/{tasks[0]['id']}"))
    assert len(task["team"]) == 2 and len(task["checklist"]) == 8
    findings = [{"item_code": item["code"], "result": "compliant"} for item in task["checklist"]]
    await _complete(http, url("inspection"), task, {"findings": findings, "outcome": {"type": "no_issues"}})

    async def pending() -> list[dict[str, Any]]:
        items = ok(await http.get(url("disclosure") + "/v1/results", params={"status": "pending"}))["items"]
        return [r for r in items if r["inspection_id"] == task["id"]]

    result = (await eventually(pending, what="pending disclosure result"))[0]
    async with httpx.AsyncClient() as anonymous:
        feed = ok(await anonymous.get(url("disclosure") + "/public/v1/feed"))
        assert all(item["result_id"] != result["id"] for item in feed["items"])
        ok(await http.post(url("disclosure") + f"/v1/results/{result['id']}/approve", json={}))

        async def published() -> list[dict[str, Any]]:
            items = ok(await anonymous.get(url("disclosure") + "/public/v1/feed"))["items"]
            return [i for i in items if i["result_id"] == result["id"]]

        (item,) = await eventually(published, what="feed item")
    assert item["entity"]["credit_code"] == task["entity"]["credit_code"]

    def delivered() -> Awaitable[list[str]]:
        async def probe() -> list[str]:
            return sorted(
                m["department"]
                for m in running.inbox.received.values()
                if m["event"]["data"]["inspection_id"] == task["id"]
            )

        return probe()

    departments = await eventually(lambda: _at_least(delivered, 2), what="department webhooks")
    assert departments == ["culture_enforcement", "market_regulation"]
    assert running.inbox.rejected == 0


async def _complete(http: httpx.AsyncClient, base: str, task: dict[str, Any], body: dict[str, Any]) -> Any:
    """The two-officer rule: the first team member submits, the second confirms the same draft
    (the dev stack binds the operator's credential to any inspector, like a field gateway)."""
    first, second = task["team"]
    submitted = await http.post(
        f"{base}/v1/inspections/{task['id']}/complete", json=body, headers={"X-Inspector-Id": first}
    )
    draft = ok(submitted, 202)["draft"]
    confirmed = await http.post(
        f"{base}/v1/inspections/{task['id']}/confirmations",
        json={"draft_sha256": draft["sha256"]},
        headers={"X-Inspector-Id": second},
    )
    return ok(confirmed)


async def _full(probe: Awaitable[list[Any]], n: int) -> list[Any] | None:
    items = await probe
    return items if len(items) >= n else None


async def _at_least(make: Callable[[], Awaitable[list[Any]]], n: int) -> list[Any] | None:
    items = await make()
    return items if len(items) >= n else None


@pytest.mark.parametrize(
    ("event_type", "source"),
    [
        ("ssj.draw.executed", "/ssj/draw"),
        ("ssj.inspection.completed", "/ssj/inspection"),
        ("ssj.disclosure.result.published", "/ssj/disclosure"),
    ],
)
async def test_events_on_the_log_are_binary_mode_cloudevents(running: Running, executed_draw, event_type, source):
    from .bus_reader import read_all

    records = await eventually(lambda: read_all(running, event_type), what=event_type)
    for record in records:
        headers = record["headers"]
        assert headers["ce_specversion"] == b"1.0"
        assert headers["ce_type"] == event_type.encode()
        assert headers["ce_source"] == source.encode()
        assert headers["content-type"] == b"application/json"
        assert len(headers["ce_id"]) >= 16 and headers["ce_time"]
        assert headers["ce_traceparent"].startswith(b"00-")
        assert record["key"]
    if event_type == "ssj.draw.executed":
        assert records[0]["key"] == executed_draw["id"].encode()
        assert records[0]["value"]["draw_id"] == executed_draw["id"]


async def _counts(running: Running, http: httpx.AsyncClient, draw_id: str) -> tuple[int, int, int]:
    url = running.config.url
    tasks = len(await _inspections(running, http, draw_id))
    results = 0
    for status in ("pending", "published"):
        results += len(ok(await http.get(url("disclosure") + "/v1/results", params={"status": status}))["items"])
    return tasks, results, len(running.inbox.received)


async def test_relay_killed_between_send_and_mark_loses_and_doubles_nothing(
    running: Running, http: httpx.AsyncClient, executed_draw
):
    url, stack = running.config.url, running.stack
    stack.stop_process("inspection-worker")
    stack.start_worker("inspection", {"INSPECTION_CHAOS_RELAY_EXIT_AFTER_SEND": "true"})
    tasks = await _inspections(running, http, executed_draw["id"])
    task = next(t for t in tasks if t["status"] == "assigned")
    detail = ok(await http.get(url("inspection") + f"/v1/inspections/{task['id']}"))
    findings = [
        {"item_code": i["code"], "result": "non_compliant" if n == 0 else "compliant", "note": "消防通道堵塞"}
        for n, i in enumerate(detail["checklist"])
    ]
    await _complete(http, url("inspection"), task, {"findings": findings, "outcome": {"type": "penalty_warning"}})
    proc = stack.procs["inspection-worker"]
    await eventually(lambda: _exited(proc), timeout=30, what="the relay to die between send and mark")
    assert proc.returncode == 137
    stack.stop_process("inspection-worker")
    stack.start_worker("inspection")

    async def deliveries() -> list[str]:
        return [
            m["department"]
            for m in running.inbox.received.values()
            if m["event"]["data"]["inspection_id"] == task["id"]
        ]

    from .bus_reader import group_caught_up, read_all

    async def copies() -> list[Any]:
        records = await read_all(running, "ssj.inspection.completed")
        return [r for r in records if r["value"]["inspection_id"] == task["id"]]

    sent = await eventually(lambda: _at_least(copies, 2), what="the relay to resend after restart")
    assert len(sent) == 2 and sent[0]["headers"]["ce_id"] == sent[1]["headers"]["ce_id"]
    for service in ("disclosure", "notify"):
        await eventually(
            lambda s=service: group_caught_up(running, s, "ssj.inspection.completed"),
            what=f"{service} to consume both copies",
        )
    await eventually(lambda: _at_least(deliveries, 2), what="deliveries after the crash")
    await asyncio.sleep(1)  # notify's delivery job runs after its consumer
    assert sorted(await deliveries()) == ["culture_enforcement", "market_regulation"]
    pending = ok(await http.get(url("disclosure") + "/v1/results", params={"status": "pending"}))["items"]
    assert [r["inspection_id"] for r in pending].count(task["id"]) == 1


async def _exited(proc) -> bool:  # type: ignore[no-untyped-def]
    return proc.poll() is not None


async def test_replaying_every_topic_duplicates_nothing(running: Running, http: httpx.AsyncClient, executed_draw):
    from .bus_reader import group_caught_up, rewind_group

    before = await _counts(running, http, executed_draw["id"])
    consumers = {
        "inspection": ["ssj.draw.executed"],
        "disclosure": ["ssj.inspection.completed"],
        "notify": ["ssj.inspection.completed"],
    }
    for service, types in consumers.items():
        running.stack.stop_process(f"{service}-worker")
        for event_type in types:
            await rewind_group(running, service, event_type)
        running.stack.start_worker(service)
    for service, types in consumers.items():
        for event_type in types:
            await eventually(
                lambda s=service, t=event_type: group_caught_up(running, s, t),
                what=f"{service} to re-consume {event_type}",
            )
    await asyncio.sleep(1)  # notify's delivery job runs after its consumer
    assert await _counts(running, http, executed_draw["id"]) == before
    assert running.inbox.duplicates == 0


async def _secret_of(running: Running, draw_id: str) -> str:
    """Read the server secret the way only a database administrator could."""
    url = running.config.database_urls["draw"]
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.split(":///", 1)[1]) as conn:
            return str(conn.execute("SELECT server_secret FROM draws WHERE id = ?", (draw_id,)).fetchone()[0])
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return str(await conn.fetchval("SELECT server_secret FROM draws WHERE id = $1", draw_id))
    finally:
        await conn.close()


async def test_the_server_secret_stays_inside_until_execution(running: Running, http: httpx.AsyncClient):
    url = running.config.url
    draw = ok(
        await http.post(
            url("draw") + "/v1/draws",
            json={
                "title": "secret check",
                "sector": SECTOR,
                "quota": {"per_stratum": {"entertainment/A": 1, "entertainment/B": 0, "entertainment/C": 0}},
                "team_size": 2,
                "inspector_units": ["county_public_order"],
                "entropy_source": "e2e secret check",
                "period": "2026-Q4",
            },
        ),
        201,
    )
    secret = await _secret_of(running, draw["id"])
    assert len(secret) == 64
    async with httpx.AsyncClient() as anonymous:
        seen = [
            (await anonymous.get(url("draw") + path)).text
            for path in ("/v1/draws", f"/v1/draws/{draw['id']}", f"/v1/draws/{draw['id']}/record")
        ]
    from .bus_reader import read_all

    await asyncio.sleep(1)  # the committed event has been relayed by now
    seen += [json.dumps(r["value"]) for r in await read_all(running, "ssj.draw.committed")]
    seen += [p.read_text(errors="replace") for p in (running.config.var_dir / "logs").glob("*.log")]
    for text in seen:
        assert secret not in text and secret.upper() not in text
    logs = "".join(p.read_text(errors="replace") for p in (running.config.var_dir / "logs").glob("*.log"))
    assert running.config.admin_token not in logs and running.config.service_token not in logs
    executed = ok(await http.post(url("draw") + f"/v1/draws/{draw['id']}/execute", json={"external_entropy": "x"}))
    async with httpx.AsyncClient() as anonymous:
        record = ok(await anonymous.get(url("draw") + f"/v1/draws/{executed['id']}/record"))
    assert record["server_secret"] == secret  # revealed by execution, as §3 requires


PLANTED_ID = "210402198807150013"  # GB 11643 check digit valid
PLANTED_PHONES = ("13904135566", "0413-7654321")


async def test_no_public_response_carries_private_data(running: Running, http: httpx.AsyncClient, executed_draw):
    url = running.config.url
    tasks = await _inspections(running, http, executed_draw["id"])
    task = ok(
        await http.get(
            url("inspection") + f"/v1/inspections/{next(t for t in tasks if t['status'] == 'assigned')['id']}"
        )
    )
    note = f"负责人身份证{PLANTED_ID}，手机{PLANTED_PHONES[0]}，座机{PLANTED_PHONES[1]}"
    findings = [
        {"item_code": i["code"], "result": "non_compliant" if n == 0 else "compliant", "note": note}
        for n, i in enumerate(task["checklist"])
    ]
    await _complete(
        http, url("inspection"), task, {"findings": findings, "outcome": {"type": "penalty_warning", "note": note}}
    )

    async def pending() -> list[dict[str, Any]]:
        items = ok(await http.get(url("disclosure") + "/v1/results", params={"status": "pending"}))["items"]
        return [r for r in items if r["inspection_id"] == task["id"]]

    result = (await eventually(pending, what="pending result"))[0]
    ok(await http.post(url("disclosure") + f"/v1/results/{result['id']}/approve", json={"note": "同意"}))
    bodies = []
    async with httpx.AsyncClient() as anonymous:
        await eventually(lambda: _in_feed(anonymous, url("disclosure"), result["id"]), what="published")
        values = {
            "result_id": result["id"],
            "draw_id": executed_draw["id"],
            "sector": SECTOR,
            "n": "1",
            "date": "2026-11-26",
        }
        for name in ("registry", "draw", "disclosure"):
            spec = ok(await anonymous.get(url(name) + "/openapi.json"))
            for path, operations in spec["paths"].items():
                if "get" not in operations or "security" in operations["get"] or path in ("/metrics",):
                    continue
                concrete = path
                for key, value in values.items():
                    concrete = concrete.replace("{" + key + "}", value)
                bodies.append((name + concrete, (await anonymous.get(url(name) + concrete)).text))
    assert any(result["id"] in text for _, text in bodies), "the crawl never reached the published result"
    for where, text in bodies:
        for private in (PLANTED_ID, *PLANTED_PHONES, PLANTED_PHONES[1].replace("-", "")):
            assert private not in text, f"{private} leaked through {where}"


async def _in_feed(client: httpx.AsyncClient, base: str, result_id: str) -> bool:
    return any(i["result_id"] == result_id for i in ok(await client.get(base + "/public/v1/feed"))["items"])
