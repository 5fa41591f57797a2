"""Bulk import by CSV (UTF-8, GBK) and JSON: valid rows kept, invalid rows reported by row, field
and reason; files that cannot be read are refused whole and change nothing."""

import csv
import io
from typing import Any

import pytest
from sqlalchemy import func, select

from registry.codes import id_check_char
from registry.db import messaging
from registry.main import create_app
from registry.models import Entity, SyncRun
from shared.testing import app_client

from .factories import R, W, credit_code, id_number

pytestmark = pytest.mark.integration
HEADER = [
    "id",
    "sector",
    "subtype",
    "name",
    "credit_code",
    "division_code",
    "grade",
    "lodging",
    "key_unit",
    "crowded_place",
    "public_gathering",
    "flammable_explosive",
    "abnormal_list",
    "legal_rep_id_number",
    "established_date",
]
FIRE_FLAGS = {"key_unit": "是", "crowded_place": "否", "public_gathering": "否", "flammable_explosive": "是"}
X_ID = next(body + "X" for body in (f"21040219850615{i:03d}" for i in range(100)) if id_check_char(body) == "X")


def row(ident: str, **fields: str) -> dict[str, str]:
    base = {"id": ident, "sector": "entertainment", "subtype": "venue", "name": f"单位{ident}", "grade": "B"}
    return base | {"credit_code": credit_code(), "division_code": "210402", "lodging": "否"} | fields


