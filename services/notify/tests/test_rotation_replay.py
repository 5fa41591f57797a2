"""Secret rotation with an overlap, and replay since a time, through the API, the delivery job and
a real receiver."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from notify.models import Delivery, Subscription
from notify.webhooks import new_secret
from shared.testing import auth

from .conftest import ADMIN
from .delivering import consume, settled, until, workers
from .factories import inspection_completed

pytestmark = pytest.mark.integration
A = auth(ADMIN[0])


def verifies(secret: str, got) -> bool:  # type: ignore[no-untyped-def]
    try:
        Webhook(secret).verify(got.raw, got.headers)
        return True
    except WebhookVerificationError:
        return False


async def subscribed(live_client, receiver, secret: str) -> tuple[dict, str]:  # type: ignore[no-untyped-def]
    name = uuid.uuid4().hex[:8]
    body = {"department": "market_regulation", "url": receiver.endpoint(name), "secret": secret}
    r = await live_client.post("/v1/subscriptions", json=body, headers=A)
    assert r.status_code == 201
    receiver.secrets[name] = secret
    return r.json(), name


async def deliver_one(committed, settings, sub_id: str) -> str:  # type: ignore[no-untyped-def]
    await consume(committed, inspection_completed("entertainment"))
    async with committed() as s:
        query = select(Delivery.id).where(Delivery.subscription_id == sub_id, Delivery.status == "pending")
        [delivery_id] = list(await s.scalars(query))
    async with workers(committed, settings):
        await until(settled(committed, delivery_id))
    return delivery_id


async def test_rotation_signs_with_both_secrets_during_the_overlap_then_only_the_new(
    live_client, committed, settings, receiver
):
    old = new_secret()
    sub, name = await subscribed(live_client, receiver, old)
    rotate = f"/v1/subscriptions/{sub['id']}/rotate-secret"
    r = await live_client.post(rotate, json={"overlap_seconds": 3600}, headers=A)
    assert r.status_code == 200, r.text
    new = r.json()["secret"]
    expires = datetime.fromisoformat(r.json()["previous_secret_expires_at"])
    assert new.startswith("whsec_") and new != old and timedelta(minutes=59) < expires - datetime.now(UTC)

    await deliver_one(committed, settings, sub["id"])  # the receiver still holds only the old secret
    receiver.secrets[name] = new
    await deliver_one(committed, settings, sub["id"])  # now it holds only the new one
    during = receiver.at(name)
    assert [g.verified for g in during] == [True, True]
    assert all(verifies(old, g) and verifies(new, g) for g in during)
    assert all(len(g.headers["webhook-signature"].split(" ")) == 2 for g in during)

    async with committed() as s, s.begin():  # the overlap ends (expiry moved into the past, not waited for)
        past = datetime.now(UTC) - timedelta(seconds=1)
        ended = update(Subscription).where(Subscription.id == sub["id"]).values(previous_secret_expires_at=past)
        await s.execute(ended)
    await deliver_one(committed, settings, sub["id"])
    after = receiver.at(name)[-1]
    assert after.verified and verifies(new, after) and not verifies(old, after)
    assert len(after.headers["webhook-signature"].split(" ")) == 1


async def test_without_overlap_a_receiver_with_only_the_old_secret_rejects(live_client, committed, settings, receiver):
    old = new_secret()
    sub, name = await subscribed(live_client, receiver, old)
    body = {"secret": new_secret(), "overlap_seconds": 0}
    r = await live_client.post(f"/v1/subscriptions/{sub['id']}/rotate-secret", json=body, headers=A)
    assert r.status_code == 200 and r.json()["secret"] is None and r.json()["previous_secret_expires_at"] is None
    slow = settings.model_copy(update={"retry_schedule_seconds": [0, 60]})
    await consume(committed, inspection_completed("entertainment"))
    async with workers(committed, slow):
        await until(lambda: _arrived(receiver, name))
    [got] = receiver.at(name)
    assert not got.verified and verifies(body["secret"], got)


async def _arrived(receiver, name: str) -> bool:  # type: ignore[no-untyped-def]
    return bool(receiver.at(name))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"overlap_seconds": -1}, "overlap_seconds"),
        ({"overlap_seconds": 8 * 86400}, "overlap_seconds"),
        ({"secret": "whsec_short"}, "secret"),
        ({"secret": "same"}, "secret"),
    ],
)
async def test_bad_rotation_names_the_field_and_changes_nothing(live_client, committed, receiver, body, field):
    secret = new_secret()
    sub, _ = await subscribed(live_client, receiver, secret)
    body = {"secret": secret} if body.get("secret") == "same" else body
    r = await live_client.post(f"/v1/subscriptions/{sub['id']}/rotate-secret", json=body, headers=A)
    assert r.status_code == 422 and r.json()["field"] == field
    async with committed() as s:
        stored = await s.get(Subscription, sub["id"])
    assert stored.secret_rotated_at is None and stored.previous_secret_encrypted is None


async def test_replay_resends_with_original_ids_and_fills_what_a_pause_missed(
    live_client, committed, settings, receiver
):
    sub, name = await subscribed(live_client, receiver, new_secret())
    path = f"/v1/subscriptions/{sub['id']}"
    first = await deliver_one(committed, settings, sub["id"])
    since = datetime.now(UTC)
    second, third = [await deliver_one(committed, settings, sub["id"]) for _ in range(2)]
    assert (await live_client.patch(path, json={"enabled": False}, headers=A)).json()["enabled"] is False
    missed = inspection_completed("special_trade")
    await consume(committed, missed)  # nothing is queued for a paused subscription …
    r = await live_client.post(path + "/replay", json={"since": since.isoformat()}, headers=A)
    assert r.status_code == 409 and r.json()["field"] == "enabled"
    await live_client.patch(path, json={"enabled": True}, headers=A)

    r = await live_client.post(path + "/replay", json={"since": since.isoformat()}, headers=A)
    assert r.status_code == 200 and r.json() == {"requeued": 2, "created": 1, "already_pending": 0}
    again = await live_client.post(path + "/replay", json={"since": since.isoformat()}, headers=A)
    assert again.json() == {"requeued": 0, "created": 0, "already_pending": 3}
    async with committed() as s:
        ids = list(await s.scalars(select(Delivery.id).where(Delivery.subscription_id == sub["id"])))
    async with workers(committed, settings):
        await until(settled(committed, *ids))

    sent = [g.webhook_id for g in receiver.at(name)]
    fresh = next(i for i in ids if i not in (first, second, third))
    assert sent[:3] == [first, second, third] and sorted(sent[3:]) == sorted([second, third, fresh])
    assert receiver.duplicates == 2 and set(receiver.processed) == {first, second, third, fresh}
    assert receiver.processed[fresh].body["id"] == missed.id


@pytest.mark.parametrize(
    ("body", "field"),
    [({"since": "2026-11-26T08:00:00"}, "since"), ({"since": "yesterday"}, "since"), ({}, "since")],
)
async def test_bad_replay_names_the_field(live_client, receiver, body, field):
    sub, _ = await subscribed(live_client, receiver, new_secret())
    r = await live_client.post(f"/v1/subscriptions/{sub['id']}/replay", json=body, headers=A)
    assert r.status_code == 422 and r.json()["field"] == field
