"""The `ssj-draw-v1` draw (shared/docs/draw-algorithm.md) as pure functions.

Anyone must be able to recompute a draw from its public record, so this module follows the
contract bit for bit. Where it departs from the contract's wording it is only to be fast on a
million-entity pool; the tests hold every such shortcut to a literal transcription of the text.

Python compares `str` by code point, which is the same order as comparing their UTF-8 bytes, so
"sorted by UTF-8 bytes" is plain `sorted()` on the ids.
"""

from __future__ import annotations

import gc
import hashlib
import os
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import compress
from math import isqrt
from operator import attrgetter, itemgetter

ALGORITHM = "ssj-draw-v1"
MAX_WEIGHT = 1000
SECRET_BYTES = 32
_BE32 = tuple(j.to_bytes(4, "big") for j in range(MAX_WEIGHT))
_HEX = frozenset("0123456789abcdef")


class DrawInputError(ValueError):
    """A draw input breaks a §1 rule; names the field so the plan can be fixed, not guessed at."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NoEligibleInspector(Exception):
    """Recusals left nobody for an entity: §2 fails the draw rather than bend its rules."""

    def __init__(self, entity_id: str) -> None:
        super().__init__(f"no eligible inspector for {entity_id}")
        self.entity_id = entity_id


@dataclass(frozen=True, slots=True)
class Candidate:
    entity_id: str
    stratum: str
    weight: int = 1


@dataclass(frozen=True, slots=True)
class Inspector:
    inspector_id: str
    conflicts: Collection[str] = ()


@dataclass(frozen=True, slots=True)
class Selection:
    position: int
    entity_id: str
    stratum: str
    team: tuple[str, ...]


# --- validation -------------------------------------------------------------------------


def _check_text(field: str, value: object, forbidden: str, *, allow_empty: bool = False) -> None:
    if not isinstance(value, str):
        raise DrawInputError(field, "must be a string")
    if not value and not allow_empty:
        raise DrawInputError(field, "must not be empty")
    for char in forbidden:
        if char in value:
            raise DrawInputError(field, f"must not contain {char!r}")
    try:
        value.encode()
    except UnicodeEncodeError:
        raise DrawInputError(field, "must be valid Unicode text (no lone surrogates)") from None


def _check_ids(field_format: str, values: Sequence[object], forbidden: str = "\t\n") -> None:
    """Ids are joined into TAB/LF separated text, so those bytes would make the text ambiguous.

    A whole-list check runs in C (a million ids in a fraction of a second); only a failing list is
    walked one by one, to name the first offender.
    """
    try:
        joined = "".join(values)  # type: ignore[arg-type]
        joined.encode()
        fine = all(values) and not any(char in joined for char in forbidden)
    except (TypeError, UnicodeEncodeError):
        fine = False
    if not fine:
        for index, value in enumerate(values):
            _check_text(field_format.format(index), value, forbidden)


def _check_unique(field_format: str, values: Sequence[str]) -> None:
    if len(set(values)) != len(values):
        seen: set[str] = set()
        for index, value in enumerate(values):
            if value in seen:
                raise DrawInputError(field_format.format(index), f"duplicate {value!r}")
            seen.add(value)


def _check_count(field: str, value: object, low: int, high: int | None = None) -> None:
    if type(value) is not int or value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f">= {low}"
        raise DrawInputError(field, f"must be an integer {bounds}")


def validate_pool(pool: Sequence[Candidate]) -> None:
    ids = [candidate.entity_id for candidate in pool]
    _check_ids("pool[{}].entity_id", ids)
    _check_ids("pool[{}].stratum", [candidate.stratum for candidate in pool])
    weights = [candidate.weight for candidate in pool]
    if weights and (set(map(type, weights)) != {int} or min(weights) < 1 or max(weights) > MAX_WEIGHT):
        for index, weight in enumerate(weights):
            _check_count(f"pool[{index}].weight", weight, 1, MAX_WEIGHT)
    _check_unique("pool[{}].entity_id", ids)


def validate_inspectors(inspectors: Sequence[Inspector]) -> None:
    """Conflicts are joined by "," in the inspector text, so an id holding a comma, or listed
    twice, would let two different recusal lists hash alike, and be chosen after the seed."""
    ids = [inspector.inspector_id for inspector in inspectors]
    _check_ids("inspectors[{}].inspector_id", ids)
    _check_unique("inspectors[{}].inspector_id", ids)
    for index, inspector in enumerate(inspectors):
        conflicts = inspector.conflicts
        if isinstance(conflicts, str | bytes) or not isinstance(conflicts, Collection):
            raise DrawInputError(f"inspectors[{index}].conflicts", "must be a collection of entity ids")
        values = list(conflicts)
        _check_ids(f"inspectors[{index}].conflicts[{{}}]", values, forbidden="\t\n,")
        _check_unique(f"inspectors[{index}].conflicts[{{}}]", values)


def validate_quotas(stratum_sizes: Mapping[str, int], quotas: Mapping[str, int]) -> None:
    if not isinstance(quotas, Mapping):
        raise DrawInputError("quotas", "must map every stratum to a count")
    for stratum in sorted(stratum_sizes):
        if stratum not in quotas:
            raise DrawInputError(f"quotas[{stratum!r}]", "missing: every stratum in the pool needs a quota")
    for stratum in quotas:
        if stratum not in stratum_sizes:
            raise DrawInputError(f"quotas[{stratum!r}]", "no such stratum in the pool")
    for stratum in sorted(quotas):
        _check_count(f"quotas[{stratum!r}]", quotas[stratum], 0, stratum_sizes[stratum])


def validate_team_size(team_size: object) -> None:
    _check_count("team_size", team_size, 1)


def validate_inputs(
    draw_id: str,
    pool: Sequence[Candidate],
    inspectors: Sequence[Inspector],
    team_size: int,
    quotas: Mapping[str, int],
    entropy_source: str,
) -> None:
    """Every §1 rule, checked before anything is hashed, in the order the commitment lists them."""
    _check_text("draw_id", draw_id, "\r\n")
    validate_pool(pool)
    validate_inspectors(inspectors)
    validate_team_size(team_size)
    validate_quotas(Counter(candidate.stratum for candidate in pool), quotas)
    _check_text("entropy_source", entropy_source, "\r\n", allow_empty=True)


def _check_hex(field: str, value: object, size: int) -> None:
    if not isinstance(value, str) or len(value) != 2 * size or not set(value) <= _HEX:
        raise DrawInputError(field, f"must be {2 * size} lowercase hex digits")


def _check_secret(server_secret: object) -> None:
    if not isinstance(server_secret, bytes) or len(server_secret) != SECRET_BYTES:
        raise DrawInputError("server_secret", f"must be {SECRET_BYTES} bytes")


# --- §1 commit -------------------------------------------------------------------------


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def pool_text(pool: Sequence[Candidate]) -> str:
    rows = sorted(pool, key=attrgetter("entity_id"))
    return "".join(f"{c.entity_id}\t{c.stratum}\t{c.weight}\n" for c in rows)


def inspector_text(inspectors: Sequence[Inspector]) -> str:
    rows = sorted(inspectors, key=attrgetter("inspector_id"))
    return "".join(f"{i.inspector_id}\t{','.join(sorted(i.conflicts))}\n" for i in rows)


def pool_digest(pool: Sequence[Candidate]) -> str:
    return _sha256_hex(pool_text(pool))


def inspectors_digest(inspectors: Sequence[Inspector]) -> str:
    return _sha256_hex(inspector_text(inspectors))


def secret_sha256(server_secret: bytes) -> str:
    _check_secret(server_secret)
    return hashlib.sha256(server_secret).hexdigest()


def commitment_text(
    draw_id: str,
    pool: Sequence[Candidate],
    inspectors: Sequence[Inspector],
    team_size: int,
    quotas: Mapping[str, int],
    secret_sha256: str,
    entropy_source: str,
) -> str:
    """The text published before any randomness exists; every byte of it is normative."""
    validate_inputs(draw_id, pool, inspectors, team_size, quotas, entropy_source)
    _check_hex("secret_sha256", secret_sha256, 32)
    lines = [
        ALGORITHM,
        f"draw:{draw_id}",
        f"pool:{pool_digest(pool)}",
        f"inspectors:{inspectors_digest(inspectors)}",
        f"team_size:{team_size}",
        *(f"quota:{stratum}:{quotas[stratum]}" for stratum in sorted(quotas)),
        f"secret_sha256:{secret_sha256}",
        f"entropy_source:{entropy_source}",
    ]
    return "".join(line + "\n" for line in lines)


def commitment_sha256(commitment: str) -> str:
    return _sha256_hex(commitment)


# --- §2 execute ------------------------------------------------------------------------


def seed(commitment: str, server_secret: bytes, external_entropy: str) -> bytes:
    _check_secret(server_secret)
    _check_text("external_entropy", external_entropy, "", allow_empty=True)
    return hashlib.sha256(commitment.encode() + server_secret + external_entropy.encode()).digest()


def _keys(prefix: bytes, pool: Sequence[Candidate], start: int, stop: int) -> list[bytes]:
    """key(e) of pool[start:stop]. Keys stay 32-byte digests: equal-length big-endian bytes
    compare exactly as INT() would, and a million int conversions are saved."""
    sha256 = hashlib.sha256
    keys = []
    for index in range(start, stop):
        candidate = pool[index]
        head = prefix + candidate.entity_id.encode() + b"\x00"
        key = sha256(head + _BE32[0]).digest()
        for j in range(1, candidate.weight):
            other = sha256(head + _BE32[j]).digest()
            if other > key:
                key = other
        keys.append(key)
    return keys


# Pools at least this large hash their second half in a forked child (hashing is nearly all of
# a large draw, and holds the GIL); smaller ones are not worth a fork.
PARALLEL_FROM = 200_000


def _forked_keys(prefix: bytes, pool: Sequence[Candidate]) -> list[bytes] | None:
    """Both halves at once; None (and the caller hashes alone) if the child fails in any way.
    The child only hashes and writes to a pipe, then leaves with os._exit: it runs none of the
    parent's cleanup and touches none of its locks."""
    half = len(pool) // 2
    try:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        try:
            os.close(read_fd)
            view = memoryview(b"".join(_keys(prefix, pool, half, len(pool))))
            while view:
                view = view[os.write(write_fd, view) :]
        finally:
            os._exit(0)
    os.close(write_fd)
    first = _keys(prefix, pool, 0, half)
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    if len(data) != 32 * (len(pool) - half):
        return None
    return first + [data[i : i + 32] for i in range(0, len(data), 32)]


