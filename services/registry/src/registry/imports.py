"""Bulk import of entities from a CSV file (UTF-8 or GBK, as spreadsheets in the bureau export) or
a JSON list, row by row: valid rows are kept, each invalid row is reported with its row number,
field and reason. A file that cannot be read as a whole (encoding, quoting, header) is refused
before anything is written.
"""

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from registry.catalog import SECTORS
from registry.rules import SECTOR_FLAGS, Problem, duplicate_problems, validate_row
from registry.runs import add_errors, blank_run, new_run_id, run_view
from registry.schemas import EntityIn
from registry.service import entity_row, reject, write_entities
from shared.problems import ProblemError

ENCODINGS = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "gbk": "gbk", "gb2312": "gbk", "gb18030": "gb18030"}
ERRORS_SHOWN = 1000  # in the response; every error stays at GET /v1/sync-runs/{id}/errors
REQUIRED_COLUMNS = ("id", "sector", "subtype", "name", "credit_code", "division_code")
ALL_FLAGS = sorted(set().union(*SECTOR_FLAGS.values()))
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("编号", "主体编号"),
    "sector": ("行业",),
    "subtype": ("类别", "行业类别"),
    "name": ("名称", "单位名称"),
    "credit_code": ("统一社会信用代码",),
    "division_code": ("行政区划代码", "行政区划"),
    "grade": ("治安分级", "分级"),
    "lodging": ("提供住宿", "是否提供住宿"),
    "key_unit": ("消防安全重点单位",),
    "crowded_place": ("人员密集场所",),
    "public_gathering": ("公众聚集场所",),
    "flammable_explosive": ("易燃易爆",),
    "abnormal_list": ("经营异常名录",),
    "legal_rep_name": ("法定代表人",),
    "legal_rep_id_number": ("法定代表人身份证号", "身份证号"),
    "address": ("地址",),
    "established_date": ("成立日期",),
    "closed_date": ("注销日期",),
    "active": ("在营",),
}
HEADER_NAMES = {alias: name for name, aliases in COLUMN_ALIASES.items() for alias in (name, *aliases)}
TRUE_WORDS = {"是", "有", "y", "yes", "true", "1"}
FALSE_WORDS = {"否", "无", "n", "no", "false", "0"}
SECTOR_WORDS = {spec["name_zh"]: code for code, spec in SECTORS.items()}
SUBTYPE_WORDS = {(code, zh): sub for code, spec in SECTORS.items() for sub, zh in spec["subtypes"].items()}


class BadFile(ProblemError):
    """The file as a whole cannot be read: nothing in it is imported."""

    def __init__(self, slug: str, field: str, detail: str) -> None:
        super().__init__(422, slug, "The file cannot be imported", detail, field=field)


@dataclass
class ParsedRow:
    row: int
    raw: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)


def decode(body: bytes, encoding: str) -> str:
    """The text of the upload, or a clear refusal naming the encoding to declare instead."""
    codec = ENCODINGS.get(encoding.lower())
    if codec is None:
        raise BadFile("encoding", "encoding", f"{encoding!r} is not supported (utf-8, gbk, gb18030)")
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        hint = "; a GBK file needs ?encoding=gbk" if codec.startswith("utf") else "; is it UTF-8?"
        raise BadFile(
            "encoding", "body", f"not valid {encoding} at byte {exc.start} (0x{body[exc.start]:02x}){hint}"
        ) from None
    if not codec.startswith("utf") and not body.isascii() and _is_utf8(body):
        raise BadFile("encoding", "body", f"declared {encoding} but the file is UTF-8; send it without ?encoding")
    if "\x00" in text:
        raise BadFile("malformed-csv", "body", "contains NUL characters: not a text file")
    return text


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def parse_csv(text: str, *, row_offset: int = 0) -> list[ParsedRow]:
    """Rows numbered as a spreadsheet shows them (the header is row 1), plus `row_offset`."""
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise BadFile("malformed-csv", "body", f"not CSV: {exc}") from None
    records = [r for r in records if any(cell.strip() for cell in r)]
    if not records:
        raise BadFile("malformed-csv", "body", "the file is empty")
    columns = _header(records[0])
    rows = []
    for number, record in enumerate(records[1:], start=2 + row_offset):
        if len(record) != len(columns):
            detail = f"row {number} has {len(record)} fields, the header has {len(columns)}"
            raise BadFile("malformed-csv", "body", detail)
        rows.append(csv_row(number, dict(zip(columns, record, strict=True))))
    if not rows:
        raise BadFile("malformed-csv", "body", "the file has a header but no rows")
    return rows


def _header(cells: list[str]) -> list[str]:
    columns = [HEADER_NAMES.get(cell.strip().lstrip("\ufeff"), "") for cell in cells]
    unknown = [cell for cell, name in zip(cells, columns, strict=True) if not name]
    if unknown:
        raise BadFile("malformed-csv", "header", f"unknown columns {unknown}; known: {sorted(COLUMN_ALIASES)}")
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise BadFile("malformed-csv", "header", f"missing columns {missing}")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise BadFile("malformed-csv", "header", f"columns given twice: {repeated}")
    return columns


