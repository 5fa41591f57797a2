"""The Atom feed (RFC 4287) with RFC 5005 archives, read with feedparser as a subscriber would."""

import feedparser
import pytest

from disclosure import sequencer
from disclosure.main import create_app
from shared.testing import app_client, auth

from .conftest import OFFICER, READER
from .factories import completed_event, deliver, entity

pytestmark = pytest.mark.integration
OF, R = auth(OFFICER[0]), auth(READER[0])
ATOM = "/public/v1/feed.atom"


@pytest.fixture
async def client(settings, sessionmaker):  # type: ignore[no-untyped-def]
    small = settings.model_copy(update={"atom_page_size": 3, "feed_cache_seconds": 60})
    async with app_client(create_app(small), sessionmaker) as client:
        yield client


async def publish(client, sessionmaker, count: int, **overrides) -> list[str]:
    ids = []
    for _ in range(count):
        event = completed_event(**overrides)
        await deliver(sessionmaker, event)
        page = (await client.get("/v1/results", params={"status": "pending", "limit": 500}, headers=R)).json()
        rid = next(r["id"] for r in page["items"] if r["inspection_id"] == event.data["inspection_id"])
        assert (await client.post(f"/v1/results/{rid}/approve", json={}, headers=OF)).status_code == 200
        ids.append(rid)
    await sequencer.sequence(sessionmaker)
    return ids


def parsed(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    doc = feedparser.parse(response.content)
    assert not doc.bozo, doc.get("bozo_exception")
    assert doc.version == "atom10"
    return doc


def links(doc) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {link["rel"]: link["href"].removeprefix("http://test") for link in doc.feed.links}


async def test_walking_prev_archive_from_the_subscription_document_sees_every_release_once(client, sessionmaker):
    ids = await publish(client, sessionmaker, 7, entity=entity("internet_cafe", name="星际<网吧> & 茶座"))
    body = {"reason": "更正", "outcome": {"type": "no_issues"}}
    assert (await client.post(f"/v1/results/{ids[0]}/corrections", json=body, headers=OF)).status_code == 201
    await sequencer.sequence(sessionmaker)
    current = parsed(await client.get(ATOM))
    assert links(current)["prev-archive"] == "/public/v1/archive/2.atom" and "fh_archive" not in current.feed
    assert links(current)["current"] == ATOM and current.feed.title.startswith("抚顺市公安局")
    assert len(current.entries) == 2  # positions 7 and 8 after two full archives of three
    seen, doc, pages = [], current, 0
    while True:
        seen += [e.id for e in doc.entries]
        pages += 1
        if "prev-archive" not in links(doc):
            break
        doc = parsed(await client.get(links(doc)["prev-archive"]))
        assert "fh_archive" in doc.feed and links(doc)["current"] == ATOM
    assert pages == 3 and len(seen) == len(set(seen)) == 8
    expected = {f"urn:ssj:disclosure:result:{rid}:release:1" for rid in ids}
    assert set(seen) == expected | {f"urn:ssj:disclosure:result:{ids[0]}:release:2"}
    newest = parsed(await client.get("/public/v1/archive/2.atom"))
    oldest = parsed(await client.get("/public/v1/archive/1.atom"))
    assert "next-archive" not in links(newest) and links(newest)["prev-archive"] == "/public/v1/archive/1.atom"
    assert links(oldest)["next-archive"] == "/public/v1/archive/2.atom" and "prev-archive" not in links(oldest)
    entry = oldest.entries[0]
    assert entry.title.startswith("星际<网吧> & 茶座") and "网吧" in {t.label for t in entry.tags}
    [alternate] = [link for link in entry.links if link["rel"] == "alternate"]
    assert alternate["href"] == f"http://test/public/v1/results/{ids[0]}" and alternate["type"] == "application/json"
    assert "结论：未发现问题" in entry.summary and entry.published == entry.updated


async def test_archives_that_are_not_full_do_not_exist(client, sessionmaker):
    await publish(client, sessionmaker, 4)
    for number in (0, 2, 3):
        r = await client.get(f"/public/v1/archive/{number}.atom")
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert (await client.get("/public/v1/archive/x.atom")).status_code == 422
    empty_head = parsed(await client.get(ATOM))
    assert len(empty_head.entries) == 1


async def test_withdrawn_releases_are_atom_tombstones(client, sessionmaker):
    ids = await publish(client, sessionmaker, 2)
    assert (
        await client.post(f"/v1/results/{ids[0]}/withdraw", json={"reason": "误发布"}, headers=OF)
    ).status_code == 201
    await sequencer.sequence(sessionmaker)
    archive = await client.get("/public/v1/archive/1.atom")
    doc = parsed(archive)
    assert [e.id for e in doc.entries] == [f"urn:ssj:disclosure:result:{ids[1]}:release:1"]
    text = archive.text
    assert f'ref="urn:ssj:disclosure:result:{ids[0]}:release:1"' in text
    assert f'ref="urn:ssj:disclosure:result:{ids[0]}:release:2"' in text and "误发布" in text


async def test_unchanged_atom_documents_answer_304(client, sessionmaker):
    await publish(client, sessionmaker, 4)
    for path, cache in [(ATOM, "public, max-age=5"), ("/public/v1/archive/1.atom", "public, max-age=86400")]:
        first = await client.get(path)
        tag = first.headers["etag"]
        assert first.headers["cache-control"] == cache
        again = await client.get(path, headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    before = (await client.get(ATOM)).headers["etag"]
    await publish(client, sessionmaker, 1)
    changed = await client.get(ATOM, headers={"If-None-Match": before})
    assert changed.status_code == 200 and len(parsed(changed).entries) == 2
