"""Properties over many seeds (pure): risk weights raise inclusion, recusals are never broken,
teams always have the right size with nobody twice, and the forked hashing changes nothing."""

import hashlib
import random

import pytest

from draw import algorithm, pools
from draw.algorithm import Candidate, Inspector
from draw.frozen import PoolEntity, parse_pool
from draw.schemas import QuotaRule


def _cafe(n: int, risk: object = None) -> PoolEntity:
    return PoolEntity(f"C{n:04d}", "internet_cafe", "cafe", "n", "c", "210402", None, {}, True, 1, risk)


def test_risk_weighted_draws_include_risky_entities_more_often():
    """200 cafés, 20 with complaints and a penalty (risk-v1 weight 5), 5 % drawn, 3,000 seeds."""
    risky = {"complaint": {"count": 4}, "penalty": {"count": 1}}
    entities = [_cafe(n, risky if n < 20 else None) for n in range(200)]
    pool = pools.candidates(entities, "risk-v1")
    plain = pools.candidates(entities, "none")
    quotas = pools.resolve_quotas(QuotaRule(percent=5), pool, "none").quotas
    hits = {"weighted": [0, 0], "plain": [0, 0]}
    for seed_number in range(3000):
        seed = hashlib.sha256(seed_number.to_bytes(4, "big")).digest()
        for name, candidates in (("weighted", pool), ("plain", plain)):
            for entity_id, _ in algorithm.select_targets(seed, candidates, quotas):
                hits[name][int(entity_id[1:]) >= 20] += 1
    rate = {name: (h[0] / (20 * 3000), h[1] / (180 * 3000)) for name, h in hits.items()}
    risky_rate, ordinary_rate = rate["weighted"]
    assert risky_rate > 3 * ordinary_rate  # a weight-5 entity is drawn about five times as often
    assert abs(rate["plain"][0] - rate["plain"][1]) < 0.01  # without the policy, everyone alike
    assert risky_rate > rate["plain"][0] + 0.05


@pytest.mark.parametrize("case", range(40))
def test_recusals_are_never_broken_and_teams_are_whole(case):
    rng = random.Random(case)
    pool = [Candidate(f"E{i}", f"s{i % 3}", rng.randint(1, 6)) for i in range(rng.randint(5, 60))]
    team_size = rng.randint(1, 3)
    inspectors = []
    for i in range(team_size + rng.randint(1, 8)):
        recused = [c.entity_id for c in pool if rng.random() < 0.2]
        inspectors.append(Inspector(f"I{i}", tuple(recused)))
    conflicts = {i.inspector_id: set(i.conflicts) for i in inspectors}
    free = {c.entity_id: sum(c.entity_id not in cs for cs in conflicts.values()) for c in pool}
    pool = [c for c in pool if free[c.entity_id] >= team_size]  # commit refuses the others
    sizes = {s: sum(c.stratum == s for c in pool) for s in {c.stratum for c in pool}}
    quotas = {s: rng.randint(0, n) for s, n in sizes.items()}
    selections = algorithm.execute(rng.randbytes(32), pool, inspectors, team_size, quotas)
    assert len(selections) == sum(quotas.values())
    for selection in selections:
        assert len(selection.team) == team_size == len(set(selection.team))
        assert all(selection.entity_id not in conflicts[member] for member in selection.team)


def test_forked_hashing_gives_the_same_draw(monkeypatch):
    rng = random.Random(7)
    pool = [Candidate(f"E{i:05d}", f"s{i % 2}", rng.randint(1, 5)) for i in range(3001)]
    inspectors = [Inspector(f"I{i}") for i in range(5)]
    quotas, seed = {"s0": 80, "s1": 75}, bytes(range(32))
    serial = algorithm.execute(seed, pool, inspectors, 2, quotas)
    monkeypatch.setattr(algorithm, "PARALLEL_FROM", 1000)
    assert algorithm.execute(seed, pool, inspectors, 2, quotas) == serial
    prefix = seed + b"T"
    literal = {
        c.entity_id: max(
            hashlib.sha256(prefix + c.entity_id.encode() + b"\x00" + j.to_bytes(4, "big")).digest()
            for j in range(c.weight)
        )
        for c in pool
    }
    for ids, weights in algorithm._by_weight(*algorithm._columns(pool)).values():
        assert algorithm._level_keys(prefix, ids, weights) == [literal[i] for i in ids]
    columns = algorithm._columns(pool)
    forked = algorithm._forked_rank(prefix, columns, quotas, lambda: None)
    assert forked == algorithm._rank_strata(prefix, columns, quotas)
    for stratum, ranked in (forked or {}).items():
        best = sorted(
            (c for c in pool if c.stratum == stratum),
            key=lambda c: (-int.from_bytes(literal[c.entity_id], "big"), c.entity_id),
        )
        assert ranked == [(c.entity_id, literal[c.entity_id]) for c in best[: quotas[stratum]]]


