"""The freezing rules alone: strata, quotas, eligibility (pure, no database)."""

from datetime import date

import pytest

from draw.algorithm import Candidate, Inspector
from draw.clients import RegistryEntity, RegistryInspector
from draw.pools import check_teams_possible, eligible_inspectors, resolve_quotas, stratum_of
from draw.schemas import QuotaRule
from shared.problems import InvalidField


def _entity(sector: str, subtype: str, grade: str | None) -> RegistryEntity:
    return RegistryEntity(
        id="E",
        sector=sector,
        subtype=subtype,
        name="n",
        credit_code="c",
        division_code="210402",
        grade=grade,
        flags={},
        active=True,
        version=1,
    )


def _inspector(ident: str, unit: str = "police_station", expires: date | None = None) -> RegistryInspector:
    return RegistryInspector(
        id=ident,
        name="n",
        unit=unit,
        jurisdiction="210402",
        qualification_expires_date=expires,
        active=True,
        conflicts=[],
        version=1,
    )


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
    assert resolve_quotas(QuotaRule(percent=percent), sizes) == expected


def test_coverage_and_explicit_counts():
    sizes = {"s/b": 3, "s/a": 2}
    assert resolve_quotas(QuotaRule(all=True), sizes) == {"s/a": 2, "s/b": 3}
    assert resolve_quotas(QuotaRule(per_stratum={"s/b": 3}), sizes) == {"s/a": 0, "s/b": 3}
    with pytest.raises(InvalidField) as too_many:
        resolve_quotas(QuotaRule(per_stratum={"s/a": 3}), sizes)
    assert too_many.value.field == "quota.per_stratum.s/a"


def test_quota_rule_takes_exactly_one_form():
    for fields in ({}, {"percent": 5, "all": True}, {"per_stratum": {}, "percent": 1}):
        with pytest.raises(ValueError, match="exactly one"):
            QuotaRule.model_validate(fields)


def test_qualification_expires_at_the_end_of_its_day_and_units_filter():
    day = date(2026, 11, 26)
    rows = [
        _inspector("I1", expires=day),
        _inspector("I2", expires=date(2026, 11, 25)),
        _inspector("I3"),
        _inspector("I4", unit="network_security"),
    ]
    assert [i.id for i in eligible_inspectors(rows, None, day)] == ["I1", "I3", "I4"]
    assert [i.id for i in eligible_inspectors(rows, ["network_security"], day)] == ["I4"]


def test_teams_must_be_formable_for_every_entity_that_can_be_drawn():
    pool = [Candidate("E1", "s/a"), Candidate("E2", "s/b")]
    inspectors = [Inspector("I1", ("E2",)), Inspector("I2", ("E2",)), Inspector("I3", ())]
    check_teams_possible(pool, {"s/a": 1, "s/b": 0}, inspectors, 2)  # E2 cannot be drawn
    with pytest.raises(InvalidField, match="E2") as failure:
        check_teams_possible(pool, {"s/a": 1, "s/b": 1}, inspectors, 2)
    assert failure.value.field == "team_size"
    with pytest.raises(InvalidField, match="more than the 3"):
        check_teams_possible(pool, {"s/a": 1, "s/b": 0}, inspectors, 4)
