"""The freezing rules alone: strata, filters, weights, quotas, eligibility (pure, no database)."""

from datetime import date

import pytest

from draw.algorithm import Candidate, Inspector
from draw.clients import RegistryInspector
from draw.frozen import PoolEntity
from draw.pools import (
    candidates,
    check_teams_possible,
    eligible_inspectors,
    matching_entities,
    resolve_quotas,
    stratum_of,
)
from draw.schemas import DrawSpec, QuotaRule
from shared.problems import InvalidField


def _entity(sector: str, subtype: str, grade: str | None, ident: str = "E", **extra: object) -> PoolEntity:
    fields: dict = {"division_code": "210402", "flags": {}, "active": True, "risk": None} | extra
    return PoolEntity(
        ident,
        sector,
        subtype,
        "n",
        "c",
        fields["division_code"],
        grade,
        fields["flags"],
        fields["active"],
        1,
        fields["risk"],
    )


def _inspector(ident: str, unit: str = "police_station", expires: date | None = None, area: str = "210402"):
    return RegistryInspector(
        id=ident,
        name="n",
        unit=unit,
        jurisdiction=area,
        qualification_expires_date=expires,
        active=True,
        conflicts=[],
        version=1,
    )


def _spec(**fields: object) -> DrawSpec:
    base = {"title": "t", "sector": "entertainment", "quota": {"all": True}, "period": "2026-Q4"}
    return DrawSpec.model_validate(base | fields)


def _pool(sizes: dict[str, int]) -> list[Candidate]:
    return [Candidate(f"{s}-{i}", s) for s, n in sizes.items() for i in range(n)]


def test_venues_are_stratified_by_grade_and_the_rest_by_subtype():
    assert stratum_of(_entity("entertainment", "venue", "B")) == "entertainment/B"
    assert stratum_of(_entity("special_trade", "pawn", None)) == "special_trade/pawn"
    assert stratum_of(_entity("blasting", "non_commercial", None)) == "blasting/non_commercial"


@pytest.mark.parametrize(
    ("percent", "sizes", "expected"),
    [
        (5, {"a": 100, "b": 101, "c": 1}, {"a": 5, "b": 6, "c": 1}),
        (0.1, {"a": 1000, "b": 1001}, {"a": 1, "b": 2}),
        (33.3, {"a": 1000}, {"a": 333}),
        (100, {"a": 7}, {"a": 7}),
    ],
)
def test_percent_is_an_exact_ceiling_and_at_least_one(percent, sizes, expected):
    assert resolve_quotas(QuotaRule(percent=percent), _pool(sizes), "risk-v1").quotas == expected


def test_coverage_and_explicit_counts():
    pool = _pool({"s/b": 3, "s/a": 2})
    assert resolve_quotas(QuotaRule(all=True), pool, "risk-v1").quotas == {"s/a": 2, "s/b": 3}
    assert resolve_quotas(QuotaRule(per_stratum={"s/b": 3}), pool, "none").quotas == {"s/a": 0, "s/b": 3}
    with pytest.raises(InvalidField) as too_many:
        resolve_quotas(QuotaRule(per_stratum={"s/a": 3}), pool, "none")
    assert too_many.value.field == "quota.per_stratum.s/a" and "above the stratum" in (too_many.value.detail or "")


def test_high_risk_entities_add_quota_to_sampling_strata_only():
    pool = [Candidate(f"E{i}", "s", 7 if i < 30 else 1) for i in range(200)] + [Candidate("F", "t", 9)]
    sampled = resolve_quotas(QuotaRule(percent=5), pool, "risk-v1")
    assert sampled.quotas == {"s": 10 + 2, "t": 1}  # ceil(10 * 30/200) = 2 more; t is already whole
    assert sampled.summary == {
        "policy": "risk-v1",
        "weighted": 31,
        "high_risk": {"s": 30, "t": 1},
        "extra_quota": {"s": 2},
    }
    assert resolve_quotas(QuotaRule(percent=5), pool, "none").quotas == {"s": 10, "t": 1}
    assert resolve_quotas(QuotaRule(all=True), pool, "risk-v1").quotas == {"s": 200, "t": 1}
    explicit = QuotaRule(per_stratum={"s": 10, "t": 0})
    assert resolve_quotas(explicit, pool, "risk-v1").quotas == {"s": 10, "t": 0}


