"""verify_record: accepts what build_record publishes, and nothing else."""

import copy
import json
import random

import pytest

from draw.algorithm import Candidate, Inspector, build_record, seed
from draw.verify import FIELDS, verify_record


def make_record(**overrides) -> dict:
    rng = random.Random(11)
    pool = [Candidate(f"E{n:02d}", ["north", "south", "企业"][n % 3], rng.randint(1, 4)) for n in range(30)]
    inspectors = [
        Inspector(f"I{n}", tuple(sorted({f"E{rng.randrange(30):02d}" for _ in range(n % 3 + 1)}))) for n in range(6)
    ]
    args = {
        "draw_id": "2026-11-26-A",
        "pool": pool,
        "inspectors": inspectors,
        "team_size": 2,
        "quotas": {"north": 3, "south": 10, "企业": 0},
        "entropy_source": "drand quicknet round 123456",
        "server_secret": bytes(range(100, 132)),
        "external_entropy": "b0a1…beacon signature",
    }
    return build_record(**{**args, **overrides})


RECORD = make_record()


def test_a_generated_record_is_valid():
    assert len(RECORD["selections"]) == 13
    assert verify_record(RECORD) is None
    assert verify_record(json.loads(json.dumps(RECORD))) is None


def test_row_order_in_the_record_does_not_matter():
    record = copy.deepcopy(RECORD)
    record["pool"].reverse()
    record["inspectors"].reverse()
    for inspector in record["inspectors"]:
        inspector["conflicts"].reverse()
    record["quotas"] = dict(reversed(record["quotas"].items()))
    assert verify_record(record) is None


def test_a_record_without_a_draw_is_fine_too():
    # no inspector is eligible for anything, but nothing is selected
    record = make_record(quotas={"north": 0, "south": 0, "企业": 0}, inspectors=[])
    assert record["selections"] == []
    assert verify_record(record) is None


def test_extra_top_level_fields_are_ignored():
    assert verify_record({**RECORD, "status": "executed"}) is None


# --- every single-field change is caught --------------------------------------------------


