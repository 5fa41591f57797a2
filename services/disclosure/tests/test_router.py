import random

import pytest
from sqlalchemy import func, select

from disclosure import sequencer
from disclosure.db import messaging
from disclosure.main import create_app
from disclosure.models import FeedEntry, Release, Result
from shared.testing import app_client, auth

from .conftest import APPROVER, READER
from .factories import completed_event, deliver, id_number, mobile

pytestmark = pytest.mark.integration
A, R = auth(APPROVER[0]), auth(READER[0])
FEED = "/public/v1/feed"


async def pending(client, sessionmaker, **overrides) -> str:
    event = completed_event(**overrides)
    await deliver(sessionmaker, event)
    page = (await client.get("/v1/results", params={"status": "pending", "limit": 500}, headers=R)).json()
    return next(r["id"] for r in page["items"] if r["inspection_id"] == event.data["inspection_id"])


async def published(client, sessionmaker, count: int) -> list[str]:
    ids = [await pending(client, sessionmaker) for _ in range(count)]
    for rid in ids:
        assert (await client.post(f"/v1/results/{rid}/approve", json={}, headers=A)).status_code == 200
    await sequencer.sequence(sessionmaker)
    return ids


async def count(sessionmaker, model) -> int:
    async with sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def test_approved_result_enters_the_feed_at_position_1_once_sequenced(client, sessionmaker):
    rng = random.Random(5)
    person, phone = id_number(rng), mobile(rng)
    findings = [{"item_code": "entertainment.crime", "result": "non_compliant", "note": f"经营者{person}，电话{phone}"}]
    rid = await pending(
        client,
        sessionmaker,
        findings=findings,
        outcome={"type": "penalty_warning", "rectification_deadline": None, "note": ""},
    )
    r = await client.post(f"/v1/results/{rid}/approve", json={"note": "同意公开"}, headers=A)
    assert r.status_code == 200
    assert r.json()["status"] == "published" and r.json()["release"] == 1 and r.json()["decided_by"] == APPROVER[1].name
    assert (await client.get(FEED)).json()["items"] == []  # committed, but not yet numbered
    assert (await client.get(f"/public/v1/results/{rid}")).json()["releases"][0]["position"] is None
    assert await sequencer.sequence(sessionmaker) == 1
    page = await client.get(FEED)
    [item] = page.json()["items"]
    assert item["position"] == 1 and item["result_id"] == rid and item["release"] == 1
    assert item["entity"]["name"].startswith("抚顺市金色年华") and item["entity"]["credit_code"].startswith(
        "91210400MA"
    )
    assert item["sector_name_zh"] == "娱乐场所" and item["outcome"] == "penalty_warning"
    assert item["findings"][0]["result"] == "non_compliant"
    for private in (person, phone, "INS-3", "INS-7", "team", "同意公开"):
        assert private not in page.text
    shown = (await client.get(f"/public/v1/results/{rid}")).json()
    assert shown["status"] == "published" and shown["releases"] == [item] and shown["credit"] is None
    assert shown["current"] == {k: v for k, v in item.items() if k != "position"}
    assert item["kind"] == "original" and item["refers_to"] is None and item["withdrawn"] is False
    assert await sequencer.sequence(sessionmaker) == 0
    async with sessionmaker() as s:
        [row] = (await s.execute(select(messaging.outbox))).all()
    assert row.type == "ssj.disclosure.result.published" and row.key == rid
    assert '"feed_position": 1' in row.data and '"release": 1' in row.data and "INS-3" not in row.data


async def test_published_event_continues_the_approvals_trace(client, sessionmaker):
    """The sequencer sends the event outside any request; it must still carry the approver's trace."""
    rid = await pending(client, sessionmaker)
    trace = "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"
    r = await client.post(f"/v1/results/{rid}/approve", json={}, headers=A | {"traceparent": trace})
    assert r.status_code == 200
    await sequencer.sequence(sessionmaker)
    async with sessionmaker() as s:
        [row] = (await s.execute(select(messaging.outbox))).all()
    assert row.traceparent == trace


async def test_the_approve_handler_sequences_right_after_commit_when_enabled(settings, sessionmaker):
    async with app_client(
        create_app(settings.model_copy(update={"feed_sequence_on_approve": True})), sessionmaker
    ) as client:
        rid = await pending(client, sessionmaker)
        assert (await client.post(f"/v1/results/{rid}/approve", headers=A)).status_code == 200
        assert [i["result_id"] for i in (await client.get(FEED)).json()["items"]] == [rid]


async def test_every_page_has_next_and_the_last_points_to_where_new_items_appear(client, sessionmaker):
    await published(client, sessionmaker, 3)
    first = await client.get(FEED, params={"limit": 2})
    assert [i["position"] for i in first.json()["items"]] == [1, 2]
    assert first.headers["cache-control"] == "public, max-age=86400"
    last = await client.get(first.json()["next"])
    assert [i["position"] for i in last.json()["items"]] == [3]
    assert last.headers["cache-control"] == "public, max-age=5"
    head = await client.get(last.json()["next"])
    assert head.json()["items"] == [] and head.json()["next"] == last.json()["next"]
    [new] = await published(client, sessionmaker, 1)
    assert [(i["position"], i["result_id"]) for i in (await client.get(head.json()["next"])).json()["items"]] == [
        (4, new)
    ]


async def test_following_next_from_the_start_yields_every_published_item_exactly_once(client, sessionmaker):
    approved = await published(client, sessionmaker, 7)
    rejected = await pending(client, sessionmaker)
    await client.post(f"/v1/results/{rejected}/reject", json={"reason": "信息有误"}, headers=A)
    await pending(client, sessionmaker)
    seen, url = [], f"{FEED}?limit=3"
    while True:
        page = (await client.get(url)).json()
        if not page["items"]:
            break
        seen += [(i["position"], i["result_id"]) for i in page["items"]]
        url = page["next"]
    assert seen == list(enumerate(approved, start=1))


