"""Protective limits: request body size for every route, request rate for public routes."""

import json
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import PROBLEM_JSON, TYPE_BASE, ProblemError


class BodyLimitMiddleware:
    """413 problem+json for bodies above `max_bytes`, whether announced or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.max_bytes:
                await self._refuse(scope, send)
                return
        body, delivered = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        detail = f"request body is larger than {self.max_bytes} bytes"
        body = json.dumps(
            {
                "type": TYPE_BASE + "too-large",
                "title": "Request body too large",
                "status": 413,
                "detail": detail,
                "field": "body",
                "instance": scope.get("path"),
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


RATE_LIMITED: dict[int | str, dict[str, object]] = {
    429: {"description": "Too many requests from this client; retry after `Retry-After` seconds"}
}


class SlidingWindow:
    """At most `limit` events per `window` seconds per key; in memory, so per API instance."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self.hits: dict[str, deque[float]] = {}

    def retry_after(self, key: str, now: float | None = None) -> int:
        """0 if this hit is allowed (and counted), else seconds until the next one would be."""
        now = time.monotonic() if now is None else now
        hits = self.hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(1, math.ceil(hits[0] + self.window - now))
        hits.append(now)
        if len(self.hits) > 100_000:  # forget idle clients rather than grow without bound
            self.hits = {k: v for k, v in self.hits.items() if v}
        return 0


def rate_limited(bucket: str) -> Callable[[Request], Awaitable[None]]:
    """Dependency for public routes: 429 problem+json with Retry-After past the per-client limit."""

    async def dependency(request: Request) -> None:
        limiters: dict[str, SlidingWindow] = request.app.state.rate_limiters
        settings = request.app.state.settings
        limiter = limiters.setdefault(bucket, SlidingWindow(settings.public_rate_limit_per_minute))
        client = request.client.host if request.client else "unknown"
        wait = limiter.retry_after(client)
        if wait:
            raise ProblemError(
                429,
                "rate-limited",
                "Too many requests",
                f"at most {limiter.limit} requests a minute to {bucket}; retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )

    dependency.__name__ = f"rate_limit_{bucket}"
    return dependency
