"""Fake 民用爆炸物品管理信息系统 (provincial civil-explosives system), blasting operation units.

Wire format: GET /mbgl/dwxx?since=YYYYMMDDHHMMSS&after=DWBH&limit=50 lists the units whose
(BGSJ, DWBH) comes after (since, after), ordered that way: {"RESULT": [...], "HAS_MORE": "Y"|"N"}.
A malformed `since` answers {"ERRCODE": "E01", ...} with HTTP 400. Fields (upper case): DWBH 单位编号,
DWMC 单位名称, TYXYDM 统一社会信用代码, SSXQ 所属辖区, YYXZ 营业性质 ("1" 营业性, "2" 非营业性),
FDDBR 法定代表人, FDDBRSFZH 身份证号, DWDZ 地址, XKZH 许可证号, CLRQ 成立日期, XKYXQZ 许可有效期至
(YYYYMMDD), BGSJ 变更时间 (YYYYMMDDHHMMSS), YHJL 隐患记录 [{"YHBH" 隐患编号, "FXRQ" 发现日期}].
Units whose permit is revoked or expires disappear; the since-feed does not report them.
"""

import random
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from registry.fakes.faults import FakeState, FaultPlan, fake_app, state_of
from registry.fakes.population import Member, Population, base_attrs, past_dates


def make(rng: random.Random, serial: int) -> dict[str, Any]:
    attrs = base_attrs(rng, serial, 300_000, "爆破工程有限公司")
    attrs["nature"] = "1" if rng.random() < 0.6 else "2"
    attrs["hazards"] = past_dates(rng, rng.choice((0, 0, 0, 1)), 700)
    return attrs


def render(population: Population, m: Member) -> dict[str, Any]:
    a = population.current(m)
    return {
        "DWBH": f"MB{m.serial:07d}",
        "DWMC": a["name"],
        "TYXYDM": a["credit_code"],
        "SSXQ": a["division"],
        "YYXZ": a.get("type_code_override", a["nature"]),
        "FDDBR": a["legal_rep"],
        "FDDBRSFZH": a["legal_rep_id"],
        "DWDZ": a["address"],
        "XKZH": f"2104{m.serial:08d}",
        "CLRQ": a["established"],
        "XKYXQZ": "20291231",
        "BGSJ": population.updated_at(m).strftime("%Y%m%d%H%M%S"),
        "YHJL": [{"YHBH": f"YH{m.serial:05d}{i}", "FXRQ": d} for i, d in enumerate(a["hazards"])],
    }


def create_app(seed: int = 7, size: int = 40, plan: FaultPlan | None = None) -> FastAPI:
    state = FakeState(Population("explosives", seed, size, make), plan or FaultPlan())
    router = APIRouter()

    @router.get("/mbgl/dwxx", summary="爆破作业单位增量查询 (since)")
    async def dwxx(request: Request, since: str = "00000000000000", after: str = "", limit: int = 50) -> Any:
        if len(since) != 14 or not since.isdigit():
            return JSONResponse({"ERRCODE": "E01", "ERRMSG": "since 格式错误"}, status_code=400)
        population = state_of(request).population
        rows = sorted((render(population, m) for m in population.visible()), key=lambda r: (r["BGSJ"], r["DWBH"]))
        rest = [r for r in rows if (r["BGSJ"], r["DWBH"]) > (since, after)]
        page = rest[: max(1, min(limit, 100))]
        return {"RESULT": page, "HAS_MORE": "Y" if len(rest) > len(page) else "N"}

    return fake_app("民用爆炸物品管理信息系统 (fake)", state, [router])
