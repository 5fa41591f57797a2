"""The HTTP client every source adapter uses: patient with a busy provincial system (429 with
Retry-After, transient 5xx, dropped connections), strict with everything else."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

log = logging.getLogger("ssj.registry.sources")
Sleep = Callable[[float], Awaitable[None]]


class SourceError(Exception):
    """The source failed beyond what retrying can fix; the run fails with this message."""


class SourceClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        attempts: int = 6,
        max_wait: float = 60.0,
        backoff: float = 0.5,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.http, self.attempts, self.max_wait, self.backoff, self.sleep = http, attempts, max_wait, backoff, sleep
        self.retries: dict[str, int] = {"429": 0, "5xx": 0, "network": 0}

    async def get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        """The first 2xx answer; waits out 429 (Retry-After) and 5xx/network errors (exponential backoff)."""
        last = "no attempt made"
        for attempt in range(self.attempts):
            try:
                response = await self.http.get(path, params=params)
            except httpx.TransportError as exc:
                last, wait = f"{type(exc).__name__} on GET {path}", self._backoff(attempt)
                self.retries["network"] += 1
            else:
                if response.status_code < 400:
                    return response
                if response.status_code == 429:
                    last, wait = f"429 on GET {path}", self._retry_after(response, attempt)
                    self.retries["429"] += 1
                elif response.status_code >= 500:
                    last, wait = f"{response.status_code} on GET {path}", self._backoff(attempt)
                    self.retries["5xx"] += 1
                else:
                    raise SourceError(f"GET {path} answered {response.status_code}: {response.text[:200]}")
            if attempt + 1 < self.attempts:
                log.warning("source: %s; retrying in %.1f s", last, wait)
                await self.sleep(wait)
        raise SourceError(f"gave up after {self.attempts} attempts: {last}")

    def _backoff(self, attempt: int) -> float:
        return float(min(self.max_wait, self.backoff * 2**attempt))

    def _retry_after(self, response: httpx.Response, attempt: int) -> float:
        """Seconds or an HTTP date (RFC 9110); without a usable header, back off as for a 5xx."""
        value = response.headers.get("retry-after", "").strip()
        if value.isdigit():
            return float(min(self.max_wait, int(value)))
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return self._backoff(attempt)
        return float(min(self.max_wait, max(0.0, (when - datetime.now(UTC)).total_seconds())))
