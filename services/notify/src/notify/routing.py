"""Which departments hear about an inspection result: pure rule evaluation, no I/O.

The seed (§4) names the recipients: entertainment and special-trade results go to market
regulation (工商) and culture enforcement (文化执法); security-service results to market
regulation; internet-café blacklists to market regulation and culture; major fire hazards to
the government for listed supervision (挂牌督办).
"""

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """Matches when every criterion it has matches; None means "any"."""

    id: str
    version: int
    departments: tuple[str, ...]
    sectors: frozenset[str] | None = None
    outcomes: frozenset[str] | None = None
    description_zh: str = ""

    def matches(self, *, sector: str, outcome: str) -> bool:
        return (self.sectors is None or sector in self.sectors) and (self.outcomes is None or outcome in self.outcomes)


@dataclass(frozen=True)
class Route:
    department: str
    rule_id: str
    rule_version: int


def route(rules: Iterable[Rule], *, sector: str, outcome: str) -> list[Route]:
    """One route per department, credited to the first rule (in the given order) that names it."""
    routes: dict[str, Route] = {}
    for rule in rules:
        if rule.matches(sector=sector, outcome=outcome):
            for department in rule.departments:
                routes.setdefault(department, Route(department, rule.id, rule.version))
    return list(routes.values())


# Version 1, from the 2015 Fushun seed. Migration notify_0001 inserts exactly these rows
# (it keeps its own literal copy; tests/test_migrations.py proves the two agree).
SEED_RULES = (
    Rule(
        "R1",
        1,
        ("market_regulation", "culture_enforcement"),
        sectors=frozenset({"entertainment", "special_trade"}),
        description_zh="娱乐场所、特种行业抽查结果通报属地工商和文化执法部门",
    ),
    Rule(
        "R2",
        1,
        ("market_regulation",),
        sectors=frozenset({"security_service"}),
        description_zh="保安服务业抽查结果通报属地工商部门",
    ),
    Rule(
        "R3",
        1,
        ("market_regulation", "culture_enforcement"),
        sectors=frozenset({"internet_cafe"}),
        outcomes=frozenset({"blacklisted"}),
        description_zh="网吧违法人员列入黑名单，通报工商和文化部门",
    ),
    Rule(
        "R4",
        1,
        ("government",),
        outcomes=frozenset({"listed_supervision"}),
        description_zh="重大火灾隐患报请人民政府挂牌督办",
    ),
)
