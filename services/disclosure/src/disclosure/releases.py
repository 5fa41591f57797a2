"""Immutable releases: publishing writes a new release and its unpositioned feed entry, never
edits an earlier one. Corrections, penalties, statements and withdrawals each refer to the
release they follow up, and every release refreshes the compiled view that search reads."""

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from disclosure import documents, redaction
from disclosure.exceptions import NotPublished
from disclosure.models import Appeal, BlacklistEntry, FeedEntry, PublicView, Release, Result, Sanction
from disclosure.schemas import CorrectedFields
from disclosure.workdays import local_date
from shared.observability import traceparent_var
from shared.problems import InvalidField


async def known_names(session: AsyncSession, entity_id: str) -> list[str]:
    """Private persons known by name for this entity (its blacklistings): masked wherever they appear."""
    rows = await session.scalars(select(BlacklistEntry.persons).where(BlacklistEntry.entity_id == entity_id))
    return [str(p.get("name", "")) for persons in rows for p in persons]


async def _penalties(session: AsyncSession, result: Result, names: list[str]) -> list[dict[str, Any]]:
    query = select(Sanction).where(Sanction.inspection_id == result.inspection_id).order_by(Sanction.decided_at)
    return [documents.penalty(s, names) for s in (await session.scalars(query)).all()]


async def _statements(session: AsyncSession, result: Result, names: list[str]) -> list[dict[str, Any]]:
    query = select(Appeal).where(Appeal.result_id == result.id, Appeal.status == "dismissed").order_by(Appeal.filed_at)
    return [documents.statement(a, names) for a in (await session.scalars(query)).all()]


async def latest_number(session: AsyncSession, result_id: str) -> int:
    return await session.scalar(select(func.max(Release.number)).where(Release.result_id == result_id)) or 0


async def publish(
    session: AsyncSession,
    result: Result,
    *,
    kind: str,
    by: str,
    now: datetime,
    note: str | None = None,
    reason: str | None = None,
) -> Release:
    """Release n+1 of `result` (referring to release n), queued for the feed's sequencer."""
    names = await known_names(session, result.entity_id)
    previous = await latest_number(session, result.id)
    content = documents.release_document(
        result,
        release=previous + 1,
        kind=kind,
        refers_to=previous or None,
        reason=reason,
        published_at=now,
        penalties=await _penalties(session, result, names),
        statements=await _statements(session, result, names),
    )
    release = Release(
        result_id=result.id,
        number=previous + 1,
        kind=kind,
        refers_to=previous or None,
        published_at=now,
        approved_by=by,
        note=note,
        content=content,
    )
    session.add(release)
    await session.flush()
    entry = FeedEntry(release_id=release.id, result_id=result.id, created_at=now, traceparent=traceparent_var.get())
    session.add(entry)
    await _refresh_view(session, result, content, now)
    await session.flush()
    return release


async def _refresh_view(session: AsyncSession, result: Result, content: dict[str, Any], now: datetime) -> None:
    row = await session.get(PublicView, result.id)
    if row is None:
        row = PublicView(result_id=result.id, first_published_at=now)
        session.add(row)
    withdrawn = content["kind"] == "withdrawal"
    row.entity_name = result.entity["name"]
    row.credit_code = result.entity["credit_code"]
    row.sector = result.sector
    row.outcome = result.public_outcome["type"]
    row.completed_at = result.completed_at
    row.completed_date = local_date(result.completed_at)
    row.status = "withdrawn" if withdrawn else "published"
    row.latest_release = content["release"]
    row.view = content


def _published(result: Result, action: str) -> None:
    if result.status != "published":
        raise NotPublished(result.id, result.status, action)


def _merge_findings(current: list[dict[str, Any]], changes: list[Any], names: list[str]) -> list[dict[str, Any]]:
    """Corrected items replace the published ones with the same item code; others stay."""
    by_code = {f["item_code"]: f for f in current}
    for index, change in enumerate(changes):
        if change.item_code not in by_code:
            raise InvalidField(f"findings[{index}].item_code", f"{change.item_code!r} is not a finding of this result")
        by_code[change.item_code] = redaction.public_findings([change.model_dump()], names)[0]
    return list(by_code.values())


async def correct(
    session: AsyncSession, result: Result, *, fields: CorrectedFields, reason: str, by: str, now: datetime
) -> Release:
    """更正: the corrected public state as a new release; the inspection record stays as it was."""
    _published(result, "correction")
    names = await known_names(session, result.entity_id)
    if fields.findings is not None:
        result.public_findings = _merge_findings(result.public_findings, fields.findings, names)
    if fields.outcome is not None:
        result.public_outcome = redaction.public_outcome(fields.outcome.model_dump(mode="json"), names)
    return await publish(session, result, kind="correction", by=by, now=now, reason=reason)


async def withdraw(session: AsyncSession, result: Result, *, reason: str, by: str, now: datetime) -> Release:
    """撤回: a tombstone release; every earlier release of the result is shown as a tombstone."""
    _published(result, "withdrawal")
    result.status = "withdrawn"
    return await publish(session, result, kind="withdrawal", by=by, now=now, reason=reason)


async def add_statement(session: AsyncSession, result: Result, *, by: str, now: datetime) -> Release:
    _published(result, "statement")
    return await publish(session, result, kind="statement", by=by, now=now)


async def add_penalty(session: AsyncSession, result: Result, *, sanction_zh: str, now: datetime) -> Release:
    """A penalty decided after publication, where the sector publishes penalties (消防, 网吧)."""
    return await publish(session, result, kind="penalty", by="ssj.inspection.sanctioned", now=now, reason=sanction_zh)