@pytest.mark.parametrize("path", ["c-threads", "forked"])
def test_a_bad_pool_is_refused_before_hashed_keys_are_used(monkeypatch, path):
    """The checks run while threads or a child hash; their errors, not the hashers', reach the caller."""
    monkeypatch.setattr(algorithm, "PARALLEL_FROM", 10)
    monkeypatch.setattr(algorithm, "THREADS_FROM", 10)
    if path == "forked":
        monkeypatch.setattr(algorithm, "_fastkeys", None)
    pool = [Candidate(f"E{i:03d}", "s", 1) for i in range(40)]
    with pytest.raises(algorithm.DrawInputError, match="duplicate"):
        algorithm.select_targets(bytes(32), [*pool, Candidate("E001", "s", 1)], {"s": 3})
    with pytest.raises(algorithm.DrawInputError, match="quotas"):
        algorithm.select_targets(bytes(32), pool, {"s": 41})
    for weight, field in ((0, "pool[40].weight"), (1001, "pool[40].weight"), ("2", "pool[40].weight")):
        with pytest.raises(algorithm.DrawInputError) as refused:
            algorithm.select_targets(bytes(32), [*pool, Candidate("E999", "s", weight)], {"s": 3})  # type: ignore[arg-type]
        assert refused.value.field == field
    with pytest.raises(algorithm.DrawInputError) as refused:
        algorithm.select_targets(bytes(32), [*pool, Candidate("E999", ["s"], 1)], {"s": 3})  # type: ignore[arg-type]
    assert refused.value.field == "pool[40].stratum"


def test_the_pool_text_parses_back_to_its_candidates():
    pool = [Candidate("B", "s/x", 3), Candidate("A", "s/y", 1), Candidate("C", "t", 1000)]
    assert parse_pool(algorithm.pool_text(pool)) == sorted(pool, key=lambda c: c.entity_id)
    assert parse_pool("") == []
    with pytest.raises(ValueError, match="not a pool text"):
        parse_pool("A\ts\n")


def _literal_keys(prefix: bytes, ids: list[str], weights: list[int]) -> list[bytes]:
    return [
        max(hashlib.sha256(prefix + i.encode() + b"\x00" + j.to_bytes(4, "big")).digest() for j in range(w))
        for i, w in zip(ids, weights, strict=True)
    ]


def test_the_c_keys_are_the_contracts_keys():
    """draw/_fastkeys.c against §2 written out: non-ASCII, long and empty-looking ids, weights to 1000."""
    assert algorithm._fastkeys is not None, "the build should have compiled draw/_fastkeys.c (make install)"
    rng = random.Random(11)
    ids = [f"E{i}" for i in range(300)] + ["抚顺-娱乐-0001", "é" * 300, "a\x00b", "x"]
    weights = [rng.randint(1, 7) for _ in ids[:-1]] + [1000]
    for seed_number in range(3):
        prefix = hashlib.sha256(bytes([seed_number])).digest() + b"T"
        assert algorithm._fastkeys.keys(prefix, ids, weights) == _literal_keys(prefix, ids, weights)
    assert algorithm._fastkeys.keys(b"T", [], []) == []


@pytest.mark.parametrize(
    ("ids", "weights", "error"),
    [
        (["a"], [0], ValueError),
        (["a"], [1001], ValueError),
        (["a"], [2**70], ValueError),
        (["a"], [True], TypeError),
        ([1], [1], TypeError),
        (["a", "b"], [1], ValueError),
        (["\ud800"], [1], UnicodeEncodeError),
    ],
)
def test_the_c_keys_refuse_what_the_contract_refuses(ids, weights, error):
    with pytest.raises(error):
        algorithm._fastkeys.keys(b"T", ids, weights)


@pytest.mark.parametrize("case", range(6))
def test_c_threads_python_and_forked_paths_draw_alike(monkeypatch, case):
    rng = random.Random(case)
    pool = [Candidate(f"E{i:05d}", f"s{i % 3}", rng.randint(1, 9)) for i in range(rng.randint(1500, 4000))]
    quotas = {s: rng.randint(0, 400) for s in ("s0", "s1", "s2")}
    seed = rng.randbytes(32)
    monkeypatch.setattr(algorithm, "THREADS_FROM", 10**9)
    in_c = algorithm.select_targets(seed, pool, quotas)
    monkeypatch.setattr(algorithm, "THREADS_FROM", 1000)
    assert algorithm.select_targets(seed, pool, quotas) == in_c
    monkeypatch.setattr(algorithm, "_fastkeys", None)
    assert algorithm.select_targets(seed, pool, quotas) == in_c
    monkeypatch.setattr(algorithm, "PARALLEL_FROM", 1000)
    assert algorithm.select_targets(seed, pool, quotas) == in_c
    literal = dict(
        zip(
            (c.entity_id for c in pool),
            _literal_keys(seed + b"T", [c.entity_id for c in pool], [c.weight for c in pool]),
            strict=True,
        )
    )
    expected = []
    for stratum in sorted(quotas):
        members = sorted(
            (c for c in pool if c.stratum == stratum),
            key=lambda c: (-int.from_bytes(literal[c.entity_id], "big"), c.entity_id),
        )
        expected += [(c.entity_id, stratum) for c in members[: quotas[stratum]]]
    assert in_c == expected
