"""Idempotency-Key for every mutating endpoint: a retried request gets the first answer again.

The key is scoped to the caller's credential. The first request claims the key; its final
response (anything but a 5xx) is stored and replayed, marked `Idempotent-Replayed: true`. The
same key with a different request is refused (422); while the first is still running, 409.
A claim left by a crashed process expires after `stale_after` and the request may run again.
Answers marked `Cache-Control: no-store` (they carry a secret) are never kept: a retry runs again.
"""

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import PROBLEM_JSON, TYPE_BASE

HEADER = b"idempotency-key"
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("caller", String(64), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("request_sha256", String(64), nullable=False),
        Column("status_code", Integer),
        Column("content_type", String(100)),
        Column("body", Text),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("completed_at", DateTime(timezone=True)),
    )


Answer = tuple[int, bytes, str, bool]  # status, body, content type, replayed


def _problem(status: int, slug: str, detail: str) -> Answer:
    body = {"type": TYPE_BASE + slug, "title": detail, "status": status, "detail": detail, "field": "Idempotency-Key"}
    return status, json.dumps(body).encode(), PROBLEM_JSON, False


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, table: Table, stale_after: timedelta = timedelta(minutes=2)) -> None:
        self.app, self.table, self.stale_after = app, table, stale_after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or []) if scope["type"] == "http" else {}
        if scope["type"] != "http" or scope["method"] not in MUTATING or HEADER not in headers:
            await self.app(scope, receive, send)
            return
        key = headers[HEADER].decode("latin-1")
        if not 1 <= len(key) <= 255 or not key.isprintable():
            await _send_raw(send, *_problem(422, "validation", "Idempotency-Key must be 1-255 printable characters"))
            return
        body, replay_receive = await _read_body(receive)
        caller = hashlib.sha256(headers.get(b"authorization", b"")).hexdigest()
        fingerprint = hashlib.sha256(
            scope["method"].encode()
            + b" "
            + scope["path"].encode()
            + b"?"
            + scope.get("query_string", b"")
            + b"\n"
            + body
        ).hexdigest()
        sessionmaker: async_sessionmaker[AsyncSession] = scope["app"].state.sessionmaker
        earlier = await self._claim(sessionmaker, caller, key, fingerprint)
        if earlier is not None:
            await _send_raw(send, *earlier)
            return
        await self._run_and_store(scope, replay_receive, send, sessionmaker, caller, key)

    async def _claim(
        self, sessionmaker: async_sessionmaker[AsyncSession], caller: str, key: str, fingerprint: str
    ) -> Answer | None:
        """None when this request now owns the key; otherwise what to answer instead."""
        now = datetime.now(UTC)
        t = self.table
        async with sessionmaker() as session, session.begin():
            row = (await session.execute(select(t).where(t.c.caller == caller, t.c.key == key))).first()
            if row is not None and row.completed_at is None and _aware(row.created_at) < now - self.stale_after:
                await session.execute(delete(t).where(t.c.caller == caller, t.c.key == key))
                row = None
            if row is None:
                try:
                    await session.execute(
                        t.insert().values(caller=caller, key=key, request_sha256=fingerprint, created_at=now)
                    )
                    await session.flush()
                    return None
                except IntegrityError:
                    return _problem(409, "idempotency-in-progress", "a request with this Idempotency-Key is running")
        if row.request_sha256 != fingerprint:
            return _problem(422, "idempotency-key-reused", "Idempotency-Key was already used for a different request")
        if row.completed_at is None:
            return _problem(409, "idempotency-in-progress", "a request with this Idempotency-Key is running")
        return row.status_code, row.body.encode(), row.content_type, True

    async def _run_and_store(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        sessionmaker: async_sessionmaker[AsyncSession],
        caller: str,
        key: str,
    ) -> None:
        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"], captured["headers"] = message["status"], message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            await self._finish(sessionmaker, caller, key, captured)

    async def _finish(
        self, sessionmaker: async_sessionmaker[AsyncSession], caller: str, key: str, captured: dict[str, Any]
    ) -> None:
        t = self.table
        where = (t.c.caller == caller, t.c.key == key)
        async with sessionmaker() as session, session.begin():
            no_store = b"no-store" in dict(captured["headers"]).get(b"cache-control", b"")
            # Retry a server failure afresh; never keep an answer that carries a secret.
            if captured["status"] >= 500 or no_store:
                await session.execute(delete(t).where(*where))
                return
            content_type = dict(captured["headers"]).get(b"content-type", b"application/json").decode()
            await session.execute(
                update(t)
                .where(*where)
                .values(
                    status_code=captured["status"],
                    content_type=content_type,
                    body=captured["body"].decode("utf-8", errors="replace"),
                    completed_at=datetime.now(UTC),
                )
            )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _send_raw(send: Send, status: int, body: bytes, content_type: str, replayed: bool) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    elif status == 409:
        headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
