"""The café blacklist: consumed from ssj.inspection.blacklisted, published with masked names,
lifted by a release when the period ends (a job with a controllable clock)."""

import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from disclosure import blacklist, sequencer
from disclosure.models import BlacklistEntry
from shared.testing import auth

from .conftest import OFFICER, READER
from .factories import blacklisted_event, completed_event, deliver, entity, id_number

pytestmark = pytest.mark.integration
OF, R = auth(OFFICER[0]), auth(READER[0])
LIST = "/public/v1/blacklist"


async def test_a_blacklisting_is_listed_once_with_masked_names_and_no_id_numbers(client, sessionmaker):
    rng = random.Random(21)
    persons = [
        {"name": "张三丰", "id_number": id_number(rng), "role": "网吧业主"},
        {"name": "欧阳娜娜", "id_number": id_number(rng), "role": "安全员"},
    ]
    completed = completed_event(entity=entity("internet_cafe"))
    listed = blacklisted_event(completed, persons=persons)
    assert await deliver(sessionmaker, listed) and not await deliver(sessionmaker, listed)
    page = await client.get(LIST)
    [item] = page.json()["items"]
    assert item["status"] == "listed" and item["until"] == "2027-05-24"
    assert item["persons"] == [{"name": "张*", "role": "网吧业主"}, {"name": "欧阳*", "role": "安全员"}]
    assert item["restrictions_zh"] == ["上网行为限制", "行业禁入"] and item["entity"]["sector"] == "internet_cafe"
    assert [r["kind"] for r in item["releases"]] == ["listed"]
    for secret in ("张三丰", "欧阳娜娜", persons[0]["id_number"], persons[1]["id_number"]):
        assert secret not in page.text
    async with sessionmaker() as s:
        raw = (await s.execute(text("SELECT CAST(persons AS TEXT) FROM blacklist_entries"))).scalar_one()
    assert "id_number" not in raw and persons[0]["id_number"] not in raw  # never stored


async def test_the_listing_is_lifted_by_a_release_when_the_period_ends(client, sessionmaker):
    completed = completed_event(entity=entity("internet_cafe"))
    await deliver(sessionmaker, blacklisted_event(completed, until="2026-12-31"))
    async with sessionmaker() as s, s.begin():
        assert await blacklist.lift_expired(s, now=datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == 0  # 23:59 local
    async with sessionmaker() as s, s.begin():
        assert await blacklist.lift_expired(s, now=datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == 1
    async with sessionmaker() as s, s.begin():
        assert await blacklist.lift_expired(s, now=datetime(2027, 1, 5, tzinfo=UTC)) == 0
    [item] = (await client.get(LIST, params={"status": "lifted"})).json()["items"]
    assert item["status"] == "lifted" and [r["kind"] for r in item["releases"]] == ["listed", "lifted"]
    assert item["releases"][1]["kind_zh"] == "期满移出黑名单" and item["lifted_at"].startswith("2026-12-31T16:00")
    assert (await client.get(LIST, params={"status": "listed"})).json()["items"] == []


async def test_only_sectors_with_credit_information_are_listed(client, sessionmaker):
    assert await deliver(sessionmaker, blacklisted_event(completed_event()))  # an entertainment venue
    assert (await client.get(LIST)).json()["items"] == []
    async with sessionmaker() as s:
        assert (await s.scalars(select(BlacklistEntry))).all() == []


async def test_a_cafes_result_shows_its_credit_information_and_known_names_are_masked(client, sessionmaker):
    cafe = entity("internet_cafe", credit_code="91210400MA0CAFE77X")
    note = {"item_code": "internet_cafe.real_name", "result": "non_compliant", "note": "张三丰为他人代登记上网"}
    completed = completed_event(
        entity=cafe, findings=[note], outcome={"type": "blacklisted", "rectification_deadline": None, "note": ""}
    )
    await deliver(sessionmaker, completed)
    await deliver(sessionmaker, blacklisted_event(completed))
    page = (await client.get("/v1/results", params={"status": "pending"}, headers=R)).json()
    rid = page["items"][0]["id"]
    assert (await client.post(f"/v1/results/{rid}/approve", json={}, headers=OF)).status_code == 200
    await sequencer.sequence(sessionmaker)
    shown = (await client.get(f"/public/v1/results/{rid}")).json()
    [credit] = shown["credit"]
    assert credit["status"] == "listed" and credit["persons"] == [{"name": "张*", "role": "网吧业主"}]
    assert shown["current"]["findings"][0]["note"] == "张*为他人代登记上网" and "张三丰" not in str(shown)
    assert [
        i["entity"]["credit_code"]
        for i in (await client.get(LIST, params={"credit_code": "91210400ma0cafe77x"})).json()["items"]
    ] == ["91210400MA0CAFE77X"]


async def test_a_blacklisting_that_breaks_the_contract_is_rejected_permanently(sessionmaker):
    from shared.messaging import PermanentEventError

    with pytest.raises(PermanentEventError):
        await deliver(sessionmaker, blacklisted_event(completed_event(entity=entity("internet_cafe")), until="soon"))
