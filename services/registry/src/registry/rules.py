"""Per-row rules for entities, shared by the batch API, bulk import and every source sync.

Field checks (codes, dates, enumerations) live in the pydantic schema; the rules here span fields
or depend on the sector. `strict` is what imports and syncs apply: a sector's flags must be stated
(a blank must not silently read as "no"). The batch API predates that rule and keeps its contract:
a flag left out counts as false.
"""

from datetime import date
from typing import Any

from pydantic import ValidationError

from registry.catalog import SECTORS
from registry.schemas import EntityIn

SECTOR_FLAGS = {sector: set(spec["flags"]) for sector, spec in SECTORS.items()}
REQUIRED_FLAGS = {
    sector: tuple(f for f, required in spec["flags"].items() if required) for sector, spec in SECTORS.items()
}
Problem = tuple[str, str]  # (field, reason)


def entity_problems(e: EntityIn, *, strict: bool) -> list[Problem]:
    """Rules that span fields: subtype of the sector, grade only for venues, the sector's flags, dates."""
    problems: list[Problem] = []
    subtypes = SECTORS[e.sector]["subtypes"]
    if e.subtype not in subtypes:
        problems.append(("subtype", f"{e.subtype!r} is not a subtype of {e.sector} ({', '.join(subtypes)})"))
    if e.sector == "entertainment" and e.grade is None:
        problems.append(("grade", "entertainment venues need grade A, B or C"))
    if e.sector != "entertainment" and e.grade is not None:
        problems.append(("grade", "only entertainment venues are graded"))
    for flag in sorted(set(e.flags) - SECTOR_FLAGS[e.sector]):
        problems.append((f"flags.{flag}", f"not a flag of {e.sector}"))
    if strict:
        for flag in REQUIRED_FLAGS[e.sector]:
            if flag not in e.flags:
                problems.append((f"flags.{flag}", f"required for {e.sector} (yes or no)"))
    problems += _date_problems(e.established_date, e.closed_date)
    return problems


def _date_problems(established: date | None, closed: date | None) -> list[Problem]:
    if established and closed and closed < established:
        return [("closed_date", f"{closed} is before the established date {established}")]
    return []


def validate_row(raw: dict[str, Any], *, strict: bool = True) -> tuple[EntityIn | None, list[Problem]]:
    """One row checked as a whole: the parsed entity, or every problem found in it."""
    try:
        entity = EntityIn.model_validate(raw)
    except ValidationError as exc:
        return None, [(_loc(err["loc"]), err["msg"].removeprefix("Value error, ")) for err in exc.errors()]
    problems = entity_problems(entity, strict=strict)
    return (None, problems) if problems else (entity, [])


def _loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "row"


def duplicate_problems(rows: list[tuple[int, EntityIn]]) -> dict[int, Problem]:
    """Later occurrences of an id, or of a credit code within a sector, point at the first one."""
    first_id: dict[str, int] = {}
    first_code: dict[tuple[str, str], int] = {}
    found: dict[int, Problem] = {}
    for position, e in rows:
        if e.id in first_id:
            found[position] = ("id", f"duplicate of row {first_id[e.id]}")
        elif (e.sector, e.credit_code) in first_code:
            found[position] = (
                "credit_code",
                f"same {e.sector} credit code as row {first_code[(e.sector, e.credit_code)]}",
            )
        first_id.setdefault(e.id, position)
        first_code.setdefault((e.sector, e.credit_code), position)
    return found
