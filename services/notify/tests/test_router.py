import pytest
from sqlalchemy import func, select

from notify.consumers import HANDLERS
from notify.db import messaging
from notify.events import SUBSCRIBABLE
from notify.main import create_app
from notify.models import Delivery, Subscription
from notify.webhooks import new_secret, secret_problem
from shared.messaging import handle_once
from shared.testing import app_client, auth

from .conftest import ADMIN, OUTSIDER
from .factories import inspection_completed, subscription_in

pytestmark = pytest.mark.integration
A = auth(ADMIN[0])


async def count(sessionmaker, model) -> int:
    async with sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def test_seeded_departments(client):
    departments = (await client.get("/v1/departments", headers=A)).json()["items"]
    assert {d["code"]: d["name_zh"] for d in departments} == {
        "culture_enforcement": "文化市场综合执法部门",
        "education": "教育行政部门",
        "government": "人民政府(挂牌督办)",
        "health": "卫生(医疗)主管部门",
        "market_regulation": "市场监督管理部门(工商)",
        "quality": "质量技术监督部门(质监)",
        "work_safety": "安全生产监督管理部门(安监)",
    }


async def test_add_department_then_duplicate_conflicts(client):
    body = {"code": "emergency_management", "name_zh": "应急管理部门", "name_en": "Emergency management"}
    assert (await client.post("/v1/departments", json=body, headers=A)).status_code == 201
    r = await client.post("/v1/departments", json=body, headers=A)
    assert r.status_code == 409 and r.json()["field"] == "code"
    r = await client.post("/v1/departments", json=body | {"code": "Bad Code"}, headers=A)
    assert r.status_code == 422 and r.json()["field"] == "code"


async def test_generated_secret_is_shown_once_and_stored_encrypted(client, sessionmaker, box):
    r = await client.post("/v1/subscriptions", json=subscription_in(), headers=A)
    assert r.status_code == 201
    created = r.json()
    assert r.headers["cache-control"] == "no-store"
    secret = created["secret"]
    assert secret_problem(secret) is None and created["event_types"] == list(SUBSCRIBABLE)
    async with sessionmaker() as s:
        stored = await s.get(Subscription, created["id"])
    assert secret not in stored.secret_encrypted and box.open(stored.secret_encrypted) == secret
    listed = await client.get("/v1/subscriptions", headers=A)
    assert [i["id"] for i in listed.json()["items"]] == [created["id"]]
    assert "secret" not in listed.json()["items"][0] and secret.removeprefix("whsec_") not in listed.text
    patched = await client.patch(f"/v1/subscriptions/{created['id']}", json={"enabled": False}, headers=A)
    assert "secret" not in patched.json() and secret.removeprefix("whsec_") not in patched.text


async def test_supplied_secret_is_kept_and_not_echoed(client, sessionmaker, box):
    secret = new_secret()
    r = await client.post("/v1/subscriptions", json=subscription_in(secret=secret), headers=A)
    assert r.status_code == 201 and r.json()["secret"] is None
    async with sessionmaker() as s:
        assert box.open((await s.get(Subscription, r.json()["id"])).secret_encrypted) == secret


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"secret": "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "secret"),
        ({"secret": "whsec_***not-base64***"}, "secret"),
        ({"secret": "whsec_c2hvcnQ="}, "secret"),
        ({"url": "ftp://amr.example.gov.cn/hook"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://"}, "url"),
        ({"department": "police"}, "department"),
        ({"event_types": ["ssj.draw.executed"]}, "event_types[0]"),
        ({"event_types": ["ssj.inspection.completed", "ssj.inspection.sanctioned"]}, "event_types[1]"),
        ({"event_types": []}, "event_types"),
        ({"enabled": False}, "enabled"),
    ],
)
async def test_bad_subscription_names_the_field_and_changes_nothing(client, sessionmaker, override, field):
    r = await client.post("/v1/subscriptions", json=subscription_in(**override), headers=A)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json" and r.json()["field"] == field
    assert await count(sessionmaker, Subscription) == 0


async def test_same_url_twice_for_one_department_conflicts(client, sessionmaker):
    body = subscription_in()
    assert (await client.post("/v1/subscriptions", json=body, headers=A)).status_code == 201
    r = await client.post("/v1/subscriptions", json=body, headers=A)
    assert r.status_code == 409 and r.json()["field"] == "url"
    assert await count(sessionmaker, Subscription) == 1


async def test_pause_and_resume_a_subscription(client):
    sub = (await client.post("/v1/subscriptions", json=subscription_in(), headers=A)).json()
    r = await client.patch(f"/v1/subscriptions/{sub['id']}", json={"enabled": False}, headers=A)
    assert r.json()["enabled"] is False and r.json()["disabled_reason"] == "disabled by ops-console"
    listed = await client.get("/v1/subscriptions", params={"enabled": False}, headers=A)
    assert [i["id"] for i in listed.json()["items"]] == [sub["id"]]
    r = await client.patch(f"/v1/subscriptions/{sub['id']}", json={"enabled": True}, headers=A)
    assert r.json()["enabled"] is True and r.json()["disabled_reason"] is None