def _target_keys(seed: bytes, pool: Sequence[Candidate]) -> dict[str, tuple[list[bytes], list[str]]]:
    """key(e) of every candidate, grouped by stratum."""
    prefix = seed + b"T"
    keys = None
    if len(pool) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 and hasattr(os, "fork"):
        keys = _forked_keys(prefix, pool)
    if keys is None:
        keys = _keys(prefix, pool, 0, len(pool))
    groups: dict[str, tuple[list[bytes], list[str]]] = {}
    for key, candidate in zip(keys, pool, strict=True):
        group = groups.get(candidate.stratum)
        if group is None:
            group = groups[candidate.stratum] = ([], [])
        group[0].append(key)
        group[1].append(candidate.entity_id)
    return groups


def _guess_cutoff(keys: list[bytes], k: int) -> bytes | None:
    """A key that probably has a few more than k keys at or above it, judged from a sample."""
    if len(keys) < 20_000:
        return None
    sample = sorted(keys[:: len(keys) // 10_000], reverse=True)
    rank = k * len(sample) // len(keys)
    rank += 4 * isqrt(rank) + 8  # generous: a cut-off too high only costs the slow path
    return sample[rank] if rank < len(sample) else None


def _top_k(keys: list[bytes], ids: list[str], k: int) -> list[str]:
    """The k ids with the largest keys, by key descending, ties by id ascending.

    Ordering a million keys to keep fifty thousand would dominate the draw, so only keys at or
    above a guessed cut-off are ordered. If the guess keeps fewer than k, everything is ordered:
    the guess changes the speed, never the answer.
    """
    if k == 0:
        return []
    cutoff = _guess_cutoff(keys, k)
    if cutoff is not None:
        kept = list(map(cutoff.__le__, keys))
        if sum(kept) >= k:
            keys, ids = list(compress(keys, kept)), list(compress(ids, kept))
    rows = sorted(zip(ids, keys, strict=True))  # ids are unique, so this is by id alone
    rows.sort(key=itemgetter(1), reverse=True)  # stable: equal keys keep id order
    return [entity_id for entity_id, _ in rows[:k]]


def select_targets(seed: bytes, pool: Sequence[Candidate], quotas: Mapping[str, int]) -> list[tuple[str, str]]:
    """(entity_id, stratum) in selection order: strata ascending, then key order within each."""
    validate_pool(pool)
    groups = _target_keys(seed, pool)
    validate_quotas({stratum: len(ids) for stratum, (_, ids) in groups.items()}, quotas)
    selected: list[tuple[str, str]] = []
    for stratum in sorted(groups):
        keys, ids = groups[stratum]
        selected.extend((entity_id, stratum) for entity_id in _top_k(keys, ids, quotas[stratum]))
    return selected


class _Loads:
    """Inspectors bucketed by load, each bucket sorted by id, so a pick never rebuilds §2's lists."""

    def __init__(self, inspector_ids: Sequence[str]) -> None:
        self.load = dict.fromkeys(inspector_ids, 0)
        self.buckets: dict[int, list[str]] = {0: sorted(inspector_ids)} if inspector_ids else {}
        self.levels = sorted(self.buckets)

    def pick(self, h: int, excluded: set[str]) -> str | None:
        """least[h mod len(least)] of §2: the lowest bucket with anyone eligible, minus the excluded."""
        for level in self.levels:
            bucket = self.buckets[level]
            skip = sorted(bisect_left(bucket, i) for i in excluded if self.load[i] == level)
            if len(skip) == len(bucket):
                continue
            index = h % (len(bucket) - len(skip))
            for position in skip:  # the index-th eligible sits after every skipped one before it
                if position > index:
                    break
                index += 1
            return bucket[index]
        return None

    def add_one(self, inspector_id: str) -> None:
        level = self.load[inspector_id]
        bucket = self.buckets[level]
        del bucket[bisect_left(bucket, inspector_id)]
        if not bucket:
            del self.buckets[level]
            del self.levels[bisect_left(self.levels, level)]
        self.load[inspector_id] = level + 1
        if level + 1 not in self.buckets:
            self.buckets[level + 1] = []
            insort(self.levels, level + 1)
        insort(self.buckets[level + 1], inspector_id)


def assign_teams(
    seed: bytes, selected: Sequence[tuple[str, str]], inspectors: Sequence[Inspector], team_size: int
) -> list[tuple[str, ...]]:
    """One team per selected entity, in selection order, each in pick order (§2 "Teams")."""
    validate_inspectors(inspectors)
    validate_team_size(team_size)
    recused: dict[str, set[str]] = {}
    for inspector in inspectors:
        for entity_id in inspector.conflicts:
            recused.setdefault(entity_id, set()).add(inspector.inspector_id)
    loads = _Loads([inspector.inspector_id for inspector in inspectors])
    prefix = seed + b"I"
    teams: list[tuple[str, ...]] = []
    for entity_id, _stratum in selected:
        head = prefix + entity_id.encode() + b"\x00"
        excluded = set(recused.get(entity_id, ()))
        team: list[str] = []
        for c in range(team_size):
            h = int.from_bytes(hashlib.sha256(head + c.to_bytes(4, "big")).digest(), "big")
            pick = loads.pick(h, excluded)
            if pick is None:
                raise NoEligibleInspector(entity_id)
            team.append(pick)
            excluded.add(pick)
            loads.add_one(pick)
        teams.append(tuple(team))
    return teams


@contextmanager
def paused_gc() -> Iterator[None]:
    """A large draw allocates millions of small objects that all live until it ends; the cyclic
    collector would walk them over and over (a third of the time) and find nothing to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def execute(
    seed: bytes,
    pool: Sequence[Candidate],
    inspectors: Sequence[Inspector],
    team_size: int,
    quotas: Mapping[str, int],
) -> list[Selection]:
    with paused_gc():
        selected = select_targets(seed, pool, quotas)
        teams = assign_teams(seed, selected, inspectors, team_size)
    return [
        Selection(position, entity_id, stratum, team)
        for position, ((entity_id, stratum), team) in enumerate(zip(selected, teams, strict=True), start=1)
    ]


# --- §3 record -------------------------------------------------------------------------


def selection_dict(selection: Selection) -> dict[str, object]:
    return {
        "position": selection.position,
        "entity_id": selection.entity_id,
        "stratum": selection.stratum,
        "team": list(selection.team),
    }


def build_record(
    draw_id: str,
    pool: Sequence[Candidate],
    inspectors: Sequence[Inspector],
    team_size: int,
    quotas: Mapping[str, int],
    entropy_source: str,
    server_secret: bytes,
    external_entropy: str | None = None,
) -> dict[str, object]:
    """The §3 public record. Without `external_entropy` the draw has not run, so the record
    carries the commitment only: publishing the secret before execution would let anyone
    predict, and the operator re-roll, the draw."""
    commitment = commitment_text(
        draw_id, pool, inspectors, team_size, quotas, secret_sha256(server_secret), entropy_source
    )
    record: dict[str, object] = {
        "algorithm": ALGORITHM,
        "draw_id": draw_id,
        "commitment": commitment,
        "commitment_sha256": commitment_sha256(commitment),
        "pool": [
            {"entity_id": c.entity_id, "stratum": c.stratum, "weight": c.weight}
            for c in sorted(pool, key=attrgetter("entity_id"))
        ],
        "inspectors": [
            {"inspector_id": i.inspector_id, "conflicts": sorted(i.conflicts)}
            for i in sorted(inspectors, key=attrgetter("inspector_id"))
        ],
        "quotas": {stratum: quotas[stratum] for stratum in sorted(quotas)},
        "team_size": team_size,
        "entropy_source": entropy_source,
    }
    if external_entropy is None:
        return record
    draw_seed = seed(commitment, server_secret, external_entropy)
    selections = execute(draw_seed, pool, inspectors, team_size, quotas)
    record["server_secret"] = server_secret.hex()
    record["external_entropy"] = external_entropy
    record["seed"] = draw_seed.hex()
    record["selections"] = [selection_dict(selection) for selection in selections]
    return record
