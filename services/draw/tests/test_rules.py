"""The rule table and the plan it generates (pure): every frequency rule of mission.md §2."""

from datetime import date
from fractions import Fraction

import pytest

from draw import periods, risk, rules
from draw.algorithm import Candidate, Inspector, commitment_text, inspectors_digest, pool_digest, secret_sha256
from draw.frozen import commitment_of

# mission.md §2, transcribed: (sector, stratum key, checking body, level) -> (period, rounds, coverage, min %)
SEED = {
    ("entertainment", "A", "county_public_order", "county"): ("quarter", 1, True, None),
    ("entertainment", "B", "county_public_order", "county"): ("quarter", 2, True, None),
    ("entertainment", "C", "county_public_order", "county"): ("quarter", 2, True, None),
    ("entertainment", "A", "police_station", "county"): ("quarter", 1, True, None),
    ("entertainment", "B", "police_station", "county"): ("quarter", 2, True, None),
    ("entertainment", "C", "police_station", "county"): ("month", 1, True, None),
    ("security_service", "company", "city_public_order", "city"): ("half", 1, False, 5),
    ("security_service", "training", "city_public_order", "city"): ("half", 1, False, 5),
    ("blasting", "commercial", "blasting_supervision", "city"): ("half", 1, True, None),
    ("blasting", "commercial", "blasting_supervision", "county"): ("quarter", 1, True, None),
    ("blasting", "non_commercial", "blasting_supervision", "city"): ("year", 1, True, None),
    ("blasting", "non_commercial", "blasting_supervision", "county"): ("half", 1, True, None),
    ("fire_safety", "unit", "fire_supervision", "city"): ("quarter", 1, False, None),
    ("internet_cafe", "cafe", "network_security", "city"): ("month", 3, False, 5),
}
MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}


def _by_stratum(table: rules.RuleTable) -> dict[tuple[str, str, str, str], rules.Rule]:
    return {(r.sector, key, r.checking_body, r.level): r for r in table.rules for key in r.strata_keys}


def test_every_seed_rule_is_in_the_table_at_least_as_strict():
    found = _by_stratum(rules.rule_table())
    for key, (period, rounds, coverage, percent) in SEED.items():
        rule = found[key]
        assert MONTHS[rule.period] <= MONTHS[period] and rule.rounds >= rounds, key
        assert rule.coverage == coverage, key
        if percent is not None:
            assert rule.percent is not None and rule.percent >= percent, key


def test_the_choices_the_seed_leaves_open():
    found = _by_stratum(rules.rule_table())
    escort = found[("security_service", "armed_escort", "city_public_order", "city")]
    company = found[("security_service", "company", "city_public_order", "city")]
    assert MONTHS[escort.period] < MONTHS[company.period] and escort.percent > company.percent  # 加大抽查力度
    b_county = found[("entertainment", "B", "county_public_order", "county")]
    assert [b_county.check_type(1), b_county.check_type(2)] == ["on_site", "online_patrol"]
    for subtype in ("hotel", "seal_engraving", "pawn"):
        assert found[("special_trade", subtype, "county_public_order", "county")].configurable
    assert found[("internet_cafe", "cafe", "network_security", "city")].team_size == 2
    assert {r.team_size for r in rules.RULES} == {2}


def test_required_checks_per_round():
    table = rules.rule_table()
    cafe, venues = table.get("internet-cafe"), table.get("entertainment-county-C")
    assert [cafe.required(n) for n in (0, 1, 20, 21, 100, 101)] == [0, 1, 1, 2, 5, 6]
    assert [venues.required(n) for n in (0, 7)] == [0, 7]


def test_overrides_change_only_configurable_rules_and_the_version():
    table = rules.rule_table({"special-trade-hotel": {"period": "quarter", "rounds": 2, "percent": 10}})
    hotel = table.get("special-trade-hotel")
    assert (hotel.period, hotel.rounds, hotel.percent) == ("quarter", 2, Fraction(10))
    assert table.version.startswith(rules.RULES_VERSION + "+cfg.") and table.version != rules.RULES_VERSION
    with pytest.raises(ValueError, match="the seed fixes this rule"):
        rules.rule_table({"internet-cafe": {"rounds": 1}})
    with pytest.raises(ValueError, match="no rule 'casino'"):
        rules.rule_table({"casino": {}})
    with pytest.raises(ValueError, match=r"rounds 1\.\.31"):
        rules.rule_table({"special-trade-pawn": {"rounds": 0}})


