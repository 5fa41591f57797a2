"""The seed's frequency rules (抚顺市公安局实施细则 §3) as data, and the draws they require.

Pure: no I/O. Each rule names its checking body, the period it counts over, how many rounds a
period needs and how many of each stratum a round draws. Where the seed demands that every
entity be checked ("所有…单位", or a per-venue minimum), the quota is the whole stratum and the
randomness lies in the teams and the order (`coverage`); elsewhere it is a sampling ratio.

Numbers the seed leaves to the bureau are chosen here and documented, and the table is
versioned: a draw records the version it was planned under.

- Armed escort companies (武装守护押运): "加大抽查力度，增加抽查频次和比例" — every quarter
  (twice the half-yearly frequency) at >= 20 % (four times the 5 % ratio).
- Hotels, seal engraving, pawn (旅馆业、公章刻制业、典当业): the seed sets no frequency; the
  default is one draw per half-year at >= 5 % per county, and deployments may change period,
  rounds and ratio (Settings.rule_overrides), which changes the table's version.
- Fire safety: ">= 1 round per quarter"; the seed sets no ratio, 5 % is the default here.
- B venues, county public-order department: of the two quarterly checks, the second is planned
  as an online patrol (网上巡查), which the seed allows to replace one of them.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction
from typing import Any, Literal

from draw.periods import KIND_MONTHS, Period, periods_of, windows

RULES_VERSION = "fushun-2015-v1"
CITY = "210400"  # 抚顺市: the city bureau's own jurisdiction code
COUNTIES = ("210402", "210403", "210404", "210411", "210421", "210422", "210423")
Level = Literal["city", "county"]


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    seed_ref: str
    sector: str
    strata_keys: tuple[str, ...]  # grades for venues, subtypes elsewhere
    checking_body: str
    level: Level
    period: str
    rounds: int
    coverage: bool
    percent: Fraction | None = None
    team_size: int = 2
    check_types: tuple[str, ...] = ("on_site",)
    # "body": only inspectors of the body's own jurisdiction; "any": the unit's officers citywide
    inspectors_from: Literal["body", "any"] = "body"
    configurable: bool = False

    @property
    def strata(self) -> tuple[str, ...]:
        return tuple(f"{self.sector}/{key}" for key in self.strata_keys)

    @property
    def graded(self) -> bool:
        return self.sector == "entertainment"

    def check_type(self, round_: int) -> str:
        return self.check_types[(round_ - 1) % len(self.check_types)]

    def quota(self) -> dict[str, Any]:
        return {"all": True} if self.coverage else {"percent": float(self.percent or 0)}

    def required(self, stratum_size: int) -> int:
        """Entities one round must draw from a stratum of this size (>= 1 of any non-empty one)."""
        if self.coverage or stratum_size == 0:
            return stratum_size
        return max(1, math.ceil((self.percent or Fraction(0)) * stratum_size / 100))

    def bodies(self, counties: Sequence[str]) -> list[str]:
        """The jurisdictions of this rule's checking bodies: the city, or every county/district."""
        return [CITY] if self.level == "city" else list(counties)


def _venues(grade: str, body: str, period: str, rounds: int, **extra: Any) -> Rule:
    who = {"county_public_order": ("county", "县级公安机关治安部门"), "police_station": ("station", "辖区派出所")}[body]
    per = {"quarter": "每季度", "month": "每月"}[period]
    return Rule(
        code=f"entertainment-{who[0]}-{grade}",
        title=f"{grade}级娱乐场所 {who[1]}{per}检查不少于{rounds}次",
        seed_ref="§3(一)",
        sector="entertainment",
        strata_keys=(grade,),
        checking_body=body,
        level="county",
        period=period,
        rounds=rounds,
        coverage=True,
        **extra,
    )


def _special(subtype: str, name: str) -> Rule:
    return Rule(
        code=f"special-trade-{subtype.replace('_', '-')}",
        title=f"{name} 双随机抽查（频次可配置）",
        seed_ref="§3(一)",
        sector="special_trade",
        strata_keys=(subtype,),
        checking_body="county_public_order",
        level="county",
        period="half",
        rounds=1,
        coverage=False,
        percent=Fraction(5),
        configurable=True,
    )


def _blasting(subtype: str, level: Level, period: str) -> Rule:
    kind = {"commercial": "营业性", "non_commercial": "非营业性"}[subtype]
    who = {"city": "市级公安机关", "county": "县级公安机关"}[level]
    per = {"quarter": "每季度", "half": "每半年", "year": "每年"}[period]
    return Rule(
        code=f"blasting-{subtype.replace('_', '-')}-{level}",
        title=f"所有{kind}爆破作业单位 {who}{per}至少检查1次",
        seed_ref="§3(三)",
        sector="blasting",
        strata_keys=(subtype,),
        checking_body="blasting_supervision",
        level=level,
        period=period,
        rounds=1,
        coverage=True,
    )


