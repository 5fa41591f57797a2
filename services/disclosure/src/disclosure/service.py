"""Disclosure rules: one pending result per inspection, one-way approval decisions by an officer
who was not on the inspection team, the sector's publication policy, and the publication
deadline. Functions flush and never commit; the caller owns the transaction."""

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from disclosure import appeals, redaction, releases
from disclosure.exceptions import InvolvedOfficer, NotPending, PolicyForbids
from disclosure.models import Release, Result
from disclosure.policy import policy_for
from disclosure.schemas import InspectionCompleted
from disclosure.workdays import Deadlines
from shared.messaging import insert_ignore
from shared.paging import decode_cursor, encode_cursor
from shared.problems import InvalidField, NotFound


def new_result_id() -> str:
    return "r-" + secrets.token_hex(6)


async def record_inspection(
    session: AsyncSession, *, data: InspectionCompleted, rules: Deadlines, now: datetime
) -> bool:
    """A pending result for a completed inspection; False if that inspection already has one.
    The unique inspection id, not the inbox alone, is what rules out a second result. A later
    version (a correction the inspection team confirmed) supersedes the record: a pending result
    in full, a decided one only internally, for an officer to publish as a correction."""
    findings = [f.model_dump(mode="json") for f in data.findings]
    outcome = data.outcome.model_dump(mode="json")
    names = await releases.known_names(session, data.entity.id)
    values = {
        "id": new_result_id(),
        "inspection_id": data.inspection_id,
        "draw_id": data.draw_id,
        "entity_id": data.entity.id,
        "entity": data.entity.model_dump(mode="json"),
        "sector": data.entity.sector,
        "team": data.team,
        "findings": findings,
        "outcome": outcome,
        "public_findings": redaction.public_findings(findings, names),
        "public_outcome": redaction.public_outcome(outcome, names),
        "completed_at": data.completed_at,
        "received_at": now,
        "status": "pending",
        "publication_deadline": rules.publication_deadline(data.completed_at),
    }
    values["inspection_version"] = data.version
    insert = insert_ignore(session, Result).values(**values).on_conflict_do_nothing(index_elements=["inspection_id"])
    if await session.scalar(insert.returning(Result.id)) is not None:
        return True
    return await _supersede(session, data, values)


async def _supersede(session: AsyncSession, data: InspectionCompleted, values: dict[str, Any]) -> bool:
    query = select(Result).where(Result.inspection_id == data.inspection_id).with_for_update()
    result = await session.scalar(query)
    if result is None or result.inspection_version >= data.version:
        return False
    fields = ["findings", "outcome", "team", "inspection_version"]
    if result.status == "pending":
        fields += ["public_findings", "public_outcome"]
    for field in fields:
        setattr(result, field, values[field])
    await session.flush()
    return True


async def result_or_404(session: AsyncSession, result_id: str, *, lock: bool = False) -> Result:
    query = select(Result).where(Result.id == result_id)
    result = await session.scalar(query.with_for_update() if lock else query)
    if result is None:
        raise NotFound("result", result_id)
    return result


def ensure_uninvolved(result: Result, caller: str) -> None:
    """The caller's name is the inspector id for officers: a team member may not decide."""
    if caller in result.team:
        raise InvolvedOfficer(caller, result.id, result.team)


async def latest_releases(session: AsyncSession, result_ids: list[str]) -> dict[str, int]:
    query = (
        select(Release.result_id, func.max(Release.number))
        .where(Release.result_id.in_(result_ids))
        .group_by(Release.result_id)
    )
    return {rid: number for rid, number in (await session.execute(query)).all()}


def view(result: Result, release: int | None) -> dict[str, Any]:
    """The internal read model: everything, plus the redacted preview an approver signs off."""
    fields = {c.key: getattr(result, c.key) for c in Result.__table__.columns if c.key != "appeal_code_sha256"}
    preview = {"findings": result.public_findings, "outcome": result.public_outcome}
    return fields | {"public_preview": preview, "release": release}


