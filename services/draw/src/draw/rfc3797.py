"""RFC 3797 ("Publicly Verifiable NomCom Random Selection") selection, draw-algorithm.md §5.

Offered for unweighted single-stratum draws and as an auditor's tool, so it must reproduce the
RFC's own worked example (§6) exactly. Canonical values follow RFC 3797 §4 and the reference
code the RFC publishes: an integer is written in decimal with leading zeros suppressed and
terminated by a period ("0009" -> "9."); a value with a fraction keeps the period between
whole and fractional part, drops trailing zeros of the fraction and gets no second period
("3.1400" -> "3.14", "2.000" -> "2."). Values of a source are sorted from smallest to largest
(numerically, as the RFC's example shows: 2 5 12 8 10 -> "2.5.8.10.12./") and each source
ends in "/"; sources stay in their published order.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right, insort
from collections.abc import Iterable, Sequence

from draw.algorithm import DrawInputError

MAX_SELECTIONS = 1 << 16  # the draw index is hashed as two bytes
_VALUE = re.compile(r"([0-9]*)(?:\.([0-9]*))?", re.ASCII)
_SEPARATORS = re.compile(r"[\s,]+")


def canonical_value(value: str | int) -> str:
    """One value as RFC 3797 §4 writes it."""
    return _written(*_parts(value, "value"))


def _written(whole: str, fraction: str) -> str:
    return f"{whole}.{fraction}" if fraction else f"{whole}."


def _parts(value: object, field: str) -> tuple[str, str]:
    """(whole, fraction) without leading zeros in the one and trailing zeros in the other."""
    if type(value) is int and value >= 0:
        value = str(value)
    match = _VALUE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or not (match.group(1) or match.group(2)):
        raise DrawInputError(field, f"{value!r} is not a non-negative decimal number")
    whole = match.group(1).lstrip("0") or "0"
    fraction = (match.group(2) or "").rstrip("0")
    return whole, fraction


def canonical_source(values: str | Iterable[str | int], field: str = "source") -> str:
    """A source's values, smallest first, each canonical, closed by "/".

    A string source is split on spaces and commas ("2 5 12", "2, 5, 12"). Numbers sort by value:
    without leading zeros, a longer whole part is larger, and fractions without trailing zeros
    compare digit by digit like strings.
    """
    items = _SEPARATORS.split(values.strip()) if isinstance(values, str) else list(values)
    items = [item for item in items if item != ""]
    if not items:
        raise DrawInputError(field, "has no values")
    parts = [_parts(item, field) for item in items]
    parts.sort(key=lambda part: (len(part[0]), part[0], part[1]))
    return "".join(_written(whole, fraction) for whole, fraction in parts) + "/"


def key_string(sources: Sequence[str | Iterable[str | int]]) -> str:
    if isinstance(sources, str) or not sources:
        raise DrawInputError("sources", "give at least one source, as a list")
    return "".join(canonical_source(source, f"sources[{index}]") for index, source in enumerate(sources))


def _nth_remaining(taken: list[int], n: int) -> int:
    """The n-th (from 0) position not yet taken; `taken` is sorted. Binary search, so a large
    pool costs nothing to hold: positions below x that are free number x + 1 - taken(<= x)."""
    low, high = n, n + len(taken)
    while low < high:
        middle = (low + high) // 2
        if middle + 1 - bisect_right(taken, middle) > n:
            high = middle
        else:
            low = middle + 1
    return low


def select(pool_size: int, count: int, sources: Sequence[str | Iterable[str | int]]) -> list[int]:
    """Positions 1..pool_size in selection order: draw i (from 0) hashes
    MD5(BE16(i) || key || BE16(i)) and takes the (INT(hash) mod remaining)+1-th free position."""
    if type(pool_size) is not int or pool_size < 1:
        raise DrawInputError("pool_size", "must be an integer >= 1")
    if type(count) is not int or not 0 <= count <= min(pool_size, MAX_SELECTIONS):
        raise DrawInputError("count", f"must be an integer from 0 to {min(pool_size, MAX_SELECTIONS)}")
    key = key_string(sources).encode()
    taken: list[int] = []
    selected: list[int] = []
    for i in range(count):
        prefix = i.to_bytes(2, "big")
        digest = hashlib.md5(prefix + key + prefix, usedforsecurity=False).digest()
        position = _nth_remaining(taken, int.from_bytes(digest, "big") % (pool_size - i))
        insort(taken, position)
        selected.append(position + 1)
    return selected


def rfc3797_team_seed(key: str) -> bytes:
    """§5: teams for an RFC 3797 draw follow §2 with seed = H(key string)."""
    return hashlib.sha256(key.encode()).digest()
