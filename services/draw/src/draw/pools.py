"""Freezing a plan into the two pools of §1: who may be drawn, with what weight, who may inspect,
how many of each stratum. Pure functions: registry rows come in, algorithm inputs or a named
422 go out."""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from math import ceil
from typing import Any
from zoneinfo import ZoneInfo

from draw import risk
from draw.algorithm import Candidate, Inspector
from draw.clients import RegistryInspector
from draw.frozen import PoolEntity
from draw.schemas import DrawSpec, QuotaRule
from shared.problems import InvalidField

# Qualifications expire by the bureau's calendar day, not UTC's.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
ORDINARY_WEIGHT = 1


def local_today() -> date:
    return datetime.now(LOCAL_TZ).date()


def stratum_of(entity: PoolEntity) -> str:
    """Venues are stratified by 治安分级 grade, whose check frequencies differ; the rest by subtype."""
    key = entity.grade if entity.sector == "entertainment" and entity.grade else entity.subtype
    return f"{entity.sector}/{key}"


def matching_entities(entities: Iterable[PoolEntity], spec: DrawSpec) -> list[PoolEntity]:
    """Active entities that pass every filter of the plan (subtypes, grades, areas, flags)."""
    subtypes, grades = set(spec.subtypes or ()), set(spec.grades or ())
    divisions, flags = set(spec.divisions or ()), list(spec.flags or ())
    return [
        e
        for e in entities
        if e.active
        and (not subtypes or e.subtype in subtypes)
        and (not grades or e.grade in grades)
        and (not divisions or e.division_code in divisions)
        and all(e.flags.get(flag) is True for flag in flags)
    ]


def eligible_inspectors(
    inspectors: Iterable[RegistryInspector], spec: DrawSpec, today: date
) -> list[RegistryInspector]:
    """Active, of the checking body's units and jurisdictions, and still qualified on the day the
    pool is frozen."""
    units, areas = set(spec.inspector_units or ()), set(spec.jurisdictions or ())
    return [
        i
        for i in inspectors
        if i.active
        and (not units or i.unit in units)
        and (not areas or i.jurisdiction in areas)
        and (i.qualification_expires_date is None or i.qualification_expires_date >= today)
    ]


def candidates(entities: Sequence[PoolEntity], policy: str) -> list[Candidate]:
    """One candidate per entity, weighted by the risk policy. Entities of one export share their
    parsed flags and risk objects, so each distinct pair is weighed once (keyed by identity:
    every object stays alive for the whole call), and each stratum name is built once."""
    weights: dict[tuple[int, int], int] = {}
    strata: dict[tuple[str, str, str | None], str] = {}
    pool = []
    new = tuple.__new__
    for e in entities:
        key = (id(e.risk), id(e.flags))
        w = weights.get(key)
        if w is None:
            w = weights[key] = risk.weight(e.risk, e.flags, policy)
        kind = (e.sector, e.subtype, e.grade)
        stratum = strata.get(kind)
        if stratum is None:
            stratum = strata[kind] = stratum_of(e)
        pool.append(new(Candidate, (e.id, stratum, w)))  # tuple.__new__: Candidate() runs Python
    return pool


def inspector_pool(inspectors: Iterable[RegistryInspector]) -> list[Inspector]:
    return [Inspector(i.id, tuple(sorted(set(i.conflicts)))) for i in inspectors]


def _base_quotas(rule: QuotaRule, sizes: Mapping[str, int]) -> dict[str, int]:
    if rule.all:
        return {stratum: sizes[stratum] for stratum in sorted(sizes)}
    if rule.percent is not None:
        ratio = Fraction(repr(rule.percent)) / 100  # exact: 5 % of 100 is 5, never 6
        return {stratum: max(1, ceil(ratio * n)) if n else 0 for stratum, n in sorted(sizes.items())}
    per_stratum = rule.per_stratum or {}
    for stratum, k in sorted(per_stratum.items()):
        field = f"quota.per_stratum.{stratum}"
        if stratum not in sizes:
            raise InvalidField(field, f"no such stratum in the pool (strata: {', '.join(sorted(sizes))})")
        if k > sizes[stratum]:
            raise InvalidField(
                field, f"quota {k} is above the stratum: {stratum} has only {sizes[stratum]} eligible entities"
            )
    return {stratum: per_stratum.get(stratum, 0) for stratum in sorted(sizes)}


@dataclass(frozen=True)
class Quotas:
    quotas: dict[str, int]
    summary: dict[str, Any]


def resolve_quotas(rule: QuotaRule, pool: Sequence[Candidate], policy: str) -> Quotas:
    """k_s for every stratum, with the risk policy's extra quota on ratio-sampled strata."""
    sizes = Counter(c.stratum for c in pool)
    quotas = _base_quotas(rule, sizes)
    high = Counter(c.stratum for c in pool if c.weight >= risk.HIGH_RISK_WEIGHT)
    by_ratio = rule.percent is not None
    extra = {s: risk.extra_quota(quotas[s], sizes[s], high[s], policy) for s in quotas} if by_ratio else {}
    extra = {s: n for s, n in extra.items() if n}
    summary = {
        "policy": policy,
        "weighted": sum(1 for c in pool if c.weight > ORDINARY_WEIGHT),
        "high_risk": {s: high[s] for s in sorted(high)},
        "extra_quota": extra,
    }
    return Quotas({s: k + extra.get(s, 0) for s, k in quotas.items()}, summary)


def check_teams_possible(
    pool: Sequence[Candidate],
    quotas: Mapping[str, int],
    inspectors: Sequence[Inspector],
    team_size: int,
) -> None:
    """Refuse at commit what would fail at execution: §2 fails when recusals leave fewer than
    team_size inspectors for a drawn entity, and which entities are drawn is not yet known."""
    if not inspectors and any(quotas.values()):
        raise InvalidField(
            "inspector_units",
            "no eligible inspectors: none is active, qualified today and of the checking body's units and "
            "jurisdictions",
        )
    if team_size > len(inspectors):
        raise InvalidField(
            "team_size",
            f"team of {team_size} is larger than the eligible pool of {len(inspectors)} inspectors "
            "(active, qualified today, of the chosen units and jurisdictions)",
        )
    recusals = Counter(entity_id for inspector in inspectors for entity_id in set(inspector.conflicts))
    if not recusals:
        return
    for candidate in sorted(pool, key=lambda c: c.entity_id):
        free = len(inspectors) - recusals[candidate.entity_id]
        if quotas.get(candidate.stratum) and free < team_size:
            raise InvalidField(
                "team_size",
                f"only {free} eligible inspectors are not recused from "
                f"{candidate.entity_id}, too few for a team of {team_size} if it is drawn",
            )
