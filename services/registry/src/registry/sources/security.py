"""省级保安监管信息系统: security companies, training institutions and armed escorts
(security_service). Opaque cursor paging. Wire format in registry.fakes.security."""

from typing import Any

from registry.sources import Page, Record
from registry.sources.fields import Mapper, map_rows
from registry.sources.http import SourceClient, SourceError

ORG_TYPES = {"BAGS": "company", "BAPX": "training", "WZSY": "armed_escort"}


def to_record(raw: dict[str, Any], row: int) -> Record:
    m = Mapper(raw)
    ref = str(raw.get("orgId") or "").strip()
    m.fields.update({"id": f"SEC-{ref}", "sector": "security_service", "flags": {}})
    for ours, theirs in (
        ("name", "orgName"),
        ("credit_code", "uscc"),
        ("division_code", "regionCode"),
        ("legal_rep_name", "legalPerson"),
        ("legal_rep_id_number", "legalPersonIdNo"),
        ("address", "address"),
    ):
        m.text(ours, raw.get(theirs))
    m.code("subtype", "orgType", raw.get("orgType"), ORG_TYPES)
    m.day("established_date", "licenseDate", raw.get("licenseDate"))
    for complaint in raw.get("complaints") or []:
        ident = str(complaint.get("complaintId") or "")
        m.signal("complaint", "complaints.receivedDate", complaint.get("receivedDate"), f"complaint:{ident}")
    version = str(raw["revision"]) if raw.get("revision") is not None else None
    return Record(
        "entity", f"SEC-{ref}" if ref else None, ref or None, version, m.fields, m.problems, m.signals, raw, row
    )


class SecurityAdapter:
    name = "security"
    title_zh = "省级保安监管信息系统"
    paging = "cursor: ?limit=&cursor=, answer {items, nextCursor}"
    encoding = "JSON (UTF-8)"
    incremental = False

    async def fetch(
        self, client: SourceClient, checkpoint: dict[str, Any] | None, since: str | None, size: int
    ) -> Page:
        state = checkpoint or {}
        params: dict[str, Any] = {"limit": size} | ({"cursor": state["cursor"]} if state.get("cursor") else {})
        try:
            body = (await client.get("/openapi/security-orgs", params)).json()
        except ValueError:
            raise SourceError("security: the answer is not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise SourceError("security: the answer has no items list")
        first = int(state.get("row", 0)) + 1
        records = map_rows(body["items"], to_record, first)
        nxt = body.get("nextCursor")
        return Page(records, {"cursor": nxt, "row": first - 1 + len(records)} if nxt else None)


ADAPTER = SecurityAdapter()
