"""Freezing a plan into the two pools of §1: who may be drawn, who may inspect, how many of each
stratum. Pure functions: the registry rows come in, algorithm inputs or a named 422 go out."""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from fractions import Fraction
from math import ceil
from zoneinfo import ZoneInfo

from draw.algorithm import Candidate, Inspector
from draw.clients import RegistryEntity, RegistryInspector
from draw.schemas import QuotaRule
from shared.problems import InvalidField

# Qualifications expire by the bureau's calendar day, not UTC's.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
ORDINARY_WEIGHT = 1


def local_today() -> date:
    return datetime.now(LOCAL_TZ).date()


def stratum_of(entity: RegistryEntity) -> str:
    """Venues are stratified by 治安分级 grade, whose check frequencies differ; the rest by subtype."""
    key = entity.grade if entity.sector == "entertainment" and entity.grade else entity.subtype
    return f"{entity.sector}/{key}"


def matching_entities(
    entities: Iterable[RegistryEntity],
    subtypes: Sequence[str] | None,
    grades: Sequence[str] | None,
) -> list[RegistryEntity]:
    return [
        e
        for e in entities
        if e.active and (not subtypes or e.subtype in subtypes) and (not grades or e.grade in grades)
    ]


def eligible_inspectors(
    inspectors: Iterable[RegistryInspector],
    units: Sequence[str] | None,
    today: date,
) -> list[RegistryInspector]:
    """Active, of the chosen units, and still qualified on the day the pool is frozen."""
    return [
        i
        for i in inspectors
        if i.active
        and (not units or i.unit in units)
        and (i.qualification_expires_date is None or i.qualification_expires_date >= today)
    ]


def candidates(entities: Iterable[RegistryEntity]) -> list[Candidate]:
    return [Candidate(e.id, stratum_of(e), ORDINARY_WEIGHT) for e in entities]


def inspector_pool(inspectors: Iterable[RegistryInspector]) -> list[Inspector]:
    return [Inspector(i.id, tuple(sorted(set(i.conflicts)))) for i in inspectors]


def resolve_quotas(rule: QuotaRule, sizes: Mapping[str, int]) -> dict[str, int]:
    """k_s for every stratum in the pool, as §1 needs them."""
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
            raise InvalidField(field, f"{k} is more than the {sizes[stratum]} entities of this stratum")
    return {stratum: per_stratum.get(stratum, 0) for stratum in sorted(sizes)}


def check_teams_possible(
    pool: Sequence[Candidate],
    quotas: Mapping[str, int],
    inspectors: Sequence[Inspector],
    team_size: int,
) -> None:
    """Refuse at commit what would fail at execution: §2 fails when recusals leave fewer than
    team_size inspectors for a drawn entity, and which entities are drawn is not yet known."""
    if team_size > len(inspectors):
        raise InvalidField(
            "team_size",
            f"{team_size} is more than the {len(inspectors)} eligible inspectors "
            "(active, qualified today, of the chosen inspector_units)",
        )
    recusals = Counter(entity_id for inspector in inspectors for entity_id in set(inspector.conflicts))
    for candidate in sorted(pool, key=lambda c: c.entity_id):
        free = len(inspectors) - recusals[candidate.entity_id]
        if quotas.get(candidate.stratum) and free < team_size:
            raise InvalidField(
                "team_size",
                f"only {free} eligible inspectors are not recused from "
                f"{candidate.entity_id}, too few for a team of {team_size} if it is drawn",
            )