def test_periods_parse_nest_and_split():
    q4 = periods.parse("2026-Q4")
    assert (q4.start, q4.end, q4.kind, str(q4)) == (date(2026, 10, 1), date(2026, 12, 31), "quarter", "2026-Q4")
    assert [p.code for p in periods.periods_of("month", q4)] == ["2026-10", "2026-11", "2026-12"]
    assert [p.code for p in periods.periods_of("half", q4)] == ["2026-H2"]
    assert [p.code for p in periods.periods_of("quarter", periods.parse("2026"))] == [f"2026-Q{i}" for i in range(1, 5)]
    assert periods.windows(periods.parse("2026-11"), 3) == [
        (date(2026, 11, 1), date(2026, 11, 10)),
        (date(2026, 11, 11), date(2026, 11, 20)),
        (date(2026, 11, 21), date(2026, 11, 30)),
    ]
    with pytest.raises(ValueError, match="YYYY-Q1"):
        periods.parse("Q4")


def test_a_quarter_plan_holds_every_required_round():
    counties = ["210402", "210421"]
    planned = rules.planned_draws(rules.rule_table(), periods.parse("2026-Q4"), counties)
    count: dict[tuple[str, str], int] = {}
    for p in planned:
        count[(p.rule_code, p.jurisdiction)] = count.get((p.rule_code, p.jurisdiction), 0) + 1
    for county in counties:
        assert count[("entertainment-county-B", county)] == 2
        assert count[("entertainment-station-C", county)] == 3  # one per month
        assert count[("blasting-commercial-county", county)] == 1
    assert count[("internet-cafe", rules.CITY)] == 9  # three per month
    assert count[("blasting-non-commercial-city", rules.CITY)] == 1  # the year's draw, due at year end
    cafe = [p for p in planned if p.rule_code == "internet-cafe"]
    assert [p.due_date.day for p in cafe[:3]] == [10, 20, 31] and {p.team_size for p in cafe} == {2}
    station = next(p for p in planned if p.rule_code == "entertainment-station-A")
    assert station.divisions == [station.jurisdiction] == station.jurisdictions
    assert station.inspector_units == ["police_station"] and station.quota == {"all": True}
    fire = next(p for p in planned if p.rule_code == "fire-safety")
    assert fire.jurisdictions is None and fire.quota == {"percent": 5.0}


def test_commitment_from_digests_is_the_algorithms_commitment():
    pool = [Candidate(f"E{i}", f"s{i % 3}", 1 + i % 4) for i in range(40)]
    inspectors = [Inspector(f"I{i}", (f"E{i}",)) for i in range(5)]
    quotas, secret = {"s0": 3, "s1": 0, "s2": 13}, secret_sha256(bytes(32))
    expected = commitment_text("d-1", pool, inspectors, 2, quotas, secret, "beacon")
    assert (
        commitment_of("d-1", pool_digest(pool), inspectors_digest(inspectors), 2, quotas, secret, "beacon") == expected
    )


@pytest.mark.parametrize(
    ("signals", "flags", "weight"),
    [
        (None, None, 1),
        ({}, {}, 1),
        ({"complaint": {"count": 2}}, None, 1),
        ({"complaint": {"count": 3}}, None, 3),
        ({"complaint": {"count": 12, "last_date": "2026-10-01"}}, None, 5),
        ({"serious_violation": {"count": 1}, "fire": {"count": 2}}, None, 9),
        ({"abnormal_list": True, "hidden_hazard": [{"date": "2026-01-02"}], "penalty": 1}, None, 9),
        (None, {"abnormal_list": True}, 4),
        ({"complaint": "many", "fire": -3, "penalty": float("nan")}, None, 1),
    ],
)
def test_risk_policy_v1(signals, flags, weight):
    assert risk.weight(signals, flags) == weight
    assert risk.weight(signals, flags, risk.NONE) == 1


def test_extra_quota_stays_inside_the_stratum():
    assert risk.extra_quota(5, 100, 7) == 1  # ceil(5 * 7%)
    assert risk.extra_quota(20, 100, 50) == 10
    assert risk.extra_quota(90, 100, 50) == 10 and risk.extra_quota(99, 100, 100) == 1
    assert risk.extra_quota(5, 100, 0) == 0 and risk.extra_quota(5, 100, 7, risk.NONE) == 0