RULES: tuple[Rule, ...] = (
    _venues("A", "county_public_order", "quarter", 1),
    _venues("B", "county_public_order", "quarter", 2, check_types=("on_site", "online_patrol")),
    _venues("C", "county_public_order", "quarter", 2),
    _venues("A", "police_station", "quarter", 1),
    _venues("B", "police_station", "quarter", 2),
    _venues("C", "police_station", "month", 1),
    _special("hotel", "旅馆业"),
    _special("seal_engraving", "公章刻制业"),
    _special("pawn", "典当业"),
    Rule(
        code="security-company-training",
        title="保安服务公司和保安培训单位 每半年至少抽查1次，每次不低于5%",
        seed_ref="§3(二)",
        sector="security_service",
        strata_keys=("company", "training"),
        checking_body="city_public_order",
        level="city",
        period="half",
        rounds=1,
        coverage=False,
        percent=Fraction(5),
    ),
    Rule(
        code="security-armed-escort",
        title="武装守护押运企业 加大抽查力度：每季度抽查，每次不低于20%",
        seed_ref="§3(二)",
        sector="security_service",
        strata_keys=("armed_escort",),
        checking_body="city_public_order",
        level="city",
        period="quarter",
        rounds=1,
        coverage=False,
        percent=Fraction(20),
    ),
    _blasting("commercial", "city", "half"),
    _blasting("commercial", "county", "quarter"),
    _blasting("non_commercial", "city", "year"),
    _blasting("non_commercial", "county", "half"),
    Rule(
        code="fire-safety",
        title="单位履行消防安全职责 每季度至少组织一次随机抽查",
        seed_ref="§3(四)",
        sector="fire_safety",
        strata_keys=("unit",),
        checking_body="fire_supervision",
        level="city",
        period="quarter",
        rounds=1,
        coverage=False,
        percent=Fraction(5),
        inspectors_from="any",
    ),
    Rule(
        code="internet-cafe",
        title="网吧 每月抽查3次，每次不低于5%，每组两名民警",
        seed_ref="§3(五)",
        sector="internet_cafe",
        strata_keys=("cafe",),
        checking_body="network_security",
        level="city",
        period="month",
        rounds=3,
        coverage=False,
        percent=Fraction(5),
        inspectors_from="any",
    ),
)


@dataclass(frozen=True)
class RuleTable:
    version: str
    rules: tuple[Rule, ...]

    def get(self, code: str) -> Rule:
        for rule in self.rules:
            if rule.code == code:
                return rule
        raise KeyError(code)


def rule_table(overrides: Mapping[str, Mapping[str, Any]] | None = None) -> RuleTable:
    """The table with the bureau's settings for the configurable rules. ValueError names the rule
    or field it refuses: a rule the seed fixes cannot be weakened by configuration."""
    if not overrides:
        return RuleTable(RULES_VERSION, RULES)
    rules = list(RULES)
    for code, change in sorted(overrides.items()):
        index = next((i for i, r in enumerate(rules) if r.code == code), None)
        if index is None:
            raise ValueError(f"rule_overrides: no rule {code!r}")
        if not rules[index].configurable:
            raise ValueError(f"rule_overrides.{code}: the seed fixes this rule; only hotel, seal and pawn rules vary")
        rules[index] = _override(rules[index], change)
    canonical = json.dumps(overrides, sort_keys=True, separators=(",", ":"))
    return RuleTable(f"{RULES_VERSION}+cfg.{hashlib.sha256(canonical.encode()).hexdigest()[:8]}", tuple(rules))


def _override(rule: Rule, change: Mapping[str, Any]) -> Rule:
    unknown = set(change) - {"period", "rounds", "percent"}
    if unknown:
        raise ValueError(f"rule_overrides.{rule.code}: unknown field {sorted(unknown)[0]!r}")
    period, rounds = change.get("period", rule.period), change.get("rounds", rule.rounds)
    percent = Fraction(str(change.get("percent", rule.percent)))
    if period not in KIND_MONTHS or type(rounds) is not int or not 1 <= rounds <= 31 or not 0 < percent <= 100:
        raise ValueError(
            f"rule_overrides.{rule.code}: period one of {sorted(KIND_MONTHS)}, rounds 1..31, percent 0..100"
        )
    return replace(rule, period=period, rounds=rounds, percent=percent)


@dataclass(frozen=True)
class PlannedDraw:
    """One draw a rule requires: for one rule period, one checking body, one round."""

    rule_code: str
    rule_period: str
    round: int
    jurisdiction: str
    title: str
    sector: str
    subtypes: list[str] | None
    grades: list[str] | None
    divisions: list[str] | None
    inspector_units: list[str]
    jurisdictions: list[str] | None
    quota: dict[str, Any]
    team_size: int
    check_type: str
    checking_body: str
    due_date: date


def planned_draws(table: RuleTable, period: Period, counties: Sequence[str]) -> list[PlannedDraw]:
    """Every draw the rules require in the rule periods that meet `period`: a quarter's plan
    includes its three months' draws and the draws of the half-year and year it falls in."""
    return [
        draw
        for rule in table.rules
        for rule_period in periods_of(rule.period, period)
        for jurisdiction in rule.bodies(counties)
        for draw in _rounds(rule, rule_period, jurisdiction)
    ]


def _rounds(rule: Rule, rule_period: Period, jurisdiction: str) -> list[PlannedDraw]:
    county = jurisdiction != CITY
    keys = list(rule.strata_keys)
    return [
        PlannedDraw(
            rule_code=rule.code,
            rule_period=rule_period.code,
            round=round_,
            jurisdiction=jurisdiction,
            title=f"{rule_period.code} {rule.title} [{jurisdiction}] 第{round_}轮",
            sector=rule.sector,
            subtypes=None if rule.graded else keys,
            grades=keys if rule.graded else None,
            divisions=[jurisdiction] if county else None,
            inspector_units=[rule.checking_body],
            jurisdictions=None if rule.inspectors_from == "any" else [jurisdiction],
            quota=rule.quota(),
            team_size=rule.team_size,
            check_type=rule.check_type(round_),
            checking_body=rule.checking_body,
            due_date=window[1],
        )
        for round_, window in enumerate(windows(rule_period, rule.rounds), start=1)
    ]
