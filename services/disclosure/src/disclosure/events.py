"""Events the disclosure service emits, through its outbox.

`ssj.disclosure.result.published` is emitted by the feed sequencer in the transaction that gives
the entry its feed position: the event then says truthfully that the result is in the public feed,
and carries the `feed_position` that docs/events.md promises. Every release is announced: a
correction, penalty, statement or withdrawal says so in `kind` and names the release it follows
in `refers_to`."""

from sqlalchemy.ext.asyncio import AsyncSession

from disclosure.db import messaging
from disclosure.models import FeedEntry, Release, Result
from shared.messaging import emit

SOURCE = "/ssj/disclosure"
RESULT_PUBLISHED = "ssj.disclosure.result.published"
PRODUCES = [RESULT_PUBLISHED]


async def result_published(session: AsyncSession, result: Result, release: Release, entry: FeedEntry) -> None:
    entity = result.entity
    data = {
        "result_id": result.id,
        "inspection_id": result.inspection_id,
        "release": release.number,
        "kind": release.kind,
        "refers_to": release.refers_to,
        "feed_position": entry.position,
        "entity": {
            "id": entity["id"],
            "name": entity["name"],
            "credit_code": entity["credit_code"],
            "sector": result.sector,
        },
        "outcome": release.content.get("outcome") or result.public_outcome["type"],
        "published_at": release.published_at.isoformat(),
    }
    await emit(session, messaging, type=RESULT_PUBLISHED, source=SOURCE, key=result.id, subject=entity["id"], data=data)
