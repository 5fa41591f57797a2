"""Fake 市、县公安机关市场主体名录 (the city and county bureaus' market-entity lists): entertainment
venues (kept by the county bureau of their district), seal engravers and pawn shops (kept by the
city bureau).

Wire format: GET /mlk/bureaus answers {"bureaus": [{"code", "name"}]}; GET
/mlk/bureaus/{code}/entities?offset=0&limit=50 answers {"total": N, "rows": [...]}, ordered by zch.
Fields (pinyin initials): zch 注册号, mc 名称, xydm 统一社会信用代码, qh 区划, hylb 行业类别 ("YL" 娱乐场所,
"KZ" 公章刻制业, "DD" 典当业), fjdj 治安分级 (A/B/C, venues only), sfzs 是否提供住宿 ("1"/"0", venues
only), fr 法定代表人, frzjhm 证件号码, dz 地址, clrq 成立日期, gxrq 更新日期 (YYYYMMDD), bb 版本,
ts 投诉日期 [YYYYMMDD], cf 处罚日期 [YYYYMMDD]. Entities that deregister disappear.
"""

import random
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request

from registry.codes import FUSHUN_DIVISIONS
from registry.fakes.faults import FakeState, FaultPlan, fake_app, state_of
from registry.fakes.population import DEFECTS, Member, Population, base_attrs, past_dates

BUREAUS = {
    "210400": "抚顺市公安局",
    **{code: name + "公安分局" for code, name in FUSHUN_DIVISIONS.items() if code != "210400"},
}


def make(rng: random.Random, serial: int) -> dict[str, Any]:
    trade = rng.choice(("YL", "YL", "YL", "KZ", "DD"))
    attrs = base_attrs(rng, serial, 500_000, {"YL": "娱乐会所", "KZ": "刻章社", "DD": "典当行"}[trade])
    attrs |= {"trade": trade, "grade": rng.choice("ABC"), "lodging": rng.random() < 0.15}
    attrs["complaints"] = past_dates(rng, rng.choice((0, 0, 1, 3)), 500)
    attrs["penalties"] = past_dates(rng, rng.choice((0, 0, 0, 1)), 900)
    return attrs


def bureau_of(attrs: dict[str, Any]) -> str:
    return attrs["division"] if attrs["trade"] == "YL" and attrs["division"] in BUREAUS else "210400"


def render(population: Population, m: Member) -> dict[str, Any]:
    a = population.current(m)
    venue = a["trade"] == "YL"
    return {
        "zch": f"2104{m.serial:09d}",
        "mc": a["name"],
        "xydm": a["credit_code"],
        "qh": a["division"],
        "hylb": a.get("type_code_override", a["trade"]),
        "fjdj": a["grade"] if venue and not a.get("no_grade") else "",
        "sfzs": ("1" if a["lodging"] else "0") if venue else "",
        "fr": a["legal_rep"],
        "frzjhm": a["legal_rep_id"],
        "dz": a["address"],
        "clrq": a["established"],
        "gxrq": population.updated_at(m).strftime("%Y%m%d"),
        "bb": population.version(m),
        "ts": a["complaints"],
        "cf": a["penalties"],
    }


def create_app(seed: int = 7, size: int = 40, plan: FaultPlan | None = None) -> FastAPI:
    population = Population("market", seed, size, make, defects=(*DEFECTS, "no_grade"))
    state = FakeState(population, plan or FaultPlan())
    router = APIRouter()

    @router.get("/mlk/bureaus", summary="名录维护单位")
    async def bureaus() -> dict[str, Any]:
        return {"bureaus": [{"code": code, "name": name} for code, name in BUREAUS.items()]}

    @router.get("/mlk/bureaus/{code}/entities", summary="市场主体名录 (offset/limit)")
    async def entities(request: Request, code: str, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        if code not in BUREAUS:
            raise HTTPException(404, "no such bureau")
        pop = state_of(request).population
        rows = [render(pop, m) for m in pop.visible() if bureau_of(pop.current(m)) == code]
        return {"total": len(rows), "rows": rows[max(0, offset) : max(0, offset) + max(1, min(limit, 100))]}

    return fake_app("市县公安机关市场主体名录 (fake)", state, [router])
