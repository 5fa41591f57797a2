"""The registry's bulk export as a pool source: parsing, and a draw frozen from it end to end."""

import json

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from draw.clients import RegistryClient, parse_export
from draw.db import messaging
from draw.events import DRAW_EXECUTED
from draw.exceptions import RegistryFailed
from draw.frozen import SNAPSHOT_COLUMNS
from draw.main import create_app
from draw.verify import verify_record
from shared.testing import app_client

from .factories import C, X, credit_code

pytestmark = pytest.mark.integration
HEADER = "id\tsector\tsubtype\tname\tcredit_code\tdivision_code\tgrade\tflags\tactive\tversion\trisk"


def line(n: int, *, risk: str = "\\N", name: str | None = None, active: str = "t", flags: str = "{}") -> str:
    cells = [f"NC-{n:03d}", "internet_cafe", "cafe", name or f"网吧{n}", credit_code(n), "210402", "\\N", flags]
    return "\t".join([*cells, active, "2", risk])


def test_cells_are_unescaped_typed_and_sorted():
    text = "\n".join(
        [
            HEADER,
            line(2, risk='{"complaint":{"count":12}}', name="a\\tb\\\\c"),
            line(1, active="f", flags='{"abnormal_list":true}'),
            "",
        ]
    )
    header, rows = parse_export(text)
    assert header == HEADER.split("\t") and [r.id for r in rows] == ["NC-001", "NC-002"]
    first, second = rows
    assert (first.active, first.flags, first.risk, first.grade, first.version) == (
        False,
        {"abnormal_list": True},
        None,
        None,
        2,
    )
    assert second.risk == {"complaint": {"count": 12}} and second.line.startswith("NC-002\tinternet_cafe")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("id\tsector\n", "the header lacks subtype"),
        (HEADER + "\nNC-1\tinternet_cafe\n", "has 2 cells"),
        (HEADER + "\n" + line(1, risk="{not json"), "Expecting"),
    ],
)
def test_unreadable_exports_say_why(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_export(text)


def registry_with_export(body: str, *, status: int = 200) -> Starlette:
    """A registry that offers the bulk export (and inspectors and the catalog, paged as usual)."""

    async def export(request: Request) -> Response:
        assert request.query_params["sector"] == "internet_cafe" and request.query_params["active"] == "true"
        return PlainTextResponse(body, status_code=status)

    async def inspectors(request: Request) -> JSONResponse:
        items = [
            {
                "id": f"INS-{n}",
                "name": "警官",
                "unit": "network_security",
                "jurisdiction": "210400",
                "qualification_expires_date": None,
                "active": True,
                "conflicts": ["NC-003"] if n == 0 else [],
                "version": 1,
            }
            for n in range(3)
        ]
        return JSONResponse({"items": items, "next_cursor": None})

    async def catalog(request: Request) -> JSONResponse:
        return JSONResponse({"sectors": [{"code": "internet_cafe", "subtypes": {"cafe": "网吧"}}]})

    routes = [Route("/v1/entities:export", export), Route("/v1/inspectors", inspectors), Route("/v1/catalog", catalog)]
    return Starlette(routes=routes)


async def test_a_draw_frozen_from_the_export(settings, sessionmaker):
    rows = [
        line(n, risk='{"serious_violation":{"count":1}}' if n < 3 else "\\N", name=f"网吧\\t{n}") for n in range(40)
    ]
    app = create_app(settings, registry_transport=httpx.ASGITransport(registry_with_export("\n".join([HEADER, *rows]))))
    plan = {
        "title": "网吧 export draw",
        "sector": "internet_cafe",
        "quota": {"percent": 10},
        "entropy_source": "beacon",
        "period": "2026-11",
    }
    async with app_client(app, sessionmaker) as client:
        draw = (await client.post("/v1/draws", json=plan, headers=C)).json()
        executed = await client.post(f"/v1/draws/{draw['id']}/execute", json={"external_entropy": "x"}, headers=X)
        record = (await client.get(f"/v1/draws/{draw['id']}/record")).json()
    assert draw["pool_size"] == 40 and draw["risk_summary"]["high_risk"] == {"internet_cafe/cafe": 3}
    assert draw["quotas"] == {"internet_cafe/cafe": 4 + 1}  # 10 %, and 3/40 more of it for the risky ones
    assert executed.status_code == 200 and verify_record(record) is None
    assert {c["entity_id"]: c["weight"] for c in record["pool"] if c["weight"] > 1} == {
        f"NC-00{n}": 5 for n in range(3)
    }
    async with sessionmaker() as s:
        (data,) = (
            await s.execute(select(messaging.outbox.c.data).where(messaging.outbox.c.type == DRAW_EXECUTED))
        ).one()
    for selection in json.loads(data)["selections"]:
        n = int(selection["entity_id"][3:])
        assert selection["entity"]["name"] == f"网吧\t{n}" and selection["entity"]["sector"] == "internet_cafe"
        assert selection["entity_id"] != "NC-003" or "INS-0" not in selection["team"]


async def test_a_broken_export_is_a_registry_error_and_a_missing_one_means_paging():
    transport = httpx.ASGITransport(registry_with_export("garbage", status=200))
    async with httpx.AsyncClient(transport=transport, base_url="http://r") as http:
        with pytest.raises(RegistryFailed, match="export could not be read"):
            await RegistryClient(http).active_entities("internet_cafe")
    failing = httpx.ASGITransport(registry_with_export("", status=500))
    async with httpx.AsyncClient(transport=failing, base_url="http://r") as http:
        with pytest.raises(RegistryFailed, match="HTTP 500"):
            await RegistryClient(http).active_entities("internet_cafe")
    pages = {"items": [], "next_cursor": None}
    paged = Starlette(routes=[Route("/v1/entities", lambda request: JSONResponse(pages))])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(paged), base_url="http://r") as http:
        client = RegistryClient(http)
        assert await client.active_entities("internet_cafe") == (list(SNAPSHOT_COLUMNS), [])
        assert client._export is False  # asked once, remembered
