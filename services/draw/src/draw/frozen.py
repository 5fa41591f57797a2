"""How a frozen target pool is stored: the §1 pool text itself, and the registry snapshot of every
candidate, each as one compressed value.

A million candidates as a million rows cost seconds to write and read back; as the pool text
they cost one value, and the text is exactly what the commitment's pool digest covers, so the
stored pool proves itself. The snapshot is tab-separated in PostgreSQL COPY text escaping (the
form a registry export arrives in), with a header naming the columns; execution reads only the
lines of the entities it selected.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any, NamedTuple

from draw.algorithm import ALGORITHM, Candidate

SNAPSHOT_COLUMNS = (
    "id",
    "sector",
    "subtype",
    "name",
    "credit_code",
    "division_code",
    "grade",
    "flags",
    "version",
    "risk",
)
NULL = "\\N"
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_UNESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


class PoolEntity(NamedTuple):
    """A registry entity as the draw needs it; `line` keeps the export line it came from."""

    id: str
    sector: str
    subtype: str
    name: str
    credit_code: str
    division_code: str
    grade: str | None
    flags: dict[str, Any]
    active: bool
    version: int
    risk: Any = None
    line: str | None = None


def escape(value: object) -> str:
    if value is None:
        return NULL
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if any(char in text for char in _ESCAPES):
        text = "".join(_ESCAPES.get(char, char) for char in text)
    return text


def unescape(field: str) -> str | None:
    if field == NULL:
        return None
    if "\\" not in field:
        return field
    out, chars = [], iter(field)
    for char in chars:
        out.append(_UNESCAPES.get(next(chars, ""), "") if char == "\\" else char)
    return "".join(out)


def snapshot_line(entity: PoolEntity) -> str:
    if entity.line is not None:
        return entity.line
    flags = entity.flags or {}
    values = (entity.id, entity.sector, entity.subtype, entity.name, entity.credit_code, entity.division_code)
    return "\t".join(
        [*map(escape, values), escape(entity.grade), escape(flags), str(entity.version), escape(entity.risk)]
    )


def snapshot_bytes(header: Iterable[str], entities: Iterable[PoolEntity]) -> bytes:
    """Header, then one line per entity in the order given (the pool's order: by id); compress
    with `compress` (zlib releases the GIL, so a caller may do it beside other work)."""
    lines = ["\t".join(header)]
    lines += [e.line if e.line is not None else snapshot_line(e) for e in entities]
    lines.append("")
    return "\n".join(lines).encode()  # one join, one encode: a million lines are ~100 MB of text


def compress(data: bytes) -> bytes:
    return zlib.compress(data, 1)


def encode_snapshot(header: Iterable[str], entities: Iterable[PoolEntity]) -> bytes:
    return compress(snapshot_bytes(header, entities))


def snapshots_of(raw: bytes, positions: Mapping[str, int]) -> dict[str, dict[str, Any]]:
    """The snapshot rows of the wanted entities, as {column: value} (flags parsed), from the
    decompressed snapshot. `positions` gives each wanted id's place in the pool text: the snapshot
    holds the same entities in the same order, so each line is found without reading the others."""
    lines = raw.split(b"\n")
    header = lines[0].decode().split("\t")
    found: dict[str, dict[str, Any]] = {}
    for entity_id, position in positions.items():
        line = lines[1 + position].decode() if 1 + position < len(lines) else ""
        if not line.startswith(escape(entity_id) + "\t"):
            raise ValueError(f"the frozen snapshot does not hold {entity_id} at position {position}")
        row = dict(zip(header, map(unescape, line.split("\t")), strict=True))
        row["flags"] = json.loads(row.get("flags") or "{}")
        found[entity_id] = row
    return found


def encode_pool(text: str) -> bytes:
    return zlib.compress(text.encode(), 1)


def decode_pool(blob: bytes) -> tuple[str, str]:
    """The pool text and its SHA-256 in hex, the value the commitment's `pool:` line must carry."""
    raw = zlib.decompress(blob)
    return raw.decode(), hashlib.sha256(raw).hexdigest()


def parse_pool(text: str) -> list[Candidate]:
    """The candidates of a §1 pool text (one `entity_id TAB stratum TAB weight` line each), by
    one split of the whole text: a million lines per second, not per minute."""
    cells = text.replace("\n", "\t").split("\t")
    if len(cells) % 3 != 1 or cells[-1]:
        raise ValueError("not a pool text: every line is entity_id TAB stratum TAB weight LF")
    return list(map(_candidate, zip(cells[0:-1:3], cells[1:-1:3], map(int, cells[2:-1:3]), strict=True)))


# NamedTuple's own constructor is a Python function; tuple.__new__ makes the same tuple in C.
_candidate = partial(tuple.__new__, Candidate)


def commitment_of(
    draw_id: str,
    pool_digest: str,
    inspectors_digest: str,
    team_size: int,
    quotas: Mapping[str, int],
    secret_sha256: str,
    entropy_source: str,
) -> str:
    """§1's commitment text from the digests, so a stored million-entity pool is checked by hashing
    its text once rather than rebuilt; the tests hold it to algorithm.commitment_text."""
    lines = [
        ALGORITHM,
        f"draw:{draw_id}",
        f"pool:{pool_digest}",
        f"inspectors:{inspectors_digest}",
        f"team_size:{team_size}",
        *(f"quota:{stratum}:{quotas[stratum]}" for stratum in sorted(quotas)),
        f"secret_sha256:{secret_sha256}",
        f"entropy_source:{entropy_source}",
    ]
    return "".join(line + "\n" for line in lines)
