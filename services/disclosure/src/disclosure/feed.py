"""The public feed's pure core: the published document, cursors, and HTTP cache validators.

A page is the entries with positions after the cursor's, in order. Positions are dense and never
change once given, so a full page is immutable and can be cached for a day; a partial page is the
feed's moving head and may only be cached briefly. `next` is always present: on the last page it
points to where the next items will appear, so a reader simply keeps following it."""

import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from disclosure.schemas import FeedPage
from shared.paging import decode_cursor, encode_cursor
from shared.problems import InvalidField

FEED_PATH = "/public/v1/feed"
IMMUTABLE = "public, max-age=86400"
HEAD = "public, max-age=5"

SECTOR_NAMES_ZH = {
    "entertainment": "娱乐场所",
    "special_trade": "特种行业",
    "security_service": "保安服务业",
    "blasting": "爆破作业单位",
    "fire_safety": "单位履行消防安全职责",
    "internet_cafe": "网吧",
}


def public_document(result: Any, *, release: int, published_at: datetime) -> dict[str, Any]:
    """What a release shows the public: entity identity, sector, redacted findings and outcome.
    Built from the already-redacted fields; the team and entity id never enter it."""
    entity = result.entity
    return {
        "result_id": result.id,
        "release": release,
        "published_at": published_at.isoformat(),
        "entity": {"name": entity["name"], "credit_code": entity["credit_code"], "sector": result.sector},
        "sector_name_zh": SECTOR_NAMES_ZH.get(result.sector, result.sector),
        "completed_at": result.completed_at.isoformat(),
        "outcome": result.public_outcome["type"],
        "rectification_deadline": result.public_outcome.get("rectification_deadline"),
        "outcome_note": result.public_outcome.get("note", ""),
        "findings": result.public_findings,
    }


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