def changed(value):
    """A different value of the same kind, or a wrong kind where no other value exists."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return ("1" if value[0] == "0" else "0") + value[1:]
    if isinstance(value, str):
        return value + "x"
    return None


def at(record, path):
    target = record
    for key in path[:-1]:
        target = target[key]
    return target, path[-1]


def leaf_paths(value, path=()):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from leaf_paths(inner, (*path, key))
    elif isinstance(value, list) and value and not all(isinstance(v, str) for v in value):
        for index, inner in enumerate(value):
            yield from leaf_paths(inner, (*path, index))
    elif isinstance(value, list) and value:  # a list of ids: conflicts, team
        for index in range(len(value)):
            yield (*path, index)
        yield path
    else:
        yield path


def single_changes(record):
    for path in leaf_paths(record):
        mutated = copy.deepcopy(record)
        parent, key = at(mutated, path)
        value = parent[key]
        if isinstance(value, list):  # reorder, shorten and lengthen lists of ids
            # conflicts are a set (their order is free, see above); a team keeps pick order
            reordered = [value[::-1]] if path[-1] == "team" else []
            variants = [*reordered, value[:-1], [*value, value[0]], [*value, "E00"]] if value else [["E00"]]
            for variant in variants:
                if variant != value:
                    again = copy.deepcopy(record)
                    holder, k = at(again, path)
                    holder[k] = variant
                    yield (path, variant), again
            continue
        for variant in (changed(value), None, str(value), [value]):
            if variant != value or type(variant) is not type(value):
                again = copy.deepcopy(record)
                holder, k = at(again, path)
                holder[k] = variant
                yield (path, variant), again


def structural_changes(record):
    for field in ("pool", "inspectors", "selections"):
        for index in range(len(record[field])):
            mutated = copy.deepcopy(record)
            del mutated[field][index]
            yield (field, "drop", index), mutated
        mutated = copy.deepcopy(record)
        mutated[field].append(copy.deepcopy(mutated[field][0]))
        yield (field, "duplicate first"), mutated
    mutated = copy.deepcopy(record)
    mutated["selections"][0], mutated["selections"][1] = mutated["selections"][1], mutated["selections"][0]
    yield ("selections", "swap"), mutated
    for inspector in range(len(record["inspectors"])):
        mutated = copy.deepcopy(record)
        mutated["inspectors"][inspector]["conflicts"].append("E29x")
        yield ("inspectors", inspector, "new conflict"), mutated
    for stratum in record["quotas"]:
        mutated = copy.deepcopy(record)
        del mutated["quotas"][stratum]
        yield ("quotas", "drop", stratum), mutated
    mutated = copy.deepcopy(record)
    mutated["quotas"]["west"] = 0
    yield ("quotas", "add west"), mutated
    for field in FIELDS:
        mutated = copy.deepcopy(record)
        del mutated[field]
        yield (field, "missing"), mutated
    for line in range(record["commitment"].count("\n")):
        mutated = copy.deepcopy(record)
        lines = mutated["commitment"].split("\n")
        lines[line] += " "
        mutated["commitment"] = "\n".join(lines)
        yield ("commitment", "line", line), mutated
    for variant in (record["commitment"].rstrip("\n"), record["commitment"].replace("\n", "\r\n")):
        yield ("commitment", "line endings"), {**record, "commitment": variant}


ALL_CHANGES = list(single_changes(RECORD)) + list(structural_changes(RECORD))


def test_the_change_list_reaches_every_field():
    touched = {what[0][0] if isinstance(what[0], tuple) else what[0] for what, _ in ALL_CHANGES}
    assert touched == set(FIELDS)
    team_members = [what for what, _ in ALL_CHANGES if isinstance(what[0], tuple) and "team" in what[0]]
    assert len(team_members) > 4 * len(RECORD["selections"])
    assert len(ALL_CHANGES) > 600


@pytest.mark.parametrize(("what", "record"), ALL_CHANGES, ids=[repr(w)[:80] for w, _ in ALL_CHANGES])
def test_any_single_change_is_caught(what, record):
    reason = verify_record(record)
    assert reason is not None, what
    assert not reason.startswith("record could not be checked"), reason  # a reason, not a crash


# --- the reasons name what is wrong -------------------------------------------------------


def with_change(path, value):
    record = copy.deepcopy(RECORD)
    parent, key = at(record, path)
    parent[key] = value
    return record


def test_reasons():
    other_pool = with_change(("pool", 0, "weight"), 3)
    assert verify_record(other_pool).startswith("pool_digest mismatch: commitment says ")
    assert ", pool hashes to " in verify_record(other_pool)
    assert verify_record(with_change(("inspectors", 0, "conflicts"), [])).startswith("inspectors_digest mismatch")
    assert verify_record(with_change(("team_size",), 3)) == (
        'commitment text is not what §1 builds from the record: line 5 is "team_size:2", expected "team_size:3"'
    )
    assert verify_record(with_change(("seed",), "00" * 32)).startswith("seed does not recompute")
    assert verify_record(with_change(("external_entropy",), "")).startswith("seed does not recompute")
    assert verify_record(with_change(("server_secret",), "00" * 32)) == (
        "server_secret does not hash to the commitment's secret_sha256"
    )
    assert verify_record(with_change(("server_secret",), "AB" * 32)) == (
        "server_secret must be 64 lowercase hex digits"
    )
    assert verify_record(with_change(("commitment_sha256",), "0" * 64)).startswith("commitment_sha256 mismatch")
    team = RECORD["selections"][2]["team"]
    assert verify_record(with_change(("selections", 2, "team"), team[::-1])) == "selections differ at position 3"
    assert verify_record(with_change(("selections", 0, "position"), True)) == "selections differ at position 1"
    assert verify_record(with_change(("algorithm",), "ssj-draw-v2")) == "algorithm must be ssj-draw-v1"
    assert verify_record(with_change(("pool", 4, "weight"), 1.0)) == (
        "invalid pool[4].weight: must be an integer from 1 to 1000"
    )
    assert verify_record(with_change(("quotas", "south"), 11)).startswith("invalid quotas['south']")
    missing_seed = {k: v for k, v in RECORD.items() if k != "seed"}
    assert verify_record(missing_seed) == "missing field: seed"


def test_a_public_record_before_execution_is_not_a_verifiable_draw():
    public = make_record(external_entropy=None)
    assert verify_record(public) == "missing field: server_secret"


def test_selections_of_a_draw_that_must_fail():
    record = make_record(quotas={"north": 0, "south": 0, "企业": 0}, inspectors=[])
    record["selections"] = [{"position": 1, "entity_id": "E01", "stratum": "south", "team": []}]
    assert verify_record(record) == "selections differ at position 1: §2 selects only 0"


def test_a_draw_without_eligible_inspectors_is_reported():
    valid = make_record(quotas={"north": 0, "south": 0, "企业": 0}, inspectors=[])
    record = {**valid, "quotas": {"north": 1, "south": 0, "企业": 0}}
    # a commitment for these quotas, so that only §2 can object
    rebuilt = make_record(quotas={"north": 1, "south": 0, "企业": 0}, inspectors=[], external_entropy=None)
    record.update(commitment=rebuilt["commitment"], commitment_sha256=rebuilt["commitment_sha256"])
    record["seed"] = seed(record["commitment"], bytes(range(100, 132)), record["external_entropy"]).hex()
    assert verify_record(record).startswith("selections cannot exist: the draw fails with no eligible inspector for")


@pytest.mark.parametrize(
    "hostile",
    [
        None,
        [],
        "record",
        42,
        {"algorithm": "ssj-draw-v1"},
        {**RECORD, "pool": {"E1": 1}},
        {**RECORD, "pool": [["E1", "north", 1]]},
        {**RECORD, "pool": [{"entity_id": ["E1"], "stratum": "north", "weight": 1}]},
        {**RECORD, "pool": [{"entity_id": "E1", "stratum": {"a": 1}, "weight": 1}]},
        {**RECORD, "pool": [{"entity_id": "\ud800", "stratum": "north", "weight": 1}]},
        {**RECORD, "pool": [{"entity_id": "E1", "stratum": "north", "weight": 10**400}]},
        {**RECORD, "inspectors": [{"inspector_id": "I1", "conflicts": "E1"}]},
        {**RECORD, "inspectors": [{"inspector_id": "I1", "conflicts": [["E1"]]}]},
        {**RECORD, "inspectors": [{"inspector_id": None, "conflicts": []}]},
        {**RECORD, "quotas": [["north", 3]]},
        {**RECORD, "quotas": {"north": None, "south": 10, "企业": 0}},
        {**RECORD, "team_size": float("nan")},
        {**RECORD, "commitment": None},
        {**RECORD, "commitment": "\ud800"},
        {**RECORD, "external_entropy": "\udfff"},
        {**RECORD, "selections": {"1": {}}},
        {**RECORD, "selections": [None]},
        {**RECORD, "server_secret": None},
    ],
)
def test_hostile_input_gets_a_reason_not_an_exception(hostile):
    reason = verify_record(hostile)
    assert isinstance(reason, str) and reason
    assert not reason.startswith("record could not be checked"), reason


def test_absurd_nesting_gets_a_reason():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    record = copy.deepcopy(RECORD)
    record["selections"][0]["team"] = deep
    assert isinstance(verify_record(record), str)