async def test_if_none_match_gives_304_until_the_page_changes(client, sessionmaker):
    await published(client, sessionmaker, 1)
    page = await client.get(FEED)
    tag = page.headers["etag"]
    assert tag.startswith('"') and not tag.startswith("W/")
    for sent in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        again = await client.get(FEED, headers={"If-None-Match": sent})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    assert (await client.get(FEED, headers={"If-None-Match": '"other"'})).status_code == 200
    await published(client, sessionmaker, 1)
    changed = await client.get(FEED, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag and len(changed.json()["items"]) == 2


async def test_pending_and_rejected_results_are_not_public(client, sessionmaker):
    waiting = await pending(client, sessionmaker)
    refused = await pending(client, sessionmaker)
    await client.post(f"/v1/results/{refused}/reject", json={"reason": "证据不足"}, headers=A)
    await sequencer.sequence(sessionmaker)
    assert (await client.get(FEED)).json()["items"] == []
    for rid in (waiting, refused, "r-000000000000"):
        r = await client.get(f"/public/v1/results/{rid}")
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


async def test_approving_twice_or_approving_a_rejected_result_is_409_and_changes_nothing(client, sessionmaker):
    done, refused = await pending(client, sessionmaker), await pending(client, sessionmaker)
    await client.post(f"/v1/results/{done}/approve", headers=A)
    await client.post(f"/v1/results/{refused}/reject", json={"reason": "退回"}, headers=A)
    for rid, action, body, status in [
        (done, "approve", {}, "published"),
        (refused, "approve", {}, "rejected"),
        (done, "reject", {"reason": "改主意"}, "published"),
    ]:
        r = await client.post(f"/v1/results/{rid}/{action}", json=body, headers=A)
        assert r.status_code == 409 and r.json()["type"] == f"urn:ssj:problem:result-{status}"
        assert r.json()["field"] == "status"
    assert await count(sessionmaker, Release) == 1 and await count(sessionmaker, FeedEntry) == 1
    assert (await client.get(f"/v1/results/{refused}", headers=R)).json()["decision_note"] == "退回"


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "reason"), ({"reason": "   "}, "reason"), ({"reason": "x" * 501}, "reason"), (None, "body")],
)
async def test_reject_needs_a_reason(client, sessionmaker, body, field):
    rid = await pending(client, sessionmaker)
    r = await client.post(f"/v1/results/{rid}/reject", json=body, headers=A)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == field
    assert (await client.get(f"/v1/results/{rid}", headers=R)).json()["status"] == "pending"


async def test_reject_keeps_the_reason_internal(client, sessionmaker):
    rid = await pending(client, sessionmaker)
    r = await client.post(f"/v1/results/{rid}/reject", json={"reason": "  整改期限有误  "}, headers=A)
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["decision_note"] == "整改期限有误"
    assert await count(sessionmaker, Release) == 0 and await count(sessionmaker, messaging.outbox) == 0


async def test_bad_approve_note_or_unknown_result(client, sessionmaker):
    rid = await pending(client, sessionmaker)
    r = await client.post(f"/v1/results/{rid}/approve", json={"note": "x" * 501}, headers=A)
    assert r.status_code == 422 and r.json()["field"] == "note"
    assert await count(sessionmaker, Release) == 0
    r = await client.post("/v1/results/r-ffffffffffff/approve", headers=A)
    assert r.status_code == 404 and r.json()["type"] == "urn:ssj:problem:not-found"


async def test_scopes_guard_the_internal_routes_and_not_the_public_ones(client, sessionmaker):
    rid = await pending(client, sessionmaker)
    assert (await client.post(f"/v1/results/{rid}/approve", headers=R)).status_code == 403
    assert (await client.post(f"/v1/results/{rid}/reject", json={"reason": "x"}, headers=R)).status_code == 403
    assert (await client.post(f"/v1/results/{rid}/approve")).status_code == 401
    assert (await client.get("/v1/results")).status_code == 401
    assert (await client.get(f"/v1/results/{rid}", headers=auth("unknown"))).status_code == 401
    assert (await client.get(f"/v1/results/{rid}", headers=R)).json()["status"] == "pending"
    assert (await client.get(FEED)).status_code == 200


async def test_result_list_filters_by_status_and_pages_in_arrival_order(client, sessionmaker):
    ids = [await pending(client, sessionmaker) for _ in range(5)]
    await client.post(f"/v1/results/{ids[1]}/approve", headers=A)
    seen, cursor = [], None
    while True:
        params = {"status": "pending", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/results", params=params, headers=R)).json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [ids[0], *ids[2:]]
    [approved] = (await client.get("/v1/results", params={"status": "published"}, headers=R)).json()["items"]
    assert approved["id"] == ids[1] and approved["release"] == 1 and approved["team"] == ["INS-3", "INS-7"]


@pytest.mark.parametrize("cursor", ["%%%", "bm9wZQ", "eyJhZnRlciI6LTF9"])
async def test_a_feed_cursor_we_did_not_issue_is_a_clear_error(client, cursor):
    r = await client.get(FEED, params={"cursor": cursor})
    assert r.status_code == 422 and r.json()["field"] == "cursor"


async def test_results_table_has_one_row_per_inspection(sessionmaker):
    event = completed_event()
    await deliver(sessionmaker, event)
    await deliver(sessionmaker, event)
    assert await count(sessionmaker, Result) == 1
