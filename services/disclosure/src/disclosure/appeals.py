"""Appeals (申诉渠道, seed §5(一)): the inspected entity appeals a published result with the code
printed on its notice, within the appeal period; an officer who was not on the inspection team
decides. Upheld: a correction release. Dismissed: the entity's statement is published beside the
result. Only the code's SHA-256 is stored (60 random bits, so the hash cannot be searched)."""

import hashlib
import hmac
import secrets
import time
from collections import deque
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from disclosure import releases
from disclosure.exceptions import AppealDecided, AppealRefused, InvolvedOfficer
from disclosure.models import Appeal, PublicView, Result
from disclosure.schemas import AppealDecisionIn
from disclosure.workdays import Deadlines, local_date
from shared.paging import decode_cursor, encode_cursor
from shared.problems import InvalidField, NotFound

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: read off paper without doubt


def _digest(result_id: str, code: str) -> str:
    normalized = "".join(code.upper().split()).replace("-", "")
    return hashlib.sha256(f"{result_id}:{normalized}".encode()).hexdigest()


def issue_code(result: Result) -> str:
    """A fresh code for the notice, e.g. K7QM-2XRD-9PHT; any earlier code stops working."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(12))
    result.appeal_code_sha256 = _digest(result.id, raw)
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


class FailedCodes:
    """Wrong codes per result in the last hour, per API instance: guessing is refused early."""

    def __init__(self, limit: int, window: float = 3600.0) -> None:
        self.limit, self.window = limit, window
        self.failures: dict[str, deque[float]] = {}

    def blocked(self, result_id: str, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        hits = self.failures.setdefault(result_id, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return max(1, int(hits[0] + self.window - now)) if len(hits) >= self.limit else 0

    def record(self, result_id: str) -> None:
        self.failures.setdefault(result_id, deque()).append(time.monotonic())


async def file_appeal(
    session: AsyncSession,
    *,
    result_id: str,
    code: str,
    statement: str,
    now: datetime,
    rules: Deadlines,
    failures: FailedCodes,
) -> dict[str, Any]:
    view = await session.get(PublicView, result_id)
    if view is None:
        raise NotFound("published result", result_id)
    wait = failures.blocked(result_id)
    if wait:
        raise AppealRefused(429, "rate-limited", f"too many wrong appeal codes for {result_id}; retry in {wait} s")
    result = await session.scalar(select(Result).where(Result.id == result_id).with_for_update())
    assert result is not None
    if not result.appeal_code_sha256 or not hmac.compare_digest(result.appeal_code_sha256, _digest(result_id, code)):
        failures.record(result_id)
        raise AppealRefused(
            403, "appeal-code-invalid", "the appeal code does not match this result's notice", field="appeal_code"
        )
    if result.status != "published":
        raise AppealRefused(409, "result-withdrawn", f"result {result_id!r} was withdrawn; there is nothing to appeal")
    deadline = rules.appeal_deadline(view.first_published_at)
    if local_date(now) > deadline:
        raise AppealRefused(409, "appeal-period-ended", f"appeals against {result_id!r} were accepted until {deadline}")
    if await session.scalar(select(Appeal.id).where(Appeal.result_id == result_id, Appeal.status == "filed")):
        raise AppealRefused(409, "appeal-open", f"an appeal against {result_id!r} is awaiting its decision")
    appeal = Appeal(
        id="a-" + secrets.token_hex(6), result_id=result_id, statement=statement, filed_at=now, status="filed"
    )
    session.add(appeal)
    await session.flush()
    return {
        "appeal_id": appeal.id,
        "result_id": result_id,
        "status": "filed",
        "filed_at": now,
        "appeal_deadline": deadline,
    }


async def appeal_or_404(session: AsyncSession, appeal_id: str) -> Appeal:
    appeal = await session.scalar(select(Appeal).where(Appeal.id == appeal_id).with_for_update())
    if appeal is None:
        raise NotFound("appeal", appeal_id)
    return appeal


async def decide(
    session: AsyncSession, *, appeal_id: str, decision: AppealDecisionIn, by: str, now: datetime
) -> Appeal:
    appeal = await appeal_or_404(session, appeal_id)
    if appeal.status != "filed":
        raise AppealDecided(appeal.id, appeal.status)
    result = await session.scalar(select(Result).where(Result.id == appeal.result_id).with_for_update())
    assert result is not None
    if by in result.team:
        raise InvolvedOfficer(by, result.id, result.team)
    appeal.status, appeal.decided_at, appeal.decided_by = decision.decision, now, by
    appeal.decision_reason = decision.reason
    await session.flush()
    if decision.decision == "upheld":
        assert decision.correction is not None
        release = await releases.correct(
            session, result, fields=decision.correction, reason=decision.reason, by=by, now=now
        )
    else:
        release = await releases.add_statement(session, result, by=by, now=now)
    appeal.release_number = release.number
    await session.flush()
    return appeal


def _read(appeal: Appeal) -> dict[str, Any]:
    return {c.key: getattr(appeal, c.key) for c in Appeal.__table__.columns}


async def list_appeals(
    session: AsyncSession, *, status: str | None, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Oldest first: the officers' queue of appeals awaiting a decision."""
    query = select(Appeal).order_by(Appeal.filed_at, Appeal.id).limit(limit + 1)
    if status:
        query = query.where(Appeal.status == status)
    after = decode_cursor(cursor)
    if after:
        try:
            query = query.where(tuple_(Appeal.filed_at, Appeal.id) > (datetime.fromisoformat(after["at"]), after["id"]))
        except (KeyError, TypeError, ValueError):
            raise InvalidField("cursor", "not a cursor this service issued") from None
    rows = list((await session.scalars(query)).all())
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_cursor({"at": rows[limit - 1].filed_at.isoformat(), "id": rows[limit - 1].id})
    return [_read(a) for a in rows[:limit]], next_cursor
