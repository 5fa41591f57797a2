"""Which departments hear about an inspection fact: pure rule evaluation, no I/O.

The seed (§4, and §3 for joint checks) names the recipients: entertainment and special-trade
results go to market regulation (工商) and culture enforcement (文化执法); security-service results
to market regulation; internet-café blacklists to market regulation and culture; major fire
hazards to the government for listed supervision (挂牌督办); joint-check results to the
departments that took part (教育, 卫生, 安监, 质监 …).
"""

from collections.abc import Iterable
from dataclasses import dataclass

COMPLETED = "ssj.inspection.completed"
BLACKLISTED = "ssj.inspection.blacklisted"
LISTED_SUPERVISION_REPORTED = "ssj.inspection.listed_supervision_reported"
RECTIFICATION_OVERDUE = "ssj.inspection.rectification_overdue"
# The events notify consumes and rules may match (docs/events.md lists notify as their consumer).
ROUTABLE = (COMPLETED, BLACKLISTED, LISTED_SUPERVISION_REPORTED, RECTIFICATION_OVERDUE)
SECTORS = ("entertainment", "special_trade", "security_service", "blasting", "fire_safety", "internet_cafe")
OUTCOMES = (
    "no_issues",
    "rectification_ordered",
    "penalty_warning",
    "penalty_fine",
    "suspension",
    "licence_revoked",
    "criminal_referral",
    "listed_supervision",
    "blacklisted",
)
CHECK_TYPES = ("on_site", "online_patrol", "joint")


@dataclass(frozen=True)
class Fact:
    """What routing looks at in one event. `outcome` and `check_type` exist on results only;
    `participants` are the departments a joint check names."""

    event_type: str
    sector: str
    outcome: str | None = None
    check_type: str | None = None
    participants: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """Matches when every criterion it has matches; None means "any". A rule with
    `to_participants` also routes to the departments the event names as taking part."""

    id: str
    version: int
    departments: tuple[str, ...]
    event_types: frozenset[str]
    sectors: frozenset[str] | None = None
    outcomes: frozenset[str] | None = None
    check_types: frozenset[str] | None = None
    to_participants: bool = False
    description_zh: str = ""

    def matches(self, fact: Fact) -> bool:
        return (
            fact.event_type in self.event_types
            and _allows(self.sectors, fact.sector)
            and _allows(self.outcomes, fact.outcome)
            and _allows(self.check_types, fact.check_type)
        )

    def recipients(self, fact: Fact) -> tuple[str, ...]:
        return self.departments + (fact.participants if self.to_participants else ())


def _allows(allowed: frozenset[str] | None, value: str | None) -> bool:
    return allowed is None or value in allowed


@dataclass(frozen=True)
class Route:
    department: str
    rule_id: str
    rule_version: int


def route(rules: Iterable[Rule], fact: Fact) -> list[Route]:
    """One route per department, credited to the first rule (in the given order) that names it."""
    routes: dict[str, Route] = {}
    for rule in rules:
        if rule.matches(fact):
            for department in rule.recipients(fact):
                routes.setdefault(department, Route(department, rule.id, rule.version))
    return list(routes.values())


# The rules in force after migration notify_0003 (R1, R2 as seeded in notify_0001; R3 and R4 moved
# to the follow-up events that carry the blacklist and the hazard; R5 new). The migrations keep
# their own literal copies; tests/test_migrations.py proves they agree with this table.
SEED_RULES = (
    Rule(
        "R1",
        1,
        ("market_regulation", "culture_enforcement"),
        frozenset({COMPLETED}),
        sectors=frozenset({"entertainment", "special_trade"}),
        description_zh="娱乐场所、特种行业抽查结果通报属地工商和文化执法部门",
    ),
    Rule(
        "R2",
        1,
        ("market_regulation",),
        frozenset({COMPLETED}),
        sectors=frozenset({"security_service"}),
        description_zh="保安服务业抽查结果通报属地工商部门",
    ),
    Rule(
        "R3",
        2,
        ("market_regulation", "culture_enforcement"),
        frozenset({BLACKLISTED}),
        sectors=frozenset({"internet_cafe"}),
        description_zh="网吧违法人员列入黑名单，通报工商和文化部门",
    ),
    Rule(
        "R4",
        2,
        ("government",),
        frozenset({LISTED_SUPERVISION_REPORTED}),
        description_zh="重大火灾隐患报请人民政府挂牌督办",
    ),
    Rule(
        "R5",
        1,
        (),
        frozenset({COMPLETED}),
        check_types=frozenset({"joint"}),
        to_participants=True,
        description_zh="联合抽查结果通报参与抽查的行业主管部门（教育、卫生、安监、质监等）",
    ),
)