def to_csv(rows: list[dict[str, str]], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def bad_check(code: str) -> str:
    return code[:17] + ("0" if code[17] != "0" else "1")


MIXED: list[tuple[dict[str, str], tuple[str, str] | None]] = [
    (row("IMP-01", legal_rep_id_number=id_number(), established_date="20150601"), None),
    (row("IMP-02", credit_code=bad_check(credit_code())), ("credit_code", "GB 32100-2015")),
    (row("IMP-03", credit_code="91210400MA0OOOOOO1"), ("credit_code", "outside GB 32100-2015")),
    (row("IMP-04", legal_rep_id_number=bad_check(id_number())), ("legal_rep_id_number", "GB 11643-1999")),
    (row("IMP-05", legal_rep_id_number=id_number("21040219801332001")), ("legal_rep_id_number", "not a calendar date")),
    (row("IMP-06", legal_rep_id_number=X_ID.lower()), None),
    (row("IMP-07", division_code="110101"), ("division_code", "not a Fushun")),
    (
        row("IMP-08", sector="fire_safety", subtype="unit", grade="", lodging="", division_code="210423") | FIRE_FLAGS,
        None,
    ),
    (
        row("IMP-09", sector="fire_safety", subtype="unit", grade="", lodging="") | FIRE_FLAGS | {"crowded_place": ""},
        ("flags.crowded_place", "required for fire_safety"),
    ),
    (row("IMP-10", grade=""), ("grade", "grade A, B or C")),
    (row("IMP-11", lodging=""), ("flags.lodging", "required for entertainment")),
    (row("IMP-12", sector="blasting", subtype="commercial", grade="", lodging=""), None),
    (row("IMP-13", sector="blasting", subtype="营业性", grade="", lodging=""), None),
    (row("IMP-14", sector="blasting", subtype="civil", grade="", lodging=""), ("subtype", "not a subtype of blasting")),
    (row("IMP-15", sector="security_service", subtype="armed_escort", grade="", lodging=""), None),
    (row("IMP-16", sector="security_service", subtype="guard", grade="", lodging=""), ("subtype", "not a subtype")),
    (row("IMP-17", sector="internet_cafe", subtype="cafe", grade="", lodging=""), ("flags.abnormal_list", "required")),
    (row("IMP-18", sector="internet_cafe", subtype="cafe", grade="", lodging="", abnormal_list="是"), None),
    (row("IMP-19", sector="casino"), ("sector", "Input should be")),
    (row("IMP-01"), ("id", "duplicate of row 2")),
    (row("IMP-20", established_date="20151301"), ("established_date", "not a date")),
    (row("IMP-21", lodging="maybe"), ("flags.lodging", "not yes/no")),
    (row("IMP-22", sector="special_trade", subtype="hotel", grade="A", lodging="是"), ("grade", "only entertainment")),
]
MIXED.append((row("IMP-23", credit_code=MIXED[0][0]["credit_code"]), ("credit_code", "same entertainment credit code")))


async def _nothing_changed(sessionmaker) -> bool:  # type: ignore[no-untyped-def]
    async with sessionmaker() as s:
        counts = [await s.scalar(select(func.count()).select_from(t)) for t in (Entity, SyncRun, messaging.outbox)]
    return counts == [0, 0, 0]


async def _import(client, body: bytes | str, content_type: str = "text/csv", **params: Any):  # type: ignore[no-untyped-def]
    data = body.encode() if isinstance(body, str) else body
    return await client.post(
        "/v1/entities:import", content=data, params=params, headers=W | {"Content-Type": content_type}
    )


async def test_a_csv_mixing_valid_and_invalid_rows_keeps_the_valid_and_reports_each_invalid(client, sessionmaker):
    r = await _import(client, to_csv([fields for fields, _ in MIXED]))
    assert r.status_code == 200, r.text
    report = r.json()
    expected_errors = {(n, expected[0]) for n, (_, expected) in enumerate(MIXED, start=2) if expected}
    valid = [fields["id"] for fields, expected in MIXED if expected is None]
    assert report["counts"] == {
        "inserted": len(valid),
        "updated": 0,
        "unchanged": 0,
        "deactivated": 0,
        "rejected": len(expected_errors),
    }
    assert {(e["row"], e["field"]) for e in report["errors"]} == expected_errors
    for n, (_, expected) in enumerate(MIXED, start=2):
        if expected:
            reasons = [e["reason"] for e in report["errors"] if e["row"] == n]
            assert any(expected[1] in reason for reason in reasons), (n, reasons)
    async with sessionmaker() as s:
        stored = {e.id: e for e in (await s.scalars(select(Entity))).all()}
    assert set(stored) == set(valid)
    assert stored["IMP-06"].legal_rep_id_number == X_ID and stored["IMP-13"].subtype == "commercial"
    assert stored["IMP-08"].flags == {
        "crowded_place": False,
        "flammable_explosive": True,
        "key_unit": True,
        "public_gathering": False,
    }
    assert all(e.source == "import" for e in stored.values())

    run = (await client.get(f"/v1/sync-runs/{report['id']}", headers=R)).json()
    assert (run["source"], run["mode"], run["status"], run["errors_total"]) == (
        "import",
        "import",
        "succeeded",
        len(expected_errors),
    )
    first = (await client.get(f"/v1/sync-runs/{report['id']}/errors", params={"limit": 5}, headers=R)).json()
    rest = (
        await client.get(f"/v1/sync-runs/{report['id']}/errors", params={"cursor": first["next_cursor"]}, headers=R)
    ).json()
    assert len(first["items"]) + len(rest["items"]) == first["total"] == len(expected_errors)
    assert first["items"][0]["raw"] and first["items"][0]["source_ref"] == "IMP-02"

    again = (await _import(client, to_csv([fields for fields, _ in MIXED]))).json()
    assert again["counts"]["inserted"] == 0 and again["counts"]["unchanged"] == len(valid)


async def test_all_or_nothing_refuses_the_file_with_every_error(client, sessionmaker):
    r = await _import(client, to_csv([fields for fields, _ in MIXED[:3]]), all_or_nothing="true")
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in r.json()["errors"]] == ["row 3: credit_code", "row 4: credit_code"]
    assert await _nothing_changed(sessionmaker)


async def test_a_gbk_spreadsheet_export_with_chinese_headers(client, sessionmaker):
    header = "编号,行业,类别,名称,统一社会信用代码,行政区划代码,治安分级,提供住宿,法定代表人,成立日期\r\n"
    lines = [
        f"GBK-1,娱乐场所,娱乐场所,抚顺市新抚区金色年华歌厅,{credit_code()},210402,A,是,张三,2016-03-08\r\n",
        f"GBK-2,特种行业,典当业,抚顺市顺城区鑫源典当行,{credit_code()},210411,,,李四,20110910\r\n",
    ]
    r = await _import(client, (header + "".join(lines)).encode("gbk"), "text/csv; charset=gbk")
    assert r.status_code == 200, r.text
    assert r.json()["counts"]["inserted"] == 2 and r.json()["errors"] == []
    venue = (await client.get("/v1/entities/GBK-1", headers=R)).json()
    assert venue["name"] == "抚顺市新抚区金色年华歌厅" and venue["flags"] == {"lodging": True}
    assert venue["legal_rep_name"] == "张三" and venue["established_date"] == "2016-03-08"
    pawn = (await client.get("/v1/entities/GBK-2", headers=R)).json()
    assert (pawn["sector"], pawn["subtype"], pawn["established_date"]) == ("special_trade", "pawn", "2011-09-10")