def test_quota_rule_takes_exactly_one_form():
    for fields in ({}, {"percent": 5, "all": True}, {"per_stratum": {}, "percent": 1}):
        with pytest.raises(ValueError, match="exactly one"):
            QuotaRule.model_validate(fields)


def test_filters_keep_active_entities_of_the_chosen_grades_areas_and_flags():
    rows = [
        _entity("entertainment", "venue", "A", "E1"),
        _entity("entertainment", "venue", "B", "E2"),
        _entity("entertainment", "venue", "A", "E3", division_code="210403"),
        _entity("entertainment", "venue", "A", "E4", active=False),
        _entity("entertainment", "venue", "A", "E5", flags={"key_area": True}),
    ]
    assert [e.id for e in matching_entities(rows, _spec())] == ["E1", "E2", "E3", "E5"]
    assert [e.id for e in matching_entities(rows, _spec(grades=["A"], divisions=["210402"]))] == ["E1", "E5"]
    assert [e.id for e in matching_entities(rows, _spec(flags=["key_area"]))] == ["E5"]


def test_weights_come_from_risk_signals_and_default_to_one():
    rows = [
        _entity("internet_cafe", "cafe", None, "E1"),
        _entity("internet_cafe", "cafe", None, "E2", risk={"complaint": {"count": 4}, "penalty": {"count": 1}}),
        _entity("internet_cafe", "cafe", None, "E3", flags={"abnormal_list": True}),
        _entity("internet_cafe", "cafe", None, "E4", risk="garbage"),
    ]
    assert [c.weight for c in candidates(rows, "risk-v1")] == [1, 5, 4, 1]
    assert [c.weight for c in candidates(rows, "none")] == [1, 1, 1, 1]


def test_qualification_expires_at_the_end_of_its_day_and_units_and_jurisdictions_filter():
    day = date(2026, 11, 26)
    rows = [
        _inspector("I1", expires=day),
        _inspector("I2", expires=date(2026, 11, 25)),
        _inspector("I3"),
        _inspector("I4", unit="network_security"),
        _inspector("I5", area="210421"),
    ]
    assert [i.id for i in eligible_inspectors(rows, _spec(), day)] == ["I1", "I3", "I4", "I5"]
    assert [i.id for i in eligible_inspectors(rows, _spec(inspector_units=["network_security"]), day)] == ["I4"]
    only_county = _spec(inspector_units=["police_station"], jurisdictions=["210421"])
    assert [i.id for i in eligible_inspectors(rows, only_county, day)] == ["I5"]


def test_teams_must_be_formable_for_every_entity_that_can_be_drawn():
    pool = [Candidate("E1", "s/a"), Candidate("E2", "s/b")]
    inspectors = [Inspector("I1", ("E2",)), Inspector("I2", ("E2",)), Inspector("I3", ())]
    check_teams_possible(pool, {"s/a": 1, "s/b": 0}, inspectors, 2)  # E2 cannot be drawn
    with pytest.raises(InvalidField, match="E2") as failure:
        check_teams_possible(pool, {"s/a": 1, "s/b": 1}, inspectors, 2)
    assert failure.value.field == "team_size"
    with pytest.raises(InvalidField, match="larger than the eligible pool of 3") as too_big:
        check_teams_possible(pool, {"s/a": 1, "s/b": 0}, inspectors, 4)
    assert too_big.value.field == "team_size"
    with pytest.raises(InvalidField, match="no eligible inspectors") as nobody:
        check_teams_possible(pool, {"s/a": 1, "s/b": 0}, [], 2)
    assert nobody.value.field == "inspector_units"