async def get_result(session: AsyncSession, *, result_id: str) -> dict[str, Any]:
    result = await result_or_404(session, result_id)
    return view(result, (await latest_releases(session, [result.id])).get(result.id))


def _after(cursor: str | None) -> tuple[Any, str] | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        key = position["at"]
        return (date.fromisoformat(key) if len(key) == 10 else datetime.fromisoformat(key)), str(position["id"])
    except (KeyError, TypeError, ValueError):
        raise InvalidField("cursor", "not a cursor this service issued") from None


async def _page(
    session: AsyncSession, query: Any, sort: Any, cursor: str | None, limit: int
) -> tuple[list, str | None]:
    after = _after(cursor)
    if after:
        query = query.where(tuple_(sort, Result.id) > tuple_(*after))
    rows = list((await session.scalars(query.order_by(sort, Result.id).limit(limit + 1))).all())
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor({"at": getattr(last, sort.key).isoformat(), "id": last.id})
    releases_by_id = await latest_releases(session, [r.id for r in rows[:limit]])
    return [view(r, releases_by_id.get(r.id)) for r in rows[:limit]], next_cursor


async def list_results(
    session: AsyncSession, *, status: str | None, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Oldest first, keyset-paged on (received_at, id): the approvers' queue in arrival order."""
    query = select(Result).where(Result.status == status) if status else select(Result)
    return await _page(session, query, Result.received_at, cursor, limit)


async def list_overdue(
    session: AsyncSession, *, today: date, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Pending results past their publication deadline, the longest overdue first."""
    query = select(Result).where(Result.status == "pending", Result.publication_deadline < today)
    return await _page(session, query, Result.publication_deadline, cursor, limit)


def _decide(result: Result, status: str, by: str, note: str | None, now: datetime) -> None:
    if result.status != "pending":
        raise NotPending(result.id, result.status)
    ensure_uninvolved(result, by)
    result.status, result.decided_at, result.decided_by, result.decision_note = status, now, by, note


async def approve(
    session: AsyncSession, *, result_id: str, approver: str, note: str | None, now: datetime
) -> dict[str, Any]:
    """Publish a pending result: release 1 frozen from the redacted fields, a feed entry without
    a position (the sequencer numbers it after commit), and a fresh appeal code for the notice."""
    result = await result_or_404(session, result_id, lock=True)
    _decide(result, "published", approver, note, now)
    if policy_for(result.sector).publication == "case_by_case" and not (note or "").strip():
        raise PolicyForbids("note", f"results of {result.sector} are published case by case: say why in `note`")
    names = await releases.known_names(session, result.entity_id)
    result.public_findings = redaction.public_findings(result.findings, names)
    result.public_outcome = redaction.public_outcome(result.outcome, names)
    release = await releases.publish(session, result, kind="original", by=approver, note=note, now=now)
    code = appeals.issue_code(result)
    return view(result, release.number) | {"appeal_code": code}


async def reject(session: AsyncSession, *, result_id: str, approver: str, reason: str, now: datetime) -> dict[str, Any]:
    """Refuse publication: nothing becomes public, the reason stays internal."""
    result = await result_or_404(session, result_id, lock=True)
    _decide(result, "rejected", approver, reason, now)
    await session.flush()
    return view(result, None)


async def withhold(
    session: AsyncSession, *, result_id: str, approver: str, reason: str, now: datetime
) -> dict[str, Any]:
    """Blasting units (seed §4(二)): the approver may decide not to publish, with the reason."""
    result = await result_or_404(session, result_id, lock=True)
    _decide(result, "withheld", approver, reason, now)
    if policy_for(result.sector).publication != "case_by_case":
        raise PolicyForbids("reason", f"results of {result.sector} are all public (seed §4); reject it instead")
    await session.flush()
    return view(result, None)
