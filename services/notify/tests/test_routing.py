"""The routing rules of the seed, evaluated for every sector and every outcome."""

import itertools

import pytest

from notify.routing import SEED_RULES, Route, Rule, route

SECTORS = ["entertainment", "special_trade", "security_service", "blasting", "fire_safety", "internet_cafe"]
OUTCOMES = [
    "no_issues",
    "rectification_ordered",
    "penalty_warning",
    "penalty_fine",
    "suspension",
    "licence_revoked",
    "criminal_referral",
    "listed_supervision",
    "blacklisted",
]
MR, CE, GOV = "market_regulation", "culture_enforcement", "government"


def seed_says(sector: str, outcome: str) -> set[str]:
    """Seed §4, written independently of the rule table."""
    departments = set()
    if sector in ("entertainment", "special_trade"):
        departments |= {MR, CE}
    if sector == "security_service":
        departments |= {MR}
    if sector == "internet_cafe" and outcome == "blacklisted":
        departments |= {MR, CE}
    if outcome == "listed_supervision":
        departments |= {GOV}
    return departments


@pytest.mark.parametrize(("sector", "outcome"), list(itertools.product(SECTORS, OUTCOMES)))
def test_every_sector_and_outcome_routes_as_the_seed_says(sector, outcome):
    routes = route(SEED_RULES, sector=sector, outcome=outcome)
    assert {r.department for r in routes} == seed_says(sector, outcome)
    assert len(routes) == len({r.department for r in routes})


@pytest.mark.parametrize(
    ("sector", "outcome", "expected"),
    [
        ("entertainment", "no_issues", [Route(MR, "R1", 1), Route(CE, "R1", 1)]),
        ("special_trade", "penalty_fine", [Route(MR, "R1", 1), Route(CE, "R1", 1)]),
        ("security_service", "rectification_ordered", [Route(MR, "R2", 1)]),
        ("internet_cafe", "blacklisted", [Route(MR, "R3", 1), Route(CE, "R3", 1)]),
        ("fire_safety", "listed_supervision", [Route(GOV, "R4", 1)]),
        ("entertainment", "listed_supervision", [Route(MR, "R1", 1), Route(CE, "R1", 1), Route(GOV, "R4", 1)]),
    ],
)
def test_each_route_names_the_rule_that_made_it(sector, outcome, expected):
    assert route(SEED_RULES, sector=sector, outcome=outcome) == expected


@pytest.mark.parametrize(
    ("sector", "outcome"),
    [
        ("blasting", "no_issues"),
        ("blasting", "licence_revoked"),
        ("fire_safety", "penalty_fine"),
        ("internet_cafe", "no_issues"),
        ("internet_cafe", "penalty_fine"),
        ("unknown_sector", "no_issues"),
    ],
)
def test_results_no_rule_names_go_nowhere(sector, outcome):
    assert route(SEED_RULES, sector=sector, outcome=outcome) == []


def test_a_department_named_twice_is_routed_once_by_the_first_rule():
    rules = [Rule("A", 1, (MR,), outcomes=frozenset({"blacklisted"})), Rule("B", 2, (MR, GOV))]
    assert route(rules, sector="blasting", outcome="blacklisted") == [Route(MR, "A", 1), Route(GOV, "B", 2)]


def test_a_rule_needs_every_criterion_it_has():
    rule = Rule("X", 1, (GOV,), sectors=frozenset({"fire_safety"}), outcomes=frozenset({"suspension"}))
    assert rule.matches(sector="fire_safety", outcome="suspension")
    assert not rule.matches(sector="fire_safety", outcome="penalty_fine")
    assert not rule.matches(sector="blasting", outcome="suspension")


def test_no_rules_route_nothing():
    assert route([], sector="entertainment", outcome="no_issues") == []
