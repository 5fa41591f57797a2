"""Fake 省级保安监管信息系统 (provincial security supervision system).

Wire format: GET /openapi/security-orgs?limit=50[&cursor=...] answers {"items": [...],
"nextCursor": "..." or null}; the cursor is opaque and valid until the listing changes. Fields
(camelCase): orgId, orgName, uscc 统一社会信用代码, regionCode 行政区划, orgType ("BAGS" 保安服务公司,
"BAPX" 保安培训机构, "WZSY" 武装守护押运), legalPerson, legalPersonIdNo, address, licenseDate 许可日期
(YYYYMMDD), revision (int), modifiedTime (YYYYMMDDHHMMSS), complaints [{"complaintId",
"receivedDate" (YYYYMMDD)}]. An organisation whose licence ends disappears.
"""

import base64
import random
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request

from registry.fakes.faults import FakeState, FaultPlan, fake_app, state_of
from registry.fakes.population import Member, Population, base_attrs, past_dates

TYPES = ("BAGS", "BAGS", "BAGS", "BAPX", "WZSY")


def make(rng: random.Random, serial: int) -> dict[str, Any]:
    attrs = base_attrs(rng, serial, 200_000, "保安服务有限公司")
    attrs["type"] = rng.choice(TYPES)
    attrs["complaints"] = past_dates(rng, rng.choice((0, 0, 1, 2, 3)), 500)
    return attrs


def render(population: Population, m: Member) -> dict[str, Any]:
    a = population.current(m)
    return {
        "orgId": f"BA{m.serial:06d}",
        "orgName": a["name"],
        "uscc": a["credit_code"],
        "regionCode": a["division"],
        "orgType": a.get("type_code_override", a["type"]),
        "legalPerson": a["legal_rep"],
        "legalPersonIdNo": a["legal_rep_id"],
        "address": a["address"],
        "licenseDate": a["established"],
        "revision": population.version(m),
        "modifiedTime": population.updated_at(m).strftime("%Y%m%d%H%M%S"),
        "complaints": [
            {"complaintId": f"TS{m.serial:05d}{i}", "receivedDate": d} for i, d in enumerate(a["complaints"])
        ],
    }


def _token(org_id: str) -> str:
    return base64.urlsafe_b64encode(f"after:{org_id}".encode()).decode()


def _after(cursor: str) -> str:
    try:
        decoded = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, "invalid cursor") from None
    if not decoded.startswith("after:"):
        raise HTTPException(400, "invalid cursor")
    return decoded.removeprefix("after:")


def create_app(seed: int = 7, size: int = 40, plan: FaultPlan | None = None) -> FastAPI:
    state = FakeState(Population("security", seed, size, make), plan or FaultPlan())
    router = APIRouter()

    @router.get("/openapi/security-orgs", summary="保安单位列表 (cursor)")
    async def orgs(request: Request, limit: int = 50, cursor: str | None = None) -> dict[str, Any]:
        population = state_of(request).population
        rows = [render(population, m) for m in population.visible()]
        after = _after(cursor) if cursor else ""
        rest = [r for r in rows if r["orgId"] > after]
        page = rest[: max(1, min(limit, 100))]
        more = len(rest) > len(page)
        return {"items": page, "nextCursor": _token(page[-1]["orgId"]) if more else None}

    return fake_app("省级保安监管信息系统 (fake)", state, [router])
