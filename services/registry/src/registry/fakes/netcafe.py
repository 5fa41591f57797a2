"""Fake 市公安局网安支队网吧名录 (the city network-security detachment's internet-café list).

Wire format: GET /wa/wb/list?after=<wbbh>&n=50 answers {"ret": 0, "data": [...], "more": true|false},
ordered by wbbh (keyset paging: pass the last wbbh as `after`); ret other than 0 is an error.
Fields: wbbh 网吧编号, wbmc 网吧名称, xydm 统一社会信用代码, xzqh 行政区划, fzr 负责人, fzrsfz 负责人身份证,
dz 地址, kyrq 开业日期, jyyc 列入经营异常名录 ("1"/"0"), jyycrq 列入日期, tsrq 投诉日期 (comma-separated
YYYYMMDD in one string), yzwf 严重违法记录 [{"ajbh" 案件编号, "wfrq" 日期}], zdsl 终端数量,
xgsj 修改时间 (YYYYMMDDHHMMSS). Cafés that close disappear; a café can leave the abnormal list.
"""

import random
from typing import Any

from fastapi import APIRouter, FastAPI, Request

from registry.fakes.faults import FakeState, FaultPlan, fake_app, state_of
from registry.fakes.population import Member, Population, base_attrs, past_dates


def make(rng: random.Random, serial: int) -> dict[str, Any]:
    attrs = base_attrs(rng, serial, 600_000, "网络会所")
    listed = past_dates(rng, 1, 300)[0] if rng.random() < 0.2 else ""
    attrs |= {"abnormal": "1" if listed else "0", "abnormal_since": listed, "terminals": rng.randrange(40, 300)}
    attrs["complaints"] = past_dates(rng, rng.choice((0, 0, 1, 2, 4)), 500)
    attrs["violations"] = past_dates(rng, 1, 700) if rng.random() < 0.1 else []
    if listed and rng.random() < 0.5:
        attrs["_changes"] = {rng.randint(1, 5): {"abnormal": "0", "abnormal_since": ""}}
    return attrs


def render(population: Population, m: Member) -> dict[str, Any]:
    a = population.current(m)
    return {
        "wbbh": f"WB{m.serial:06d}",
        "wbmc": a["name"],
        "xydm": a["credit_code"],
        "xzqh": a["division"],
        "fzr": a["legal_rep"],
        "fzrsfz": a["legal_rep_id"],
        "dz": a["address"],
        "kyrq": a["established"],
        "jyyc": "9" if "type_code_override" in a else a["abnormal"],
        "jyycrq": a["abnormal_since"],
        "tsrq": ",".join(a["complaints"]),
        "yzwf": [{"ajbh": f"AJ{m.serial:05d}{i}", "wfrq": d} for i, d in enumerate(a["violations"])],
        "zdsl": a["terminals"],
        "xgsj": population.updated_at(m).strftime("%Y%m%d%H%M%S"),
    }


def create_app(seed: int = 7, size: int = 40, plan: FaultPlan | None = None) -> FastAPI:
    state = FakeState(Population("netcafe", seed, size, make), plan or FaultPlan())
    router = APIRouter()

    @router.get("/wa/wb/list", summary="网吧名录 (keyset: after=wbbh)")
    async def cafes(request: Request, after: str = "", n: int = 50) -> dict[str, Any]:
        population = state_of(request).population
        rows = [r for r in (render(population, m) for m in population.visible()) if r["wbbh"] > after]
        page = rows[: max(1, min(n, 100))]
        return {"ret": 0, "data": page, "more": len(rows) > len(page)}

    return fake_app("网安支队网吧名录 (fake)", state, [router])
