"""Fake 消防监督管理系统 (fire supervision system): the social-unit base library and the fire
inspector library, exported as GBK-encoded CSV.

Wire format: GET /export/shdw.csv?page=1&rows=50 (social units) and GET /export/jcry.csv?page=1&rows=50
(fire inspectors) answer `text/csv; charset=GBK` with a Chinese header row and the headers
X-Total-Pages and X-Total-Count; a page past the end has the header only. Booleans are 是/否,
dates YYYYMMDD, lists are separated by ";".
Units: 单位编号, 单位名称, 统一社会信用代码, 行政区划, 法定代表人, 法定代表人身份证号, 单位地址, 成立日期,
消防安全重点单位, 人员密集场所, 公众聚集场所, 易燃易爆, 火灾日期, 行政处罚日期, 重大隐患日期, 投诉日期, 更新时间.
Inspectors: 人员编号, 姓名, 所属单位, 辖区, 执法资格证号, 资格有效期至, 在岗状态 (在岗/离岗), 回避单位编号,
回避事由, 更新时间. Like any hand-kept export, a few rows are ragged (an unquoted comma).
"""

import csv
import io
import math
import random
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response

from registry.fakes.faults import FakeState, FaultPlan, fake_app, state_of
from registry.fakes.population import (
    BASE_DATE,
    DEFECTS,
    DISTRICTS,
    Member,
    Population,
    base_attrs,
    past_dates,
    person,
    ymd,
)

UNIT_HEADER = ",".join(
    (
        *("单位编号", "单位名称", "统一社会信用代码", "行政区划", "法定代表人", "法定代表人身份证号", "单位地址"),
        *("成立日期", "消防安全重点单位", "人员密集场所", "公众聚集场所", "易燃易爆"),
        *("火灾日期", "行政处罚日期", "重大隐患日期", "投诉日期", "更新时间"),
    )
)
INSPECTOR_HEADER = "人员编号,姓名,所属单位,辖区,执法资格证号,资格有效期至,在岗状态,回避单位编号,回避事由,更新时间"
BRIGADES = ("抚顺市消防救援支队", "新抚区消防救援大队", "顺城区消防救援大队", "抚顺县消防救援大队")


def make_unit(rng: random.Random, serial: int) -> dict[str, Any]:
    attrs = base_attrs(rng, serial, 400_000, "实业有限公司")
    attrs["flags"] = [rng.random() < p for p in (0.3, 0.5, 0.3, 0.15)]
    for kind, odds in (("fires", 0.1), ("penalties", 0.15), ("hazards", 0.2), ("complaints", 0.3)):
        attrs[kind] = past_dates(rng, 1 + int(rng.random() * 2), 600) if rng.random() < odds else []
    return attrs


def make_inspector(rng: random.Random, serial: int) -> dict[str, Any]:
    expires = BASE_DATE + timedelta(days=rng.choice((-30, 2, 400, 800, 1200)))
    return {
        "name": person(rng),
        "brigade": rng.choice(BRIGADES),
        "division": rng.choice(DISTRICTS),
        "expires": ymd(expires),
        "on_duty": rng.random() > 0.1,
        "recused": [serial * 3 % 40 + 1] if rng.random() < 0.25 else [],
    }


def _yes(value: bool) -> str:
    return "是" if value else "否"


def unit_row(population: Population, m: Member) -> list[str]:
    a = population.current(m)
    flags = [_yes(f) for f in a["flags"]]
    if "type_code_override" in a:
        flags[0] = "未知"
    address = a["address"] + (",二层" if a.get("ragged") else "")
    dates = [";".join(a[k]) for k in ("fires", "penalties", "hazards", "complaints")]
    head = [f"XF{m.serial:06d}", a["name"], a["credit_code"], a["division"], a["legal_rep"], a["legal_rep_id"]]
    return [*head, address, a["established"], *flags, *dates, population.updated_at(m).strftime("%Y%m%d%H%M%S")]


def inspector_row(population: Population, m: Member) -> list[str]:
    a = population.current(m)
    recused = ";".join(f"XF{n:06d}" for n in a["recused"])
    reason = "近亲属任该单位法定代表人" if a["recused"] else ""
    return [
        f"JC{m.serial:05d}",
        a["name"],
        a["brigade"],
        a["division"],
        f"辽消执{m.serial:05d}",
        a["expires"],
        "在岗" if a["on_duty"] else "离岗",
        recused,
        reason,
        population.updated_at(m).strftime("%Y%m%d%H%M%S"),
    ]


def _csv(header: str, rows: list[list[str]], ragged: list[bool]) -> bytes:
    out = io.StringIO()
    out.write(header + "\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    for row, is_ragged in zip(rows, ragged, strict=True):
        if is_ragged:  # as exported by hand: the comma in the address is not quoted
            out.write(",".join(row) + "\r\n")
        else:
            writer.writerow(row)
    return out.getvalue().encode("gbk")


def _page(population: Population, render: Any, header: str, page: int, rows: int) -> Response:
    members = population.visible()
    chunk = members[(page - 1) * rows : page * rows] if page >= 1 else []
    body = _csv(
        header, [render(population, m) for m in chunk], [bool(population.current(m).get("ragged")) for m in chunk]
    )
    headers = {"X-Total-Pages": str(math.ceil(len(members) / rows)), "X-Total-Count": str(len(members))}
    return Response(body, media_type="text/csv; charset=GBK", headers=headers)


def create_app(seed: int = 7, size: int = 40, plan: FaultPlan | None = None) -> FastAPI:
    units = Population("fire", seed, size, make_unit, defects=(*DEFECTS, "ragged"))
    state = FakeState(units, plan or FaultPlan())
    inspectors = Population("fire-inspectors", seed, max(6, size // 4), make_inspector, defects=())
    router = APIRouter()

    @router.get("/export/shdw.csv", summary="社会单位基础信息导出 (GBK CSV)")
    async def shdw(request: Request, page: int = 1, rows: int = 50) -> Response:
        return _page(state_of(request).population, unit_row, UNIT_HEADER, page, max(1, min(rows, 200)))

    @router.get("/export/jcry.csv", summary="消防执法检查人员导出 (GBK CSV)")
    async def jcry(page: int = 1, rows: int = 50) -> Response:
        inspectors.day = state.population.day
        return _page(inspectors, inspector_row, INSPECTOR_HEADER, page, max(1, min(rows, 200)))

    app = fake_app("消防监督管理系统 (fake)", state, [router])
    app.state.inspectors = inspectors
    return app