def csv_row(number: int, cells: dict[str, str]) -> ParsedRow:
    """Spreadsheet words to typed values; a blank cell is "not given"."""
    parsed = ParsedRow(number, {})
    values = {k: v.strip() for k, v in cells.items() if v.strip()}
    for name, value in values.items():
        if name in ALL_FLAGS or name == "active":
            _boolean(parsed, name, value)
        elif name.endswith("_date"):
            _date(parsed, name, value)
        elif name == "sector":
            parsed.raw[name] = SECTOR_WORDS.get(value, value)
        else:
            parsed.raw[name] = value
    sector = parsed.raw.get("sector", "")
    if "subtype" in parsed.raw:
        parsed.raw["subtype"] = SUBTYPE_WORDS.get((sector, parsed.raw["subtype"]), parsed.raw["subtype"])
    parsed.raw["flags"] = {f: parsed.raw.pop(f) for f in ALL_FLAGS if f in parsed.raw}
    return parsed


def _boolean(parsed: ParsedRow, name: str, value: str) -> None:
    word = value.lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        parsed.raw[name] = word in TRUE_WORDS
    else:
        field = name if name == "active" else f"flags.{name}"
        parsed.problems.append((field, f"{value!r} is not yes/no (是/否, Y/N, 1/0)"))


def _date(parsed: ParsedRow, name: str, value: str) -> None:
    """YYYY-MM-DD or the YYYYMMDD the provincial systems export."""
    digits = value.replace("-", "").replace("/", "")
    try:
        if len(digits) != 8 or not digits.isdigit():
            raise ValueError
        parsed.raw[name] = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        parsed.problems.append((name, f"{value!r} is not a date (YYYY-MM-DD or YYYYMMDD)"))


def parse_json(body: bytes) -> list[ParsedRow]:
    """{"entities": [...]}: rows numbered from 0 as the list index."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadFile("validation", "body", f"not valid JSON ({exc})") from None
    items = document.get("entities") if isinstance(document, dict) else None
    if not isinstance(items, list) or not items:
        raise BadFile("validation", "entities", 'expected {"entities": [ ... ]} with at least one row')
    rows = []
    for i, item in enumerate(items):
        row = ParsedRow(i, item if isinstance(item, dict) else {})
        if not isinstance(item, dict):
            row.problems.append(("row", "must be a JSON object"))
        rows.append(row)
    return rows


async def import_entities(
    session: AsyncSession, rows: list[ParsedRow], *, by: str, all_or_nothing: bool, now: datetime
) -> dict[str, Any]:
    """Validate every row, keep the valid ones, record the run and its errors (in one transaction)."""
    errors: list[dict[str, Any]] = []
    valid: list[tuple[int, EntityIn]] = []
    for parsed in rows:
        entity, problems = (None, parsed.problems) if parsed.problems else validate_row(parsed.raw, strict=True)
        if entity is None:
            errors += [_error(parsed, f, reason) for f, reason in problems]
        else:
            valid.append((parsed.row, entity))
    duplicates, by_row = duplicate_problems(valid), {p.row: p for p in rows}
    errors += [_error(by_row[n], *problem) for n, problem in duplicates.items()]
    if all_or_nothing and errors:
        raise reject([{"field": f"row {e['row']}: {e['field']}", "message": e["reason"]} for e in errors])
    kept = [entity_row(e, "import") for n, e in valid if n not in duplicates]
    inserted, updated = await write_entities(session, kept, now=now)
    run = blank_run(new_run_id(), source="import", mode="import", status="succeeded", trigger="import", by=by, now=now)
    run.started_at = run.finished_at = now
    run.records_seen, run.inserted, run.updated = len(rows), inserted, updated
    run.unchanged, run.rejected = len(kept) - inserted - updated, len({e["row"] for e in errors})
    session.add(run)
    await session.flush()
    errors.sort(key=lambda e: e["row"])
    await add_errors(session, run.id, errors)
    return run_view(run) | {"errors": errors[:ERRORS_SHOWN], "errors_total": len(errors)}


def _error(parsed: ParsedRow, field_name: str, reason: str) -> dict[str, Any]:
    ref = parsed.raw.get("id") if isinstance(parsed.raw.get("id"), str) else None
    return {"row": parsed.row, "source_ref": ref, "field": field_name, "reason": reason, "raw": parsed.raw}


CSV_TYPES = ("text/csv", "text/plain", "application/csv", "application/vnd.ms-excel")


def rows_from_upload(
    body: bytes, content_type: str, *, encoding: str | None, row_offset: int, max_bytes: int, max_rows: int
) -> list[ParsedRow]:
    """The upload's rows, or a problem that names what to fix: size, media type, encoding, shape."""
    if len(body) > max_bytes:
        detail = f"{len(body)} bytes; at most {max_bytes} per upload (ssj registry import splits larger files)"
        raise ProblemError(413, "too-large", "Upload too large", detail, field="body")
    media, _, parameters = content_type.partition(";")
    charset = next((p.split("=", 1)[1].strip().strip('"') for p in parameters.split(";") if "charset=" in p), None)
    if media.strip().lower() == "application/json":
        rows = parse_json(body)
    elif media.strip().lower() in CSV_TYPES:
        rows = parse_csv(decode(body, encoding or charset or "utf-8"), row_offset=row_offset)
    else:
        detail = f"Content-Type {media.strip() or '(none)'!r}: send text/csv (charset utf-8 or gbk) or application/json"
        raise ProblemError(415, "unsupported-media-type", "Unsupported upload type", detail, field="Content-Type")
    if len(rows) > max_rows:
        detail = f"{len(rows)} rows; at most {max_rows} per upload (ssj registry import splits larger files)"
        raise ProblemError(413, "too-large", "Upload too large", detail, field="body")
    return rows
