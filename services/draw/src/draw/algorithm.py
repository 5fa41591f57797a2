"""The `ssj-draw-v1` draw (shared/docs/draw-algorithm.md) as pure functions.

Anyone must be able to recompute a draw from its public record, so this module follows the
contract bit for bit. Where it departs from the contract's wording it is only to be fast on a
million-entity pool; the tests hold every such shortcut to a literal transcription of the text.

The target keys (millions of SHA-256 calls in a large draw) come from draw/_fastkeys.c when the
build compiled it, hashed by two threads; otherwise from the pure-Python path below, split with a
forked child. Both give the same keys, and the tests run both.

Python compares `str` by code point, which is the same order as comparing their UTF-8 bytes, so
"sorted by UTF-8 bytes" is plain `sorted()` on the ids.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import signal
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import compress, islice, repeat
from math import isqrt
from operator import attrgetter, eq, itemgetter, le
from typing import Any, Literal, NamedTuple, cast

from shared.collector import paused_gc

ALGORITHM = "ssj-draw-v1"
MAX_WEIGHT = 1000
SECRET_BYTES = 32
_BIG: Literal["big"] = "big"
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


class Candidate(NamedTuple):
    """A tuple, not a dataclass: a million of them are made per draw, three times as fast."""

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


_STRATUM, _ENTITY_ID, _WEIGHT = attrgetter("stratum"), attrgetter("entity_id"), attrgetter("weight")


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
    """No value twice. A pool arrives sorted by id (the frozen pool text is), and then one pass
    over neighbours decides it, several times faster than building a set of a million ids."""
    if all(map(le, values, islice(values, 1, None))):
        duplicated = any(map(eq, values, islice(values, 1, None)))
    else:
        duplicated = len(set(values)) != len(values)
    if duplicated:
        seen: set[str] = set()
        for index, value in enumerate(values):
            if value in seen:
                raise DrawInputError(field_format.format(index), f"duplicate {value!r}")
            seen.add(value)


def _check_count(field: str, value: object, low: int, high: int | None = None) -> None:
    if type(value) is not int or value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f">= {low}"
        raise DrawInputError(field, f"must be an integer {bounds}")


Columns = tuple[list[str], list[str], list[int]]  # ids, strata, weights: see _columns


def validate_pool(pool: Sequence[Candidate]) -> None:
    _validate_columns(*_columns(pool))


def _columns(pool: Sequence[Candidate]) -> Columns:
    return list(map(_ENTITY_ID, pool)), list(map(_STRATUM, pool)), list(map(_WEIGHT, pool))


def _validate_columns(ids: Sequence[str], strata: Sequence[str], weights: Sequence[Any]) -> None:
    _check_ids("pool[{}].entity_id", ids)
    try:  # a few strata, a million times: checking each distinct one is enough, unless one fails
        _check_ids("{}", list(set(strata)))
    except (DrawInputError, TypeError):
        _check_ids("pool[{}].stratum", strata)
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


def _sha256_type() -> tuple[Callable[[bytes], Any], Callable[[Any], bytes]]:
    """CPython's own SHA-256 when it has one: for 40-byte messages most of a hash's cost is the
    call, and the built-in's is a fifth cheaper than OpenSSL's. Same function, same digests."""
    try:
        from _sha256 import sha256 as builtin  # type: ignore[import-not-found]  # CPython 3.11
    except ImportError:  # pragma: no cover - other interpreters
        builtin = hashlib.sha256
    return builtin, type(builtin()).digest


_SHA256, _DIGEST = _sha256_type()

try:  # the same keys in C, when the build had a compiler and OpenSSL's headers (services/draw/setup.py)
    from draw import _fastkeys  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - exercised by the tests with the module set to None
    _fastkeys = None


def _level_keys(prefix: bytes, ids: Sequence[str], weights: Sequence[int]) -> list[bytes]:
    """key(e) of each entity, for entities ordered by weight descending.

    Hashing is nearly all of a large draw, so no Python code runs per hash: at level j the
    entities with weight > j are a prefix of the list, and each level is one pass of C-level
    maps (message, SHA-256, digest, running maximum). Keys stay 32-byte digests: equal-length
    big-endian bytes compare exactly as INT() would.
    """
    heads = list(map(prefix.__add__, map(str.encode, ids)))
    heavier = len(heads)  # entities with weight > j
    counts = Counter(weights)
    keys: list[bytes] = []
    for j in range(weights[0] if weights else 0):
        heavier -= counts.get(j, 0)
        tail = b"\x00" + _BE32[j]
        level = list(map(_DIGEST, map(_SHA256, map(bytes.__add__, islice(heads, heavier), repeat(tail)))))
        keys[:heavier] = map(max, keys, level) if keys else level
    return keys


def _by_weight(ids: list[str], strata: list[str], weights: list[int]) -> dict[str, tuple[list[str], list[int]]]:
    """Each stratum's ids and weights, heaviest first."""
    grouped = {}
    for stratum, (members, their_weights) in _by_stratum(ids, strata, weights).items():
        order = sorted(range(len(members)), key=their_weights.__getitem__, reverse=True)
        grouped[stratum] = (list(map(members.__getitem__, order)), list(map(their_weights.__getitem__, order)))
    return grouped


