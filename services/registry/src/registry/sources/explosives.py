"""民用爆炸物品管理信息系统: blasting operation units (blasting / commercial, non_commercial).
Since-timestamp paging: (BGSJ, DWBH) after a watermark, so an incremental sync asks only for what
changed. Wire format in registry.fakes.explosives."""

from typing import Any

from registry.sources import Page, Record
from registry.sources.fields import Mapper, map_rows
from registry.sources.http import SourceClient, SourceError

NATURE = {"1": "commercial", "2": "non_commercial"}
ORIGIN = "00000000000000|"


def to_record(raw: dict[str, Any], row: int) -> Record:
    m = Mapper(raw)
    ref = str(raw.get("DWBH") or "").strip()
    m.fields.update({"id": f"BLS-{ref}", "sector": "blasting", "flags": {}})
    for ours, theirs in (
        ("name", "DWMC"),
        ("credit_code", "TYXYDM"),
        ("division_code", "SSXQ"),
        ("legal_rep_name", "FDDBR"),
        ("legal_rep_id_number", "FDDBRSFZH"),
        ("address", "DWDZ"),
    ):
        m.text(ours, raw.get(theirs))
    m.code("subtype", "YYXZ", raw.get("YYXZ"), NATURE)
    m.day("established_date", "CLRQ", raw.get("CLRQ"))
    for hazard in raw.get("YHJL") or []:
        number = str(hazard.get("YHBH") or "")
        m.signal("hidden_hazard", "YHJL.FXRQ", hazard.get("FXRQ"), f"yhjl:{number}", {"hazard_no": number})
    version = str(raw.get("BGSJ") or "") or None
    return Record(
        "entity", f"BLS-{ref}" if ref else None, ref or None, version, m.fields, m.problems, m.signals, raw, row
    )


class ExplosivesAdapter:
    name = "explosives"
    title_zh = "民用爆炸物品管理信息系统"
    paging = "since-timestamp: ?since=YYYYMMDDHHMMSS&after=DWBH&limit=, answer {RESULT, HAS_MORE}"
    encoding = "JSON (UTF-8)"
    incremental = True

    async def fetch(
        self, client: SourceClient, checkpoint: dict[str, Any] | None, since: str | None, size: int
    ) -> Page:
        position = (checkpoint or {}).get("position") or since or ORIGIN
        stamp, _, after = position.partition("|")
        try:
            body = (await client.get("/mbgl/dwxx", {"since": stamp, "after": after, "limit": size})).json()
        except ValueError:
            raise SourceError("explosives: the answer is not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("RESULT"), list):
            raise SourceError(f"explosives: unexpected answer {str(body)[:200]}")
        rows = body["RESULT"]
        first = int((checkpoint or {}).get("row", 0)) + 1
        last = rows[-1] if rows and isinstance(rows[-1], dict) else None
        reached = f"{last.get('BGSJ')}|{last.get('DWBH')}" if last else position
        more = body.get("HAS_MORE") == "Y" and reached != position
        nxt = {"position": reached, "row": first - 1 + len(rows)} if more else None
        return Page(map_rows(rows, to_record, first), nxt, watermark=reached)


ADAPTER = ExplosivesAdapter()
