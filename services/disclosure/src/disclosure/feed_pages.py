"""Feed pages as served (JSON pages and Atom documents): built from the database, and kept in
memory while full, since a full page's items never move. A session is opened only on a miss, so
a cached page or a matching ETag costs no database round trip at all."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from disclosure import atom, feed, public_reads
from disclosure.feed import PageCache
from shared.problems import NotFound

Page = tuple[bytes, str, bool]  # body, strong ETag, full (immutable items)


async def json_page(maker: async_sessionmaker[AsyncSession], cache: PageCache, *, after: int, limit: int) -> Page:
    key = ("json", after, limit)
    hit = cache.get(key)
    if hit is not None:
        return hit[0], hit[1], True
    async with maker() as session:
        items = await public_reads.feed_items(session, after=after, limit=limit)
    body = feed.page_body(items, after=after, limit=limit)
    tag, full = feed.etag(body), len(items) == limit
    if full:
        cache.put(key, body, tag)
    return body, tag, full


async def _items(session: AsyncSession, after: int, last: int) -> list[dict[str, Any]]:
    return await public_reads.feed_items(session, after=after, limit=last - after) if last > after else []


async def atom_current(maker: async_sessionmaker[AsyncSession], *, base: str, size: int) -> Page:
    """The subscription document: the entries after the last full archive (the moving head)."""
    async with maker() as session:
        top = await public_reads.top_position(session)
        archives = atom.archive_count(top, size)
        items = await _items(session, archives * size, top)
        newest = items or (await _items(session, top - 1, top) if top else [])
    body = atom.document(
        items, base=base, self_path="/public/v1/feed.atom", archive=None, archives=archives, updated=atom.latest(newest)
    )
    return body, feed.etag(body), False


async def atom_archive(
    maker: async_sessionmaker[AsyncSession], cache: PageCache, *, number: int, base: str, size: int
) -> Page:
    """Archive `number`: full, so it never gains an entry; 404 until it is full."""
    key = ("atom", number, size, base)
    hit = cache.get(key)
    if hit is not None:
        return hit[0], hit[1], True
    async with maker() as session:
        archives = atom.archive_count(await public_reads.top_position(session), size)
        if not 1 <= number <= archives:
            raise NotFound("feed archive", str(number))
        items = await _items(session, *atom.archive_range(number, size))
    path = f"/public/v1/archive/{number}.atom"
    body = atom.document(
        items, base=base, self_path=path, archive=number, archives=archives, updated=atom.latest(items)
    )
    tag = feed.etag(body)
    cache.put(key, body, tag)
    return body, tag, True
