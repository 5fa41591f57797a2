"""市、县公安机关市场主体名录: entertainment venues, seal engravers and pawn shops, one list per
bureau, each paged by offset/limit. Wire format in registry.fakes.market."""

from typing import Any

from registry.sources import Page, Record
from registry.sources.fields import Mapper, map_rows
from registry.sources.http import SourceClient, SourceError

TRADES = {"YL": ("entertainment", "venue"), "KZ": ("special_trade", "seal_engraving"), "DD": ("special_trade", "pawn")}
LODGING = {"1": True, "0": False}


def to_record(raw: dict[str, Any], row: int) -> Record:
    m = Mapper(raw)
    ref = str(raw.get("zch") or "").strip()
    m.fields.update({"id": f"MKT-{ref}", "flags": {}})
    trade = m.code("sector", "hylb", raw.get("hylb"), TRADES)
    if trade:
        m.fields["sector"], m.fields["subtype"] = trade
    for ours, theirs in (
        ("name", "mc"),
        ("credit_code", "xydm"),
        ("division_code", "qh"),
        ("grade", "fjdj"),
        ("legal_rep_name", "fr"),
        ("legal_rep_id_number", "frzjhm"),
        ("address", "dz"),
    ):
        m.text(ours, raw.get(theirs))
    lodging = str(raw.get("sfzs") or "").strip()
    if lodging in LODGING:
        m.fields["flags"]["lodging"] = LODGING[lodging]
    elif lodging:
        m.problems.append(("flags.lodging", f"sfzs: {lodging!r} is not 1 or 0"))
    m.day("established_date", "clrq", raw.get("clrq"))
    m.dated("complaint", "ts", list(raw.get("ts") or []), "ts")
    m.dated("penalty", "cf", list(raw.get("cf") or []), "cf")
    version = str(raw["bb"]) if raw.get("bb") is not None else None
    return Record(
        "entity", f"MKT-{ref}" if ref else None, ref or None, version, m.fields, m.problems, m.signals, raw, row
    )


class MarketAdapter:
    name = "market"
    title_zh = "市、县公安机关市场主体名录"
    paging = "one list per bureau (GET /mlk/bureaus), each ?offset=&limit=, answer {total, rows}"
    encoding = "JSON (UTF-8)"
    incremental = False

    async def fetch(
        self, client: SourceClient, checkpoint: dict[str, Any] | None, since: str | None, size: int
    ) -> Page:
        state = dict(checkpoint or {})
        if "bureaus" not in state:
            listing = await self._json(client, "/mlk/bureaus", {})
            state = {"bureaus": [b["code"] for b in listing.get("bureaus", [])], "bureau": 0, "offset": 0, "row": 0}
        if not state["bureaus"]:
            return Page([], None)
        code, offset = state["bureaus"][state["bureau"]], int(state["offset"])
        body = await self._json(client, f"/mlk/bureaus/{code}/entities", {"offset": offset, "limit": size})
        rows = body.get("rows") or []
        records = map_rows(rows, to_record, int(state["row"]) + 1)
        state["row"] = int(state["row"]) + len(rows)
        if rows and offset + len(rows) < int(body.get("total") or 0):
            return Page(records, state | {"offset": offset + len(rows)})
        if state["bureau"] + 1 < len(state["bureaus"]):
            return Page(records, state | {"bureau": state["bureau"] + 1, "offset": 0})
        return Page(records, None)

    @staticmethod
    async def _json(client: SourceClient, path: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            body = (await client.get(path, params)).json()
        except ValueError:
            raise SourceError(f"market: {path} did not answer JSON") from None
        if not isinstance(body, dict):
            raise SourceError(f"market: unexpected answer from {path}")
        return body


ADAPTER = MarketAdapter()
