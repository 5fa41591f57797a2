"""Public search over the compiled views: filters, cursor paging, rate limiting."""

import pytest

from disclosure.main import create_app
from shared.testing import app_client, auth

from .conftest import OFFICER, READER
from .factories import completed_event, deliver, entity

pytestmark = pytest.mark.integration
OF, R = auth(OFFICER[0]), auth(READER[0])
SEARCH = "/public/v1/results"


async def publish(client, sessionmaker, **overrides) -> str:
    event = completed_event(**overrides)
    await deliver(sessionmaker, event)
    page = (await client.get("/v1/results", params={"status": "pending", "limit": 500}, headers=R)).json()
    rid = next(r["id"] for r in page["items"] if r["inspection_id"] == event.data["inspection_id"])
    assert (await client.post(f"/v1/results/{rid}/approve", json={}, headers=OF)).status_code == 200
    return rid


async def ids(client, **params) -> list[str]:
    r = await client.get(SEARCH, params=params)
    assert r.status_code == 200, r.text
    return [item["result_id"] for item in r.json()["items"]]


@pytest.fixture
async def corpus(client, sessionmaker) -> dict[str, str]:
    bad = {"item_code": "internet_cafe.real_name", "result": "non_compliant", "note": ""}
    rectify = {"type": "rectification_ordered", "rectification_deadline": "2026-12-31", "note": ""}
    return {
        "cafe_nov": await publish(
            client,
            sessionmaker,
            entity=entity("internet_cafe", name="抚顺市星际网络会所100%店", credit_code="91210400MA0CAFE01X"),
            findings=[bad],
            outcome=rectify,
            completed_at="2026-11-10T02:00:00+00:00",
        ),
        "cafe_jul": await publish(
            client,
            sessionmaker,
            entity=entity("internet_cafe", name="抚顺市极速网吧"),
            completed_at="2026-07-01T02:00:00+00:00",
        ),
        "venue_q4": await publish(client, sessionmaker, completed_at="2026-12-31T16:30:00+00:00"),  # 1 Jan 2027 local
        "venue_oct": await publish(client, sessionmaker, completed_at="2026-10-05T02:00:00+00:00"),
    }


async def test_each_filter(client, corpus):
    assert await ids(client, entity_name="星际") == [corpus["cafe_nov"]]
    assert await ids(client, entity_name="100%") == [corpus["cafe_nov"]]
    assert await ids(client, entity_name="%") == [corpus["cafe_nov"]]  # a wildcard is a character here
    assert await ids(client, credit_code="91210400ma0cafe01x") == [corpus["cafe_nov"]]
    assert set(await ids(client, sector="internet_cafe")) == {corpus["cafe_nov"], corpus["cafe_jul"]}
    assert await ids(client, outcome="rectification_ordered") == [corpus["cafe_nov"]]
    assert await ids(client, period="2026-Q4") == [corpus["cafe_nov"], corpus["venue_oct"]]
    assert await ids(client, period="2026-H2", sector="internet_cafe") == [corpus["cafe_nov"], corpus["cafe_jul"]]
    assert await ids(client, period="2026-07") == [corpus["cafe_jul"]]
    assert await ids(client, period="2027") == [corpus["venue_q4"]]
    assert await ids(client, entity_name="不存在的单位") == []
    item = (await client.get(SEARCH, params={"credit_code": "91210400MA0CAFE01X"})).json()["items"][0]
    assert item["sector_name_zh"] == "网吧" and item["outcome_zh"] == "责令限期整改" and item["latest_release"] == 1
    assert item["url"] == f"/public/v1/results/{corpus['cafe_nov']}"


async def test_cursor_paging_newest_first_without_repeats(client, corpus):
    seen, cursor = [], None
    while True:
        page = (await client.get(SEARCH, params={"limit": 1} | ({"cursor": cursor} if cursor else {}))).json()
        seen += [item["result_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [corpus["venue_q4"], corpus["cafe_nov"], corpus["venue_oct"], corpus["cafe_jul"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2026-Q5"}, "period"),
        ({"period": "26"}, "period"),
        ({"cursor": "%%"}, "cursor"),
        ({"limit": 0}, "limit"),
    ],
)
async def test_bad_filters_name_the_field(client, params, field):
    r = await client.get(SEARCH, params=params)
    assert r.status_code == 422 and r.json()["field"] == field


async def test_search_is_rate_limited_per_client(settings, sessionmaker):
    strict = settings.model_copy(update={"public_rate_limit_per_minute": 3})
    async with app_client(create_app(strict), sessionmaker) as client:
        answers = [(await client.get(SEARCH)).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        limited = await client.get(SEARCH, params={"entity_name": "x"})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
