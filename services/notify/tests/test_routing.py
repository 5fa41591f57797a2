"""The routing rules of the seed, evaluated for every event type, sector, outcome and check type."""

import itertools

import pytest

from notify.routing import (
    BLACKLISTED,
    CHECK_TYPES,
    COMPLETED,
    LISTED_SUPERVISION_REPORTED,
    OUTCOMES,
    RECTIFICATION_OVERDUE,
    ROUTABLE,
    SECTORS,
    SEED_RULES,
    Fact,
    Route,
    Rule,
    route,
)

MR, CE, GOV = "market_regulation", "culture_enforcement", "government"
JOINT = ("education", "health", "work_safety", "quality")


def seed_says(fact: Fact) -> set[str]:
    """Seed §4 (and §3 for joint checks), written independently of the rule table."""
    departments = set()
    if fact.event_type == COMPLETED:
        if fact.sector in ("entertainment", "special_trade"):
            departments |= {MR, CE}
        if fact.sector == "security_service":
            departments |= {MR}
        if fact.check_type == "joint":
            departments |= set(fact.participants)
    if fact.event_type == BLACKLISTED and fact.sector == "internet_cafe":
        departments |= {MR, CE}
    if fact.event_type == LISTED_SUPERVISION_REPORTED:
        departments |= {GOV}
    return departments


def all_facts() -> list[Fact]:
    results = [
        Fact(COMPLETED, sector, outcome, check_type, JOINT[:2] if check_type == "joint" else ())
        for sector, outcome, check_type in itertools.product(SECTORS, OUTCOMES, (*CHECK_TYPES, None))
    ]
    follow_ups = [Fact(t, s) for t, s in itertools.product(ROUTABLE[1:], SECTORS)]
    return results + follow_ups


@pytest.mark.parametrize("fact", all_facts(), ids=str)
def test_every_fact_routes_as_the_seed_says(fact):
    routes = route(SEED_RULES, fact)
    assert {r.department for r in routes} == seed_says(fact)
    assert len(routes) == len({r.department for r in routes})


@pytest.mark.parametrize(
    ("fact", "expected"),
    [
        (Fact(COMPLETED, "entertainment", "no_issues"), [Route(MR, "R1", 1), Route(CE, "R1", 1)]),
        (Fact(COMPLETED, "special_trade", "penalty_fine"), [Route(MR, "R1", 1), Route(CE, "R1", 1)]),
        (Fact(COMPLETED, "security_service", "rectification_ordered"), [Route(MR, "R2", 1)]),
        (Fact(BLACKLISTED, "internet_cafe"), [Route(MR, "R3", 2), Route(CE, "R3", 2)]),
        (Fact(LISTED_SUPERVISION_REPORTED, "fire_safety"), [Route(GOV, "R4", 2)]),
        (
            Fact(COMPLETED, "fire_safety", "penalty_fine", "joint", ("education", "work_safety")),
            [Route("education", "R5", 1), Route("work_safety", "R5", 1)],
        ),
        (
            Fact(COMPLETED, "entertainment", "no_issues", "joint", (MR, "health")),
            [Route(MR, "R1", 1), Route(CE, "R1", 1), Route("health", "R5", 1)],
        ),
    ],
)
def test_each_route_names_the_rule_version_that_made_it(fact, expected):
    assert route(SEED_RULES, fact) == expected


@pytest.mark.parametrize(
    "fact",
    [
        Fact(COMPLETED, "internet_cafe", "blacklisted"),  # the blacklist itself is the event that goes out
        Fact(COMPLETED, "fire_safety", "listed_supervision"),  # so is the report to the government
        Fact(COMPLETED, "blasting", "licence_revoked"),
        Fact(COMPLETED, "fire_safety", "penalty_fine", "on_site", ("education",)),
        Fact(COMPLETED, "fire_safety", "no_issues", "joint", ()),
        Fact(BLACKLISTED, "entertainment"),
        Fact(RECTIFICATION_OVERDUE, "blasting"),
        Fact(COMPLETED, "unknown_sector", "no_issues"),
    ],
    ids=str,
)
def test_facts_no_rule_names_go_nowhere(fact):
    assert route(SEED_RULES, fact) == []


def test_a_department_named_twice_is_routed_once_by_the_first_rule():
    rules = [
        Rule("A", 1, (MR,), frozenset({BLACKLISTED})),
        Rule("B", 2, (MR, GOV), frozenset({BLACKLISTED})),
    ]
    assert route(rules, Fact(BLACKLISTED, "blasting")) == [Route(MR, "A", 1), Route(GOV, "B", 2)]


def test_a_rule_needs_every_criterion_it_has():
    rule = Rule(
        "X",
        1,
        (GOV,),
        frozenset({COMPLETED}),
        sectors=frozenset({"fire_safety"}),
        outcomes=frozenset({"suspension"}),
        check_types=frozenset({"on_site"}),
    )
    assert rule.matches(Fact(COMPLETED, "fire_safety", "suspension", "on_site"))
    assert not rule.matches(Fact(COMPLETED, "fire_safety", "suspension", None))
    assert not rule.matches(Fact(COMPLETED, "fire_safety", "penalty_fine", "on_site"))
    assert not rule.matches(Fact(COMPLETED, "blasting", "suspension", "on_site"))
    assert not rule.matches(Fact(BLACKLISTED, "fire_safety", "suspension", "on_site"))


def test_participants_count_only_for_rules_that_ask_for_them():
    fact = Fact(COMPLETED, "fire_safety", "no_issues", "joint", ("education",))
    assert Rule("P", 1, (GOV,), frozenset({COMPLETED})).recipients(fact) == (GOV,)
    assert Rule("P", 1, (GOV,), frozenset({COMPLETED}), to_participants=True).recipients(fact) == (GOV, "education")


def test_no_rules_route_nothing():
    assert route([], Fact(COMPLETED, "entertainment", "no_issues")) == []
