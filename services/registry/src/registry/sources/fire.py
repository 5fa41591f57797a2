"""消防监督管理系统: social units (fire_safety / unit) and fire inspectors, as GBK-encoded CSV pages
(?page=&rows=, X-Total-Pages). Units first, then inspectors. Wire format in registry.fakes.fire."""

import csv
import io
from typing import Any

from registry.sources import Page, Record
from registry.sources.fields import Mapper
from registry.sources.http import SourceClient, SourceError

YES_NO = {"是": True, "否": False}
ON_DUTY = {"在岗": True, "离岗": False}
FLAG_COLUMNS = {
    "key_unit": "消防安全重点单位",
    "crowded_place": "人员密集场所",
    "public_gathering": "公众聚集场所",
    "flammable_explosive": "易燃易爆",
}
SIGNAL_COLUMNS = {
    "fire": "火灾日期",
    "penalty": "行政处罚日期",
    "hidden_hazard": "重大隐患日期",
    "complaint": "投诉日期",
}
TABLES = {"units": "/export/shdw.csv", "inspectors": "/export/jcry.csv"}


def _list(value: str | None) -> list[str]:
    return [part for part in (value or "").split(";") if part.strip()]


def unit_record(raw: dict[str, str], row: int) -> Record:
    m = Mapper(raw)
    ref = (raw.get("单位编号") or "").strip()
    m.fields.update({"id": f"FIRE-{ref}", "sector": "fire_safety", "subtype": "unit", "flags": {}})
    for ours, theirs in (
        ("name", "单位名称"),
        ("credit_code", "统一社会信用代码"),
        ("division_code", "行政区划"),
        ("legal_rep_name", "法定代表人"),
        ("legal_rep_id_number", "法定代表人身份证号"),
        ("address", "单位地址"),
    ):
        m.text(ours, raw.get(theirs))
    m.day("established_date", "成立日期", raw.get("成立日期"))
    for flag, column in FLAG_COLUMNS.items():
        value = (raw.get(column) or "").strip()
        if value in YES_NO:
            m.fields["flags"][flag] = YES_NO[value]
        else:
            m.problems.append((f"flags.{flag}", f"{column}: {value!r} is not 是 or 否"))
    for kind, column in SIGNAL_COLUMNS.items():
        m.dated(kind, column, _list(raw.get(column)), column)
    return Record(
        "entity",
        f"FIRE-{ref}" if ref else None,
        ref or None,
        raw.get("更新时间"),
        m.fields,
        m.problems,
        m.signals,
        raw,
        row,
    )


def inspector_record(raw: dict[str, str], row: int) -> Record:
    m = Mapper(raw)
    ref = (raw.get("人员编号") or "").strip()
    m.fields.update({"id": f"FI-{ref}", "unit": "fire_supervision"})
    m.text("name", raw.get("姓名"))
    m.text("unit_name", raw.get("所属单位"))
    m.text("jurisdiction", raw.get("辖区"))
    m.code("active", "在岗状态", (raw.get("在岗状态") or "").strip(), ON_DUTY)
    expires = m.day("qualification_expires_date", "资格有效期至", raw.get("资格有效期至"))
    if expires:
        number = (raw.get("执法资格证号") or "").strip() or None
        m.fields["qualifications"] = [{"kind": "fire_inspection", "number": number, "expires_date": expires}]
    reason = (raw.get("回避事由") or "").strip() or "已申报回避"
    recused = [f"FIRE-{unit.strip()}" for unit in _list(raw.get("回避单位编号"))]
    m.fields["conflict_details"] = [{"entity_id": e, "reason": reason} for e in recused]
    return Record(
        "inspector",
        f"FI-{ref}" if ref else None,
        ref or None,
        raw.get("更新时间"),
        m.fields,
        m.problems,
        m.signals,
        raw,
        row,
    )


def parse_page(content: bytes, table: str, first_row: int) -> list[Record]:
    """Rows of one GBK page; a ragged row is one rejected record, not a failed page."""
    try:
        text = content.decode("gbk")
    except UnicodeDecodeError as exc:
        raise SourceError(f"fire: page is not GBK (byte {exc.start})") from None
    lines = list(csv.reader(io.StringIO(text, newline="")))
    if not lines:
        raise SourceError("fire: empty page, not even a header")
    header, records = [h.strip() for h in lines[0]], []
    build = unit_record if table == "units" else inspector_record
    kind = "entity" if table == "units" else "inspector"
    for i, cells in enumerate(lines[1:]):
        row = first_row + i
        if len(cells) != len(header):
            prefix = {"units": "FIRE-", "inspectors": "FI-"}[table]
            ref = cells[0].strip() if cells else ""
            problem = ("row", f"{len(cells)} fields where the header has {len(header)}")
            records.append(
                Record(kind, prefix + ref if ref else None, ref or None, None, {}, [problem], raw=cells, row=row)
            )
            continue
        records.append(build(dict(zip(header, cells, strict=True)), row))
    return records


class FireAdapter:
    name = "fire"
    title_zh = "消防监督管理系统（社会单位库、消防执法检查人员库）"
    paging = "page/rows CSV: ?page=&rows=, headers X-Total-Pages, X-Total-Count; units then inspectors"
    encoding = "CSV in GBK"
    incremental = False

    async def fetch(
        self, client: SourceClient, checkpoint: dict[str, Any] | None, since: str | None, size: int
    ) -> Page:
        state = checkpoint or {"table": "units", "page": 1}
        table, page = str(state["table"]), int(state["page"])
        response = await client.get(TABLES[table], {"page": page, "rows": size})
        records = parse_page(response.content, table, (page - 1) * size + 2)
        pages = int(response.headers.get("x-total-pages") or 0)
        units = int(state.get("units", 0))  # the units' count, once the inspectors are being read
        total = int(response.headers.get("x-total-count") or 0) + units
        if page < pages:
            nxt: dict[str, Any] | None = {"table": table, "page": page + 1, "units": units}
        else:
            nxt = {"table": "inspectors", "page": 1, "units": total} if table == "units" else None
        return Page(records, nxt, total=total)


ADAPTER = FireAdapter()