Ranked = list[tuple[str, bytes]]  # (entity_id, key): key descending, ties by id ascending


def _guess_cutoff(keys: list[bytes], k: int) -> bytes | None:
    """A key that probably has a few more than k keys at or above it, judged from a sample."""
    if len(keys) < 20_000:
        return None
    sample = sorted(keys[:: len(keys) // 10_000], reverse=True)
    rank = k * len(sample) // len(keys)
    rank += 4 * isqrt(rank) + 8  # generous: a cut-off too high only costs the slow path
    return sample[rank] if rank < len(sample) else None


def _ranked(keys: list[bytes], ids: list[str], k: int) -> Ranked:
    """The k entities with the largest keys, in §2 order.

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
    return _first(list(zip(ids, keys, strict=True)), k)


def _first(rows: Ranked, k: int) -> Ranked:
    rows.sort()  # ids are unique, so this is by id alone
    rows.sort(key=itemgetter(1), reverse=True)  # stable: equal keys keep id order
    return rows[:k]


def _rank_strata(prefix: bytes, columns: Columns, quotas: Mapping[str, int]) -> dict[str, Ranked]:
    """Each stratum's first k_s (or all, if fewer) of these candidates."""
    grouped = _by_weight(*columns)
    return {s: _ranked(_level_keys(prefix, ids, weights), ids, quotas[s]) for s, (ids, weights) in grouped.items()}


# Pools at least this large are split with a forked child: hashing is nearly all of a large
# draw and holds the GIL. Smaller ones are not worth a fork.
PARALLEL_FROM = 200_000
# The parent also checks the whole pool while the child works, so it ranks the smaller part.
PARENT_SHARE = 0.42


def _forked_rank(
    prefix: bytes, columns: Columns, quotas: Mapping[str, int], check: Callable[[], None]
) -> dict[str, Ranked] | None:
    """_rank_strata of the pool's tail in a forked child and of its head here, merged: the first
    k of a stratum are among the first k of either part. `check` runs here first; if it raises,
    the child is killed. None if the child fails in any way (the caller then ranks alone). The
    child only ranks and writes to a pipe, then leaves with os._exit: it runs none of the
    parent's cleanup and touches none of its locks."""
    split = int(len(columns[0]) * PARENT_SHARE)
    ids, strata, weights = columns
    head: Columns = (ids[:split], strata[:split], weights[:split])
    tail: Columns = (ids[split:], strata[split:], weights[split:])
    try:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
    except OSError:
        check()
        return None
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        try:
            os.close(read_fd)
            view = memoryview(marshal.dumps(_rank_strata(prefix, tail, quotas)))
            while view:
                view = view[os.write(write_fd, view) :]
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        try:
            check()
            ranked_head = _rank_strata(prefix, head, quotas)
        except BaseException:
            os.kill(pid, signal.SIGKILL)
            raise
        finally:
            data = pipe.read()
            os.waitpid(pid, 0)
    try:
        ranked_tail = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None
    return {
        s: _first(ranked_head.get(s, []) + ranked_tail.get(s, []), quotas[s])
        for s in ranked_head.keys() | ranked_tail.keys()
    }


# Up to this many strata are grouped by one C-level pass each; more by one Python pass in all.
_FEW_STRATA = 16


def _by_stratum(ids: list[str], strata: list[str], weights: list[int]) -> dict[str, tuple[list[str], list[int]]]:
    """Each stratum's ids and weights, in pool order."""
    names = set(strata)
    if len(names) <= _FEW_STRATA:
        return {
            name: (list(compress(ids, is_in)), list(compress(weights, is_in)))
            for name in names
            for is_in in [list(map(eq, strata, repeat(name)))]
        }
    grouped: dict[str, tuple[list[str], list[int]]] = {}
    for entity_id, stratum, weight in zip(ids, strata, weights, strict=True):
        group = grouped.get(stratum)
        if group is None:
            group = grouped[stratum] = ([], [])
        group[0].append(entity_id)
        group[1].append(weight)
    return grouped


# Pools at least this large are hashed by two threads in C (the GIL is released while hashing).
THREADS_FROM = 50_000


def _rank_in_c(
    prefix: bytes, columns: Columns, quotas: Mapping[str, int], check: Callable[[], None]
) -> dict[str, Ranked]:
    """_rank_strata with the keys from draw/_fastkeys.c, which hashes with the GIL released:
    two threads hash the two halves of each stratum while this one runs `check`."""
    keys = cast(Any, _fastkeys).keys
    try:
        grouped = _by_stratum(*columns)
    except TypeError:  # an unhashable stratum: the check names it
        check()
        raise
    if len(columns[0]) < THREADS_FROM:
        check()
        return {s: _ranked(keys(prefix, ids, weights), ids, quotas[s]) for s, (ids, weights) in grouped.items()}
    with ThreadPoolExecutor(2, thread_name_prefix="draw-keys") as hashing:
        halves = {
            s: [
                hashing.submit(keys, prefix, ids[:half], weights[:half]),
                hashing.submit(keys, prefix, ids[half:], weights[half:]),
            ]
            for s, (ids, weights) in grouped.items()
            for half in [len(ids) // 2]
        }
        check()  # meanwhile; if it raises, the threads' answers are never read
        return {s: _ranked(a.result() + b.result(), grouped[s][0], quotas[s]) for s, (a, b) in halves.items()}


def select_targets(seed: bytes, pool: Sequence[Candidate], quotas: Mapping[str, int]) -> list[tuple[str, str]]:
    """(entity_id, stratum) in selection order: strata ascending, then key order within each."""
    columns = _columns(pool)

    def check() -> None:
        _validate_columns(*columns)
        validate_quotas(Counter(columns[1]), quotas)

    prefix = seed + b"T"
    ranked = None
    if _fastkeys is not None:
        ranked = _rank_in_c(prefix, columns, quotas, check)
    elif len(pool) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 and hasattr(os, "fork"):
        ranked = _forked_rank(prefix, columns, quotas, check)  # the child ranks while `check` runs
    else:
        check()
    if ranked is None:
        ranked = _rank_strata(prefix, columns, quotas)
    return [(entity_id, stratum) for stratum in sorted(ranked) for entity_id, _ in ranked[stratum]]


class _Loads:
    """Inspectors bucketed by load, each bucket sorted by id, so a pick never rebuilds §2's lists."""

    def __init__(self, inspector_ids: Sequence[str]) -> None:
        self.load = dict.fromkeys(inspector_ids, 0)
        self.buckets: dict[int, list[str]] = {0: sorted(inspector_ids)} if inspector_ids else {}
        self.levels = sorted(self.buckets)

    def pick(self, h: int, excluded: set[str]) -> str | None:
        """least[h mod len(least)] of §2: the lowest bucket with anyone eligible, minus the excluded."""
        load = self.load
        for level in self.levels:
            bucket = self.buckets[level]
            skip = [bisect_left(bucket, i) for i in excluded if load[i] == level]
            if not skip:  # the usual case: nobody in this bucket is recused or already in the team
                return bucket[h % len(bucket)]
            skip.sort()
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
    ids = [entity_id for entity_id, _stratum in selected]
    heads = list(map((seed + b"I").__add__, map(str.encode, ids)))
    hashes = [  # every pick's h at once, in C-level passes, before the (sequential) picking
        list(
            map(
                int.from_bytes,
                map(_DIGEST, map(_SHA256, map(bytes.__add__, heads, repeat(b"\x00" + c.to_bytes(4, "big"))))),
                repeat(_BIG),
            )
        )
        for c in range(team_size)
    ]
    teams: list[tuple[str, ...]] = []
    for entity_id, picks in zip(ids, zip(*hashes, strict=True), strict=True):
        excluded = set(recused.get(entity_id, ()))
        team: list[str] = []
        for h in picks:
            pick = loads.pick(h, excluded)
            if pick is None:
                raise NoEligibleInspector(entity_id)
            team.append(pick)
            excluded.add(pick)
            loads.add_one(pick)
        teams.append(tuple(team))
    return teams


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
