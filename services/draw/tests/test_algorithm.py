"""ssj-draw-v1 against the contract (shared/docs/draw-algorithm.md).

`naive_select` and `naive_teams` below transcribe §2 literally, with no cleverness at all; the
fast code in draw.algorithm must give exactly their answers on a few hundred random draws.
"""

import hashlib
import random
from collections import Counter

import pytest

from draw.algorithm import (
    Candidate,
    DrawInputError,
    Inspector,
    NoEligibleInspector,
    _ranked,
    assign_teams,
    build_record,
    commitment_sha256,
    commitment_text,
    execute,
    inspector_text,
    inspectors_digest,
    pool_digest,
    pool_text,
    secret_sha256,
    seed,
    select_targets,
)

# --- the contract, transcribed literally --------------------------------------------------


def INT(b: bytes) -> int:
    return int.from_bytes(b, "big")


def H(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def BE32(n: int) -> bytes:
    return n.to_bytes(4, "big")


def naive_key(seed_: bytes, entity_id: str, weight: int) -> int:
    return max(INT(H(seed_ + b"T" + entity_id.encode() + b"\x00" + BE32(j))) for j in range(weight))


def naive_select(seed_, pool, quotas):
    selected = []
    for stratum in sorted({c.stratum for c in pool}, key=str.encode):
        members = [c for c in pool if c.stratum == stratum]
        members.sort(key=lambda c: (-naive_key(seed_, c.entity_id, c.weight), c.entity_id.encode()))
        selected += [(c.entity_id, stratum) for c in members[: quotas[stratum]]]
    return selected


def naive_teams(seed_, selected, inspectors, t):
    load = {i.inspector_id: 0 for i in inspectors}
    by_id = sorted(inspectors, key=lambda i: i.inspector_id.encode())
    teams = []
    for entity_id, _stratum in selected:
        team, c = [], 0
        while len(team) < t:
            eligible = [i.inspector_id for i in by_id if i.inspector_id not in team and entity_id not in i.conflicts]
            if not eligible:
                raise NoEligibleInspector(entity_id)
            least = [i for i in eligible if load[i] == min(load[e] for e in eligible)]
            h = INT(H(seed_ + b"I" + entity_id.encode() + b"\x00" + BE32(c)))
            pick = least[h % len(least)]
            team.append(pick)
            load[pick] += 1
            c += 1
        teams.append(tuple(team))
    return teams


# --- one tiny draw, checkable by hand -----------------------------------------------------

POOL = [
    Candidate("E2", "north", 1),
    Candidate("E10", "north", 3),
    Candidate("e1", "south", 1),
    Candidate("企业甲", "south", 5),
]
INSPECTORS = [
    Inspector("insp-b", frozenset({"E2", "E10"})),
    Inspector("insp-a", ()),
    Inspector("insp-c", ("企业甲",)),
]
QUOTAS = {"south": 1, "north": 2}
SECRET = bytes(range(32))
POOL_TEXT = "E10\tnorth\t3\nE2\tnorth\t1\ne1\tsouth\t1\n企业甲\tsouth\t5\n"
INSPECTOR_TEXT = "insp-a\t\ninsp-b\tE10,E2\ninsp-c\t企业甲\n"


def tiny_commitment() -> str:
    return commitment_text("D-2026-001", POOL, INSPECTORS, 2, QUOTAS, secret_sha256(SECRET), "drand round 1000")


def test_pool_text_is_sorted_by_utf8_bytes_with_tab_and_lf():
    # "E10" < "E2" (byte 0x31 < 0x32), uppercase before lowercase, CJK (0xE4...) last
    assert pool_text(POOL) == POOL_TEXT
    assert pool_digest(POOL) == hashlib.sha256(POOL_TEXT.encode()).hexdigest()


def test_inspector_text_sorts_lines_and_conflicts_and_leaves_empty_conflicts_empty():
    assert inspector_text(INSPECTORS) == INSPECTOR_TEXT
    assert inspectors_digest(INSPECTORS) == hashlib.sha256(INSPECTOR_TEXT.encode()).hexdigest()


def test_commitment_text_line_by_line():
    lines = tiny_commitment().split("\n")
    assert lines == [
        "ssj-draw-v1",
        "draw:D-2026-001",
        "pool:" + hashlib.sha256(POOL_TEXT.encode()).hexdigest(),
        "inspectors:" + hashlib.sha256(INSPECTOR_TEXT.encode()).hexdigest(),
        "team_size:2",
        "quota:north:2",
        "quota:south:1",
        "secret_sha256:" + hashlib.sha256(bytes(range(32))).hexdigest(),
        "entropy_source:drand round 1000",
        "",  # the last line ends in LF too
    ]
    # the same values written out, for implementers checking their own code against this one
    assert lines[2] == "pool:9df623dc2d42411c088ab57ea8fdfc6f21dba025f6f9d8d67d186a61d988542a"
    assert lines[3] == "inspectors:42189877215a6b4b078b925a137408091865db12399967f3d58baa6e2fd31568"
    assert lines[7] == "secret_sha256:630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"


def test_seed_hashes_commitment_then_secret_then_entropy():
    text = tiny_commitment()
    assert commitment_sha256(text) == hashlib.sha256(text.encode()).hexdigest()
    assert seed(text, SECRET, "beacon-42") == H(text.encode() + SECRET + b"beacon-42")
    assert seed(text, SECRET, "") == H(text.encode() + SECRET)


def test_tiny_draw_golden_vector():
    draw_seed = seed(tiny_commitment(), SECRET, "beacon-42")
    selections = execute(draw_seed, POOL, INSPECTORS, 2, QUOTAS)
    got = [(s.position, s.entity_id, s.stratum, s.team) for s in selections]
    selected = naive_select(draw_seed, POOL, QUOTAS)
    expected = [
        (n, e, s, team)
        for n, ((e, s), team) in enumerate(
            zip(selected, naive_teams(draw_seed, selected, INSPECTORS, 2), strict=True), 1
        )
    ]
    assert got == expected
    # pinned, so another implementation can check itself against this vector
    assert draw_seed.hex() == "edfb9d26d4da672644ab26bbd84e349b15a8941d11b1ef7bb6e329ea1d8a296e"
    assert got == [
        (1, "E2", "north", ("insp-c", "insp-a")),
        (2, "E10", "north", ("insp-a", "insp-c")),
        (3, "企业甲", "south", ("insp-b", "insp-a")),
    ]
    for s in selections:
        assert len(s.team) == 2 and len(set(s.team)) == 2
        assert not any(s.entity_id in i.conflicts for i in INSPECTORS if i.inspector_id in s.team)


def test_key_is_the_largest_of_w_hashes():
    draw_seed = bytes(32)
    pool = [Candidate("x", "s", 3), Candidate("y", "s", 1)]
    kx, ky = naive_key(draw_seed, "x", 3), naive_key(draw_seed, "y", 1)
    expected = ["x", "y"] if kx > ky else ["y", "x"]
    assert [e for e, _ in select_targets(draw_seed, pool, {"s": 2})] == expected


# --- ties, which SHA-256 never produces by itself -----------------------------------------


def _top_k(keys: list[bytes], ids: list[str], k: int) -> list[str]:
    return [entity_id for entity_id, _ in _ranked(keys, ids, k)]


def test_top_k_breaks_key_ties_by_id_bytes_ascending():
    same, low = b"\x80" * 32, b"\x01" * 32
    keys = [low, same, same, same]
    ids = ["a", "é", "B", "b"]  # bytes: "B" < "b" < "é"
    assert _top_k(keys, ids, 3) == ["B", "b", "é"]
    assert _top_k(keys, ids, 4) == ["B", "b", "é", "a"]


@pytest.mark.parametrize("case", range(12))
def test_top_k_cutoff_shortcut_equals_a_full_sort(case):
    rng = random.Random(1000 + case)
    n = rng.choice([20_000, 25_000, 40_000])
    palette = [rng.randbytes(32) for _ in range(rng.choice([50, 5000, n]))]
    keys = [rng.choice(palette) for _ in range(n)]
    ids = [f"id{i}" for i in rng.sample(range(10 * n), n)]
    k = rng.choice([1, 7, n // 100, n // 20, n // 3, n - 1, n])
    full = sorted(zip(keys, ids, strict=True), key=lambda r: (-INT(r[0]), r[1].encode()))
    assert _top_k(keys, ids, k) == [e for _, e in full[:k]]


# --- fast == naive ------------------------------------------------------------------------


def random_draw(rng: random.Random):
    names = ["a", "B", "区", "z-1", "s p", "é"]
    strata = rng.sample(names, rng.randint(1, 4))
    heavy = rng.random() < 0.2
    pool = [
        Candidate(f"e{n}{rng.choice(['', 'x', '甲'])}", rng.choice(strata), rng.randint(1, 1000 if heavy else 6))
        for n in rng.sample(range(1000), rng.randint(0, 40))
    ]
    present = Counter(c.stratum for c in pool)
    quotas = {s: rng.randint(0, size) for s, size in present.items()}
    density = rng.choice([0.0, 0.05, 0.3, 0.8])
    ids = [c.entity_id for c in pool] + ["not-in-pool"]
    inspectors = [
        Inspector(f"i{n}", frozenset(e for e in ids if rng.random() < density))
        for n in rng.sample(range(100), rng.randint(0, 12))
    ]
    return rng.randbytes(32), pool, inspectors, rng.randint(1, 4), quotas


@pytest.mark.parametrize("case", range(300))
def test_fast_draw_equals_naive_transcription(case):
    rng = random.Random(case)
    draw_seed, pool, inspectors, team_size, quotas = random_draw(rng)
    selected = select_targets(draw_seed, pool, quotas)
    assert selected == naive_select(draw_seed, pool, quotas)
    try:
        expected = naive_teams(draw_seed, selected, inspectors, team_size)
    except NoEligibleInspector as failure:
        with pytest.raises(NoEligibleInspector) as raised:
            assign_teams(draw_seed, selected, inspectors, team_size)
        assert raised.value.entity_id == failure.entity_id
        assert str(raised.value) == f"no eligible inspector for {failure.entity_id}"
    else:
        assert assign_teams(draw_seed, selected, inspectors, team_size) == expected


@pytest.mark.parametrize("case", range(20))
def test_long_runs_of_teams_equal_naive_as_loads_drift(case):
    rng = random.Random(5000 + case)
    entities = [f"e{n}" for n in range(300)]
    inspectors = [
        Inspector(f"i{n:02d}", frozenset(e for e in entities if rng.random() < rng.choice([0.0, 0.2, 0.6])))
        for n in range(rng.randint(3, 15))
    ]
    selected = [(e, "s") for e in entities]
    draw_seed = rng.randbytes(32)
    team_size = rng.randint(1, 2)
    try:
        expected = naive_teams(draw_seed, selected, inspectors, team_size)
    except NoEligibleInspector:
        with pytest.raises(NoEligibleInspector):
            assign_teams(draw_seed, selected, inspectors, team_size)
    else:
        assert assign_teams(draw_seed, selected, inspectors, team_size) == expected


# --- properties -------------------------------------------------------------------------


def test_row_order_changes_nothing():
    rng = random.Random(9)
    pool = [Candidate(f"E{n}", f"S{n % 3}", rng.randint(1, 5)) for n in range(200)]
    inspectors = [Inspector(f"I{n}", tuple(f"E{m}" for m in range(n, 200, 37))) for n in range(9)]
    quotas = {"S0": 5, "S1": 10, "S2": 0}
    args = ("D1", pool, inspectors, 2, quotas, "beacon", SECRET, "entropy")
    shuffled_pool, shuffled_inspectors = pool[:], [Inspector(i.inspector_id, i.conflicts[::-1]) for i in inspectors]
    rng.shuffle(shuffled_pool)
    rng.shuffle(shuffled_inspectors)
    again = ("D1", shuffled_pool, shuffled_inspectors, 2, dict(reversed(quotas.items())), "beacon", SECRET, "entropy")
    assert build_record(*args) == build_record(*again)


def test_same_inputs_same_draw_and_other_entropy_other_draw():
    pool = [Candidate(f"E{n}", "s", 1) for n in range(100)]
    first = select_targets(H(b"one"), pool, {"s": 10})
    assert first == select_targets(H(b"one"), pool, {"s": 10})
    assert first != select_targets(H(b"two"), pool, {"s": 10})


def test_higher_weight_is_selected_more_often():
    pool = [Candidate("heavy", "s", 10)] + [Candidate(f"light{n}", "s", 1) for n in range(9)]
    wins = Counter(select_targets(H(b"%d" % n), pool, {"s": 1})[0][0] for n in range(2000))
    # with one pick, Efraimidis–Spirakis gives weight / total weight: 10/19 against 1/19
    assert 0.45 < wins["heavy"] / 2000 < 0.61
    assert all(wins[f"light{n}"] < wins["heavy"] / 4 for n in range(9))


def test_teams_have_the_right_size_no_repeats_and_respect_conflicts():
    rng = random.Random(3)
    entities = [f"E{n}" for n in range(120)]
    inspectors = [Inspector(f"I{n}", frozenset(rng.sample(entities, 30))) for n in range(10)]
    selected = [(e, "s") for e in entities]
    teams = assign_teams(H(b"teams"), selected, inspectors, 3)
    conflicts = {i.inspector_id: i.conflicts for i in inspectors}
    for (entity_id, _), team in zip(selected, teams, strict=True):
        assert len(team) == 3 and len(set(team)) == 3
        assert all(entity_id not in conflicts[member] for member in team)


def test_loads_stay_within_one_without_conflicts():
    inspectors = [Inspector(f"I{n}") for n in range(7)]
    selected = [(f"E{n}", "s") for n in range(301)]
    loads = Counter()
    for team in assign_teams(H(b"balance"), selected, inspectors, 3):
        loads.update(team)
        assert max(loads.values()) - min(loads[i.inspector_id] for i in inspectors) <= 1


def test_fails_when_recusals_leave_nobody():
    inspectors = [Inspector("I1", ("E1",)), Inspector("I2", ())]
    with pytest.raises(NoEligibleInspector, match=r"^no eligible inspector for E1$"):
        assign_teams(H(b"x"), [("E2", "s"), ("E1", "s")], inspectors, 2)
    with pytest.raises(NoEligibleInspector, match=r"^no eligible inspector for E2$"):
        assign_teams(H(b"x"), [("E2", "s")], [], 1)


# --- validation ---------------------------------------------------------------------------


def commit_with(**change):
    args = {
        "draw_id": "D1",
        "pool": POOL,
        "inspectors": INSPECTORS,
        "team_size": 2,
        "quotas": QUOTAS,
        "secret_sha256": secret_sha256(SECRET),
        "entropy_source": "beacon",
    }
    return commitment_text(**{**args, **change})


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"draw_id": ""}, "draw_id"),
        ({"draw_id": "a\nb"}, "draw_id"),
        ({"pool": [*POOL, Candidate("", "north")]}, "pool[4].entity_id"),
        ({"pool": [*POOL, Candidate("x\ty", "north")]}, "pool[4].entity_id"),
        ({"pool": [*POOL, Candidate("x", "no\nrth")]}, "pool[4].stratum"),
        ({"pool": [*POOL, Candidate("x", "north", 0)]}, "pool[4].weight"),
        ({"pool": [*POOL, Candidate("x", "north", 1001)]}, "pool[4].weight"),
        ({"pool": [*POOL, Candidate("x", "north", True)]}, "pool[4].weight"),
        ({"pool": [*POOL, Candidate("x", "north", 1.0)]}, "pool[4].weight"),
        ({"pool": [*POOL, Candidate("\ud800", "north")]}, "pool[4].entity_id"),
        ({"pool": [*POOL, Candidate("E2", "south")]}, "pool[4].entity_id"),
        ({"inspectors": [*INSPECTORS, Inspector("insp-a")]}, "inspectors[3].inspector_id"),
        ({"inspectors": [Inspector("i", ("a,b",))]}, "inspectors[0].conflicts[0]"),
        ({"inspectors": [Inspector("i", ("a", "a"))]}, "inspectors[0].conflicts[1]"),
        ({"inspectors": [Inspector("i", "E2")]}, "inspectors[0].conflicts"),
        ({"team_size": 0}, "team_size"),
        ({"team_size": "2"}, "team_size"),
        ({"quotas": {"north": 2}}, "quotas['south']"),
        ({"quotas": {**QUOTAS, "west": 0}}, "quotas['west']"),
        ({"quotas": {"north": 3, "south": 1}}, "quotas['north']"),
        ({"quotas": {"north": -1, "south": 1}}, "quotas['north']"),
        ({"secret_sha256": "AB" * 32}, "secret_sha256"),
        ({"entropy_source": "two\nlines"}, "entropy_source"),
    ],
)
def test_bad_inputs_name_the_field(change, field):
    with pytest.raises(DrawInputError) as raised:
        commit_with(**change)
    assert raised.value.field == field
    assert isinstance(raised.value, ValueError)


def test_quota_may_be_zero_or_everything():
    assert "quota:north:0\nquota:south:2\n" in commit_with(quotas={"north": 0, "south": 2})


def test_seed_wants_a_32_byte_secret():
    with pytest.raises(DrawInputError, match="server_secret"):
        seed(tiny_commitment(), b"short", "")


def test_public_record_before_execution_hides_the_secret():
    record = build_record("D1", POOL, INSPECTORS, 2, QUOTAS, "beacon", SECRET)
    assert set(record) == {
        "algorithm", "draw_id", "commitment", "commitment_sha256", "pool", "inspectors",
        "quotas", "team_size", "entropy_source",
    }  # fmt: skip
    assert SECRET.hex() not in repr(record)
    executed = build_record("D1", POOL, INSPECTORS, 2, QUOTAS, "beacon", SECRET, "entropy")
    assert {k: executed[k] for k in record} == record
    assert executed["server_secret"] == SECRET.hex()
    assert executed["seed"] == seed(record["commitment"], SECRET, "entropy").hex()
    assert [s["position"] for s in executed["selections"]] == [1, 2, 3]
