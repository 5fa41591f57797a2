"""省级旅馆业治安管理信息系统: hotels (special_trade / hotel). Page/size paging over a JSON envelope
whose `code` must be "0000". Wire format in registry.fakes.hotel and docs/sources.md."""

from typing import Any

from registry.sources import Page, Record
from registry.sources.fields import Mapper, map_rows
from registry.sources.http import SourceClient, SourceError

STATUS = {"01": True, "02": True}  # 正常营业, 停业整顿: both still registered


def to_record(raw: dict[str, Any], row: int) -> Record:
    m = Mapper(raw)
    ref = str(raw.get("lgbm") or "").strip()
    m.fields.update({"id": f"HTL-{ref}", "sector": "special_trade", "subtype": "hotel", "flags": {"lodging": True}})
    for ours, theirs in (
        ("name", "lgmc"),
        ("credit_code", "tyshxydm"),
        ("division_code", "ssxq"),
        ("legal_rep_name", "frxm"),
        ("legal_rep_id_number", "frsfzh"),
        ("address", "lgdz"),
    ):
        m.text(ours, raw.get(theirs))
    m.day("established_date", "kyrq", raw.get("kyrq"))
    m.code("active", "jyzt", raw.get("jyzt"), STATUS)
    for penalty in raw.get("xzcf") or []:
        number = str(penalty.get("cfwh") or "")
        m.signal("penalty", "xzcf.cfrq", penalty.get("cfrq"), f"xzcf:{number}", {"decision": number})
    version = str(raw["bbh"]) if raw.get("bbh") is not None else None
    return Record(
        "entity", f"HTL-{ref}" if ref else None, ref or None, version, m.fields, m.problems, m.signals, raw, row
    )


class HotelAdapter:
    name = "hotel"
    title_zh = "省级旅馆业治安管理信息系统"
    paging = "page/size: ?pageNo=&pageSize=, envelope {code, msg, data: {total, list}}"
    encoding = "JSON (UTF-8)"
    incremental = False

    async def fetch(
        self, client: SourceClient, checkpoint: dict[str, Any] | None, since: str | None, size: int
    ) -> Page:
        page = int((checkpoint or {}).get("page", 1))
        response = await client.get("/api/v2/lgxx", {"pageNo": page, "pageSize": size})
        try:
            body = response.json()
        except ValueError:
            raise SourceError("hotel: the answer is not JSON") from None
        if body.get("code") != "0000" or not isinstance(body.get("data"), dict):
            raise SourceError(f"hotel: code {body.get('code')!r} {body.get('msg')!r}")
        data = body["data"]
        rows, total = data.get("list") or [], int(data.get("total") or 0)
        records = map_rows(rows, to_record, (page - 1) * size + 1)
        done = not rows or page * size >= total
        return Page(records, None if done else {"page": page + 1}, total=total)


ADAPTER = HotelAdapter()
