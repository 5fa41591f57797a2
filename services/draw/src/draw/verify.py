"""Check a public draw record (draw-algorithm.md §3) the way an outside auditor would.

The record may come from anywhere, so nothing in it is trusted, not even its types: every
problem becomes a reason naming the field, never an exception. Checks run in the order §3
lists them, and the first failure is the answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from draw.algorithm import (
    ALGORITHM,
    Candidate,
    DrawInputError,
    Inspector,
    NoEligibleInspector,
    commitment_sha256,
    commitment_text,
    execute,
    inspectors_digest,
    pool_digest,
    secret_sha256,
    seed,
    selection_dict,
    validate_inputs,
)

FIELDS = (
    "algorithm",
    "draw_id",
    "commitment",
    "commitment_sha256",
    "pool",
    "inspectors",
    "quotas",
    "team_size",
    "entropy_source",
    "server_secret",
    "external_entropy",
    "seed",
    "selections",
)
_HEX = frozenset("0123456789abcdef")


class _Invalid(Exception):
    """Carries the first reason out of nested checks."""


@dataclass(frozen=True)
class _Draw:
    pool: list[Candidate]
    inspectors: list[Inspector]
    secret: bytes


def verify_record(record: object) -> str | None:
    """None if the record is valid, else the first reason it is not."""
    try:
        _verify(record)
    except _Invalid as problem:
        return str(problem)
    except RecursionError:
        return "record is nested too deeply to check"
    except Exception as error:  # an auditor's tool answers; it never crashes on what it is fed
        return f"record could not be checked ({type(error).__name__}: {error})"
    return None


def _verify(record: object) -> None:
    if not isinstance(record, dict):
        raise _Invalid("record must be a JSON object")
    for field in FIELDS:
        if field not in record:
            raise _Invalid(f"missing field: {field}")
    if record["algorithm"] != ALGORITHM:
        raise _Invalid(f"algorithm must be {ALGORITHM}")
    draw = _parse(record)
    _check_digests(record, draw)
    _check_commitment(record, draw)
    _check_seed(record, draw)
    _check_selections(record, draw)


# --- shape ------------------------------------------------------------------------------


def _entries(record: dict, field: str, keys: tuple[str, ...]) -> list[dict]:
    entries = record[field]
    if not isinstance(entries, list):
        raise _Invalid(f"{field} must be a list")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or set(entry) != set(keys):
            raise _Invalid(f"{field}[{index}] must be an object with exactly: {', '.join(keys)}")
    return entries


def _require_string(record: dict, field: str) -> None:
    if not isinstance(record[field], str):
        raise _Invalid(f"{field} must be a string")


def _secret(record: dict) -> bytes:
    value = record["server_secret"]
    if not isinstance(value, str) or len(value) != 64 or not set(value) <= _HEX:
        raise _Invalid("server_secret must be 64 lowercase hex digits")
    return bytes.fromhex(value)


def _parse(record: dict) -> _Draw:
    pool = [
        Candidate(e["entity_id"], e["stratum"], e["weight"])
        for e in _entries(record, "pool", ("entity_id", "stratum", "weight"))
    ]
    inspectors = []
    for index, entry in enumerate(_entries(record, "inspectors", ("inspector_id", "conflicts"))):
        if not isinstance(entry["conflicts"], list):
            raise _Invalid(f"inspectors[{index}].conflicts must be a list")
        inspectors.append(Inspector(entry["inspector_id"], tuple(entry["conflicts"])))
    if not isinstance(record["quotas"], dict):
        raise _Invalid("quotas must be an object")
    for field in ("draw_id", "commitment", "commitment_sha256", "entropy_source", "external_entropy", "seed"):
        _require_string(record, field)
    try:
        validate_inputs(
            record["draw_id"], pool, inspectors, record["team_size"], record["quotas"], record["entropy_source"]
        )
        record["external_entropy"].encode()
    except DrawInputError as bad:
        raise _Invalid(f"invalid {bad.field}: {bad.message}") from None
    except UnicodeEncodeError:
        raise _Invalid("external_entropy must be valid Unicode text") from None
    return _Draw(pool, inspectors, _secret(record))


# --- §3 checks, in order ----------------------------------------------------------------


def _said(commitment: str, label: str) -> str | None:
    """What the commitment's `label:` line says, if it has one."""
    for line in commitment.split("\n"):
        if line.startswith(label + ":"):
            return line[len(label) + 1 :]
    return None


def _check_digests(record: dict, draw: _Draw) -> None:
    said, actual = _said(record["commitment"], "pool"), pool_digest(draw.pool)
    if said != actual:
        raise _Invalid(f"pool_digest mismatch: commitment says {said or '(nothing)'}, pool hashes to {actual}")
    said, actual = _said(record["commitment"], "inspectors"), inspectors_digest(draw.inspectors)
    if said != actual:
        raise _Invalid(
            f"inspectors_digest mismatch: commitment says {said or '(nothing)'}, inspectors hash to {actual}"
        )


def _check_commitment(record: dict, draw: _Draw) -> None:
    commitment = record["commitment"]
    secret_hash = _said(commitment, "secret_sha256") or ""
    try:
        expected = commitment_text(
            record["draw_id"],
            draw.pool,
            draw.inspectors,
            record["team_size"],
            record["quotas"],
            secret_hash,
            record["entropy_source"],
        )
    except DrawInputError as bad:
        raise _Invalid(f"commitment {bad.field} {bad.message}") from None
    if commitment != expected:
        raise _Invalid(
            f"commitment text is not what §1 builds from the record: {_first_difference(commitment, expected)}"
        )
    if record["commitment_sha256"] != commitment_sha256(commitment):
        said, actual = record["commitment_sha256"], commitment_sha256(commitment)
        raise _Invalid(f"commitment_sha256 mismatch: record says {said}, commitment hashes to {actual}")
    if secret_sha256(draw.secret) != secret_hash:
        raise _Invalid("server_secret does not hash to the commitment's secret_sha256")


def _first_difference(actual: str, expected: str) -> str:
    got, want = actual.split("\n"), expected.split("\n")
    for number, (line, wanted) in enumerate(zip(got, want, strict=False), start=1):
        if line != wanted:
            return f"line {number} is {json.dumps(line)}, expected {json.dumps(wanted)}"
    return f"it has {len(got) - 1} lines, expected {len(want) - 1} (each ending in LF)"


def _check_seed(record: dict, draw: _Draw) -> None:
    recomputed = seed(record["commitment"], draw.secret, record["external_entropy"]).hex()
    if record["seed"] != recomputed:
        raise _Invalid(f"seed does not recompute: record says {record['seed']}, §2 gives {recomputed}")


def _check_selections(record: dict, draw: _Draw) -> None:
    selections = record["selections"]
    if not isinstance(selections, list):
        raise _Invalid("selections must be a list")
    try:
        expected = execute(
            bytes.fromhex(record["seed"]), draw.pool, draw.inspectors, record["team_size"], record["quotas"]
        )
    except NoEligibleInspector as failure:
        raise _Invalid(f"selections cannot exist: the draw fails with {failure}") from None
    for index, wanted in enumerate(expected):
        if index >= len(selections) or _canonical(selections[index]) != _canonical(selection_dict(wanted)):
            raise _Invalid(f"selections differ at position {index + 1}")
    if len(selections) > len(expected):
        raise _Invalid(f"selections differ at position {len(expected) + 1}: §2 selects only {len(expected)}")


def _canonical(value: object) -> str:
    """JSON text, so that 1, 1.0 and true, equal to Python, still count as different."""
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)