async def test_change_url_and_event_types(client):
    sub = (await client.post("/v1/subscriptions", json=subscription_in(), headers=A)).json()
    body = {"url": "https://amr-new.example.gov.cn/ssj", "event_types": ["ssj.inspection.blacklisted"]}
    r = await client.patch(f"/v1/subscriptions/{sub['id']}", json=body, headers=A)
    assert r.status_code == 200 and {k: r.json()[k] for k in body} == body and r.json()["enabled"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"enabled": "maybe"}, "enabled"),
        ({"enabled": None}, "enabled"),
        ({"url": "ftp://x.example/"}, "url"),
        ({"event_types": []}, "event_types"),
        ({"event_types": ["ssj.draw.executed"]}, "event_types[0]"),
        ({"secret": "whsec_x"}, "secret"),
    ],
)
async def test_bad_patch_changes_nothing(client, body, field):
    sub = (await client.post("/v1/subscriptions", json=subscription_in(), headers=A)).json()
    r = await client.patch(f"/v1/subscriptions/{sub['id']}", json=body, headers=A)
    assert r.status_code == 422 and r.json()["field"] == field
    [after] = (await client.get("/v1/subscriptions", headers=A)).json()["items"]
    assert after == {k: v for k, v in sub.items() if k != "secret"}


async def test_moving_onto_another_enabled_subscriptions_url_conflicts(client):
    first = (await client.post("/v1/subscriptions", json=subscription_in(), headers=A)).json()
    second = (await client.post("/v1/subscriptions", json=subscription_in(), headers=A)).json()
    r = await client.patch(f"/v1/subscriptions/{second['id']}", json={"url": first["url"]}, headers=A)
    assert r.status_code == 409 and r.json()["field"] == "url"


async def test_unknown_subscription_is_404(client):
    r = await client.patch("/v1/subscriptions/nope", json={"enabled": False}, headers=A)
    assert r.status_code == 404 and r.json()["type"] == "urn:ssj:problem:not-found"


async def test_subscription_paging_walks_every_one_once(client):
    made = [(await client.post("/v1/subscriptions", json=subscription_in(), headers=A)).json()["id"] for _ in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/subscriptions", params=params, headers=A)).json()
        seen += [i["id"] for i in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == made
    r = await client.get("/v1/subscriptions", params={"cursor": "%%%"}, headers=A)
    assert r.status_code == 422 and r.json()["field"] == "cursor"


async def _routed_deliveries(client, sessionmaker) -> list[dict]:
    for department in ("market_regulation", "culture_enforcement"):
        await client.post("/v1/subscriptions", json=subscription_in(department=department), headers=A)
    await handle_once(sessionmaker, messaging, "notify", HANDLERS, inspection_completed("special_trade"), None)
    return (await client.get("/v1/deliveries", params={"status": "pending"}, headers=A)).json()["items"]


async def test_deliveries_list_detail_and_filters(client, sessionmaker):
    items = await _routed_deliveries(client, sessionmaker)
    assert sorted(i["department"] for i in items) == ["culture_enforcement", "market_regulation"]
    assert {i["rule_id"] for i in items} == {"R1"}
    assert (await client.get("/v1/deliveries", params={"status": "dead"}, headers=A)).json()["items"] == []
    r = await client.get("/v1/deliveries", params={"status": "lost"}, headers=A)
    assert r.status_code == 422 and r.json()["field"] == "status"
    detail = (await client.get(f"/v1/deliveries/{items[0]['id']}", headers=A)).json()
    assert detail["payload"]["type"] == "ssj.inspection.completed" and detail["attempt_log"] == []
    assert (await client.get("/v1/deliveries/nope", headers=A)).status_code == 404


async def test_retry_only_dead_deliveries_of_enabled_subscriptions(client, sessionmaker):
    item = (await _routed_deliveries(client, sessionmaker))[0]
    r = await client.post(f"/v1/deliveries/{item['id']}/retry", headers=A)
    assert r.status_code == 409 and r.json()["field"] == "status"
    async with sessionmaker() as s, s.begin():
        delivery = await s.get(Delivery, item["id"])
        delivery.status, delivery.attempts, delivery.next_attempt_at = "dead", 8, None
    await client.patch(f"/v1/subscriptions/{item['subscription_id']}", json={"enabled": False}, headers=A)
    r = await client.post(f"/v1/deliveries/{item['id']}/retry", headers=A)
    assert r.status_code == 409 and r.json()["field"] == "subscription_id"
    assert (await client.get(f"/v1/deliveries/{item['id']}", headers=A)).json()["status"] == "dead"
    await client.patch(f"/v1/subscriptions/{item['subscription_id']}", json={"enabled": True}, headers=A)
    r = await client.post(f"/v1/deliveries/{item['id']}/retry", headers=A)
    assert r.status_code == 200 and r.json()["status"] == "pending" and r.json()["attempts"] == 8
    assert r.json()["next_attempt_at"] is not None


ROUTES = [
    ("GET", "/v1/departments"),
    ("POST", "/v1/departments"),
    ("POST", "/v1/subscriptions"),
    ("GET", "/v1/subscriptions"),
    ("PATCH", "/v1/subscriptions/x"),
    ("POST", "/v1/subscriptions/x/rotate-secret"),
    ("POST", "/v1/subscriptions/x/replay"),
    ("GET", "/v1/routing-rules"),
    ("POST", "/v1/routing-rules"),
    ("PUT", "/v1/routing-rules/x"),
    ("GET", "/v1/routing-rules/x/versions"),
    ("GET", "/v1/deliveries"),
    ("GET", "/v1/deliveries/x"),
    ("POST", "/v1/deliveries/x/retry"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_needs_notify_admin(client, method, path):
    assert (await client.request(method, path)).status_code == 401
    assert (await client.request(method, path, headers=auth("unregistered"))).status_code == 401
    r = await client.request(method, path, headers=auth(OUTSIDER[0]))
    assert r.status_code == 403 and r.json()["type"] == "urn:ssj:problem:forbidden"


async def test_refuses_to_start_without_a_secret_key(settings):
    app = create_app(settings.model_copy(update={"secret_key": None}))
    with pytest.raises(RuntimeError, match="NOTIFY_SECRET_KEY"):
        async with app_client(app):
            pass
