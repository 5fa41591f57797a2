"""市公安局网安支队网吧名录: internet cafés, with the abnormal-operation list flag. Keyset paging
(?after=<last wbbh>). Wire format in registry.fakes.netcafe."""

from typing import Any

from registry.risk import Signal
from registry.sources import Page, Record
from registry.sources.fields import Mapper, map_rows, ymd
from registry.sources.http import SourceClient, SourceError

ABNORMAL = {"1": True, "0": False}


def to_record(raw: dict[str, Any], row: int) -> Record:
    m = Mapper(raw)
    ref = str(raw.get("wbbh") or "").strip()
    m.fields.update({"id": f"NET-{ref}", "sector": "internet_cafe", "subtype": "cafe", "flags": {}})
    for ours, theirs in (
        ("name", "wbmc"),
        ("credit_code", "xydm"),
        ("division_code", "xzqh"),
        ("legal_rep_name", "fzr"),
        ("legal_rep_id_number", "fzrsfz"),
        ("address", "dz"),
    ):
        m.text(ours, raw.get(theirs))
    m.day("established_date", "kyrq", raw.get("kyrq"))
    listed = str(raw.get("jyyc") or "").strip()
    if listed in ABNORMAL:
        m.fields["flags"]["abnormal_list"] = ABNORMAL[listed]
    else:
        m.problems.append(("flags.abnormal_list", f"jyyc: {listed!r} is not 1 or 0"))
    since = ymd(str(raw.get("jyycrq") or ""))
    if ABNORMAL.get(listed) and since:
        m.signals.append(Signal("abnormal_list", since, f"jyyc:{since:%Y%m%d}"))
    m.dated("complaint", "tsrq", str(raw.get("tsrq") or "").split(","), "tsrq")
    for case in raw.get("yzwf") or []:
        number = str(case.get("ajbh") or "")
        m.signal("serious_violation", "yzwf.wfrq", case.get("wfrq"), f"yzwf:{number}", {"case_no": number})
    version = str(raw.get("xgsj") or "") or None
    return Record(
        "entity", f"NET-{ref}" if ref else None, ref or None, version, m.fields, m.problems, m.signals, raw, row
    )


class NetcafeAdapter:
    name = "netcafe"
    title_zh = "市公安局网安支队网吧名录"
    paging = "keyset: ?after=<last wbbh>&n=, answer {ret, data, more}"
    encoding = "JSON (UTF-8)"
    incremental = False

    async def fetch(
        self, client: SourceClient, checkpoint: dict[str, Any] | None, since: str | None, size: int
    ) -> Page:
        state = checkpoint or {"after": "", "row": 0}
        try:
            body = (await client.get("/wa/wb/list", {"after": state["after"], "n": size})).json()
        except ValueError:
            raise SourceError("netcafe: the answer is not JSON") from None
        if not isinstance(body, dict) or body.get("ret") != 0 or not isinstance(body.get("data"), list):
            raise SourceError(f"netcafe: ret {body.get('ret') if isinstance(body, dict) else body!r}")
        rows = body["data"]
        records = map_rows(rows, to_record, int(state["row"]) + 1)
        last = rows[-1].get("wbbh") if rows and isinstance(rows[-1], dict) else None
        more = bool(body.get("more")) and last is not None
        return Page(records, {"after": last, "row": int(state["row"]) + len(rows)} if more else None)


ADAPTER = NetcafeAdapter()
