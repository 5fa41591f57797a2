"""What happens after one delivery attempt: pure decisions, tested without a network."""

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

MAX_RETRY_AFTER_SECONDS = 86_400.0  # a receiver cannot park a delivery for longer than a day


@dataclass(frozen=True)
class Decision:
    status: Literal["delivered", "pending", "dead"]
    delay_seconds: float | None = None
    disable_subscription: bool = False


def decide(
    *,
    schedule: list[float],
    attempt_in_round: int,
    status_code: int | None,
    retry_after: float | None,
) -> Decision:
    """`attempt_in_round` counts this attempt; `schedule[n]` is the wait before attempt n + 1."""
    if status_code is not None and 200 <= status_code < 300:
        return Decision("delivered")
    if status_code == 410:  # the receiver says the endpoint is gone for good
        return Decision("dead", disable_subscription=True)
    if attempt_in_round >= len(schedule):
        return Decision("dead")
    delay = schedule[attempt_in_round]
    if status_code == 429 and retry_after is not None:
        delay = max(delay, retry_after)
    return Decision("pending", delay_seconds=delay)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3); None when absent or garbled."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)