async def test_json_rows_are_reported_by_index(client, sessionmaker):
    good = {
        "id": "J-1",
        "sector": "blasting",
        "subtype": "non_commercial",
        "name": "矿山爆破队",
        "credit_code": credit_code(),
        "division_code": "210421",
    }
    body = {"entities": [good, good | {"id": "J-2", "credit_code": "X"}, "not an object"]}
    r = await client.post("/v1/entities:import", json=body, headers=W)
    assert r.status_code == 200, r.text
    assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [(1, "credit_code"), (2, "row")]
    assert r.json()["counts"]["inserted"] == 1


UNREADABLE = [
    ("蒙古包KTV,甲".encode("gbk"), "text/csv", {}, "encoding", "body", "needs ?encoding=gbk"),
    ("id,名称\r\nA,抚顺\r\n".encode(), "text/csv", {"encoding": "gbk"}, "encoding", "body", "the file is UTF-8"),
    (b'id,sector\r\n"A,entertainment\r\n', "text/csv", {}, "malformed-csv", "body", "not CSV"),
    (to_csv([row("R-1")]) + "R-2,entertainment\r\n", "text/csv", {}, "malformed-csv", "body", "row 3 has 2 fields"),
    ("id,sector,colour\r\nA,entertainment,red\r\n", "text/csv", {}, "malformed-csv", "header", "unknown columns"),
    ("id,sector,name\r\nA,entertainment,x\r\n", "text/csv", {}, "malformed-csv", "header", "missing columns"),
    ("", "text/csv", {}, "malformed-csv", "body", "empty"),
    (",".join(HEADER) + "\r\n", "text/csv", {}, "malformed-csv", "body", "no rows"),
    (b"id\x00,sector", "text/csv", {}, "malformed-csv", "body", "NUL"),
    ("<xml/>", "application/xml", {}, "unsupported-media-type", "Content-Type", "text/csv"),
    ("{not json", "application/json", {}, "validation", "body", "not valid JSON"),
    ('{"rows": []}', "application/json", {}, "validation", "entities", "expected"),
]


@pytest.mark.parametrize(("body", "content_type", "params", "slug", "field", "detail"), UNREADABLE)
async def test_an_unreadable_file_is_refused_whole_and_changes_nothing(
    client, sessionmaker, body, content_type, params, slug, field, detail
):
    r = await _import(client, body, content_type, **params)
    assert r.status_code in (415, 422), r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert (problem["type"], problem["field"]) == (f"urn:ssj:problem:{slug}", field)
    assert detail in problem["detail"]
    assert await _nothing_changed(sessionmaker)


async def test_oversized_uploads_are_refused_with_413(settings, sessionmaker):
    few_bytes = settings.model_copy(update={"max_import_bytes": 300})
    few_rows = settings.model_copy(update={"max_import_rows": 2})
    async with app_client(create_app(few_bytes), sessionmaker) as client:
        big = await _import(client, to_csv([row(f"B-{i}") for i in range(5)]))
    async with app_client(create_app(few_rows), sessionmaker) as client:
        many = await _import(client, to_csv([row("M-1"), row("M-2"), row("M-3")]))
    assert big.status_code == 413 and big.json()["type"] == "urn:ssj:problem:too-large"
    assert "at most 300 per upload" in big.json()["detail"] and big.json()["field"] == "body"
    assert many.status_code == 413 and "3 rows; at most 2 per upload" in many.json()["detail"]
    assert await _nothing_changed(sessionmaker)


async def test_the_body_limit_of_every_route_still_applies(settings, sessionmaker):
    tiny = settings.model_copy(update={"max_body_bytes": 100})
    async with app_client(create_app(tiny), sessionmaker) as client:
        r = await _import(client, to_csv([row("T-1"), row("T-2")]))
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    assert await _nothing_changed(sessionmaker)


async def test_importing_needs_the_write_scope(client, sessionmaker):
    r = await client.post("/v1/entities:import", content=to_csv([row("S-1")]), headers=R | {"Content-Type": "text/csv"})
    assert r.status_code == 403
    assert await _nothing_changed(sessionmaker)
