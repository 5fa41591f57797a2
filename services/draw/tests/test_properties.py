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
    forked = algorithm._forked_rank(prefix, pool, quotas, lambda: None)
    assert forked == algorithm._rank_strata(prefix, pool, quotas)
    for stratum, ranked in (forked or {}).items():
        best = sorted(
            (c for c in pool if c.stratum == stratum),
            key=lambda c: (-int.from_bytes(literal[c.entity_id], "big"), c.entity_id),
        )
        assert ranked == [(c.entity_id, literal[c.entity_id]) for c in best[: quotas[stratum]]]


def test_a_bad_pool_is_refused_before_the_forked_child_is_used(monkeypatch):
    monkeypatch.setattr(algorithm, "PARALLEL_FROM", 10)
    pool = [Candidate(f"E{i:03d}", "s", 1) for i in range(40)] + [Candidate("E001", "s", 1)]
    with pytest.raises(algorithm.DrawInputError, match="duplicate"):
        algorithm.select_targets(bytes(32), pool, {"s": 3})
    with pytest.raises(algorithm.DrawInputError, match="quotas"):
        algorithm.select_targets(bytes(32), pool[:40], {"s": 41})


def test_the_pool_text_parses_back_to_its_candidates():
    pool = [Candidate("B", "s/x", 3), Candidate("A", "s/y", 1), Candidate("C", "t", 1000)]
    assert parse_pool(algorithm.pool_text(pool)) == sorted(pool, key=lambda c: c.entity_id)
    assert parse_pool("") == []
    with pytest.raises(ValueError, match="not a pool text"):
        parse_pool("A\ts\n")
