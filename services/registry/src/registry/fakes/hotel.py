"""Fake 省级旅馆业治安管理信息系统 (provincial hotel public-order information system).

Wire format: GET /api/v2/lgxx?pageNo=1&pageSize=50 (pageNo from 1, pageSize at most 200) answers
HTTP 200 with an envelope {"code": "0000", "msg": "成功", "data": {"total", "pageNo", "pageSize",
"list": [...]}}; any other code is an error (e.g. "1001" pageSize too large). Records are ordered
by lgbm. Fields: lgbm 旅馆编码, lgmc 旅馆名称, tyshxydm 统一社会信用代码, ssxq 所属辖区, frxm 法人姓名,
frsfzh 法人身份证号, lgdz 旅馆地址, kyrq 开业日期 (YYYYMMDD), jyzt 经营状态 ("01" 正常营业, "02"
停业整顿), gxsj 更新时间 (YYYYMMDDHHMMSS), bbh 版本号, xzcf 行政处罚 [{"cfrq" 处罚日期, "cfwh" 文号}].
A hotel that closes disappears from the list.
"""

import random
from typing import Any

from fastapi import APIRouter, FastAPI, Request

from registry.fakes.faults import FakeState, FaultPlan, fake_app, state_of
from registry.fakes.population import Member, Population, base_attrs, past_dates


def make(rng: random.Random, serial: int) -> dict[str, Any]:
    attrs = base_attrs(rng, serial, 100_000, "宾馆")
    attrs["status"] = "02" if rng.random() < 0.05 else "01"
    penalties = past_dates(rng, rng.choice((0, 0, 0, 1, 2)), 900)
    attrs["penalties"] = [(d, f"抚公(治)行罚决字〔{d[:4]}〕{serial * 10 + i}号") for i, d in enumerate(penalties)]
    return attrs


def render(population: Population, m: Member) -> dict[str, Any]:
    a = population.current(m)
    return {
        "lgbm": f"LG2104{m.serial:08d}",
        "lgmc": a["name"],
        "tyshxydm": a["credit_code"],
        "ssxq": a["division"],
        "frxm": a["legal_rep"],
        "frsfzh": a["legal_rep_id"],
        "lgdz": a["address"],
        "kyrq": a["established"],
        "jyzt": a.get("type_code_override", a["status"]),
        "gxsj": population.updated_at(m).strftime("%Y%m%d%H%M%S"),
        "bbh": population.version(m),
        "xzcf": [{"cfrq": d, "cfwh": no} for d, no in a["penalties"]],
    }


def create_app(seed: int = 7, size: int = 40, plan: FaultPlan | None = None) -> FastAPI:
    state = FakeState(Population("hotel", seed, size, make), plan or FaultPlan())
    router = APIRouter()

    @router.get("/api/v2/lgxx", summary="旅馆信息分页查询")
    async def lgxx(request: Request, pageNo: int = 1, pageSize: int = 50) -> dict[str, Any]:
        if pageSize > 200 or pageSize < 1 or pageNo < 1:
            return {"code": "1001", "msg": "分页参数超限", "data": None}
        population = state_of(request).population
        members = population.visible()
        chunk = members[(pageNo - 1) * pageSize : pageNo * pageSize]
        data = {"total": len(members), "pageNo": pageNo, "pageSize": pageSize}
        return {"code": "0000", "msg": "成功", "data": data | {"list": [render(population, m) for m in chunk]}}

    return fake_app("省级旅馆业治安管理信息系统 (fake)", state, [router])
