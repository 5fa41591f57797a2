import json
import logging

from fastapi import APIRouter

from shared.app import create_service_app
from shared.observability import JsonFormatter, correlation_id, traceparent_var
from shared.settings import ServiceSettings
from shared.testing import app_client

router = APIRouter()
seen: list[str | None] = []


@router.get("/probe", summary="probe")
async def probe() -> dict[str, str]:
    seen.append(traceparent_var.get())
    return {"ok": "yes"}


async def _client(tmp_path):  # type: ignore[no-untyped-def]
    settings = ServiceSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/o.db", embedded_bus_path=str(tmp_path / "bus"), log_json=False
    )
    return app_client(create_service_app(settings, title="t", description="t", routers=[router]))


async def test_incoming_traceparent_reaches_the_handler_and_the_response(tmp_path):
    trace = "00-" + "1" * 32 + "-" + "2" * 16 + "-01"
    async with await _client(tmp_path) as client:
        r = await client.get("/probe", headers={"traceparent": trace})
    assert r.headers["traceparent"] == trace and seen[-1] == trace


async def test_a_missing_or_malformed_traceparent_gets_a_fresh_one(tmp_path):
    async with await _client(tmp_path) as client:
        a = (await client.get("/probe", headers={"traceparent": "garbage"})).headers["traceparent"]
        b = (await client.get("/probe")).headers["traceparent"]
    assert a != b and a.startswith("00-") and len(a.split("-")[1]) == 32


async def test_metrics_count_requests_by_route_and_status(tmp_path):
    async with await _client(tmp_path) as client:
        await client.get("/probe")
        await client.get("/nowhere")
        text = (await client.get("/metrics")).text
    assert 'http_requests_total{method="GET",route="/probe",status="200"} 1.0' in text
    assert 'status="404"' in text


async def test_health_and_readiness(tmp_path):
    async with await _client(tmp_path) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "bus": "ok"}


def test_json_logs_carry_the_correlation_id():
    token = traceparent_var.set("00-" + "a" * 32 + "-" + "b" * 16 + "-01")
    try:
        record = logging.LogRecord("ssj", logging.INFO, __file__, 1, "读取 %s", ("名录",), None)
        line = json.loads(JsonFormatter("registry").format(record))
        assert correlation_id() == "a" * 32
    finally:
        traceparent_var.reset(token)
    assert line["correlation_id"] == "a" * 32 and line["message"] == "读取 名录" and line["service"] == "registry"
