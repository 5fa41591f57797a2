"""The public feed's pure core: cursors, the page bytes, and HTTP cache validators.

A page is the entries with positions after the cursor's, in order. Positions are dense and never
change once given, so a full page keeps its items for good and can be cached for a day (its
content changes only if a result in it is withdrawn and shown as a tombstone); a partial page is
the feed's moving head and may only be cached briefly. `next` is always present: on the last page
it points to where the next items will appear, so a reader simply keeps following it."""

import hashlib
import time
from typing import Any
from urllib.parse import urlencode

from disclosure.public_schemas import FeedPage
from shared.paging import decode_cursor, encode_cursor
from shared.problems import InvalidField

FEED_PATH = "/public/v1/feed"
IMMUTABLE = "public, max-age=86400"
HEAD = "public, max-age=5"


def cursor_position(cursor: str | None) -> int:
    """The last position the reader has seen (0 before the first page)."""
    after = (decode_cursor(cursor) or {}).get("after", 0)
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise InvalidField("cursor", "not a cursor this service issued")
    return after


def next_url(after: int, limit: int) -> str:
    return f"{FEED_PATH}?{urlencode({'cursor': encode_cursor({'after': after}), 'limit': limit})}"


def page_body(items: list[dict[str, Any]], *, after: int, limit: int) -> bytes:
    """The exact bytes served: validated by the published schema, so the ETag hashes what readers get."""
    last = items[-1]["position"] if items else after
    return FeedPage.model_validate({"items": items, "next": next_url(last, limit)}).model_dump_json().encode()


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest() + '"'


def cache_control(item_count: int, limit: int) -> str:
    return IMMUTABLE if item_count == limit else HEAD


def not_modified(if_none_match: str | None, current: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison, a list of tags, or *."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or current in tags


class PageCache:
    """Full pages (their items never move) kept for `ttl` seconds, so a popular page costs no
    query at all; bounded, oldest dropped first. Per API instance."""

    def __init__(self, ttl: float, max_pages: int = 2048) -> None:
        self.ttl, self.max_pages = ttl, max_pages
        self.pages: dict[Any, tuple[float, bytes, str]] = {}

    def get(self, key: Any) -> tuple[bytes, str] | None:
        hit = self.pages.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1], hit[2]

    def put(self, key: Any, body: bytes, tag: str) -> None:
        if self.ttl <= 0:
            return
        if len(self.pages) >= self.max_pages:
            self.pages.pop(next(iter(self.pages)))
        self.pages[key] = (time.monotonic() + self.ttl, body, tag)
