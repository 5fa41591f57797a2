"""Rectification follow-up with a controllable clock: re-inspection, overdue detection, the
blasting escalation to 停业整顿; and evidence files stored under their SHA-256."""

import base64
import hashlib
from datetime import timedelta

import pytest

from inspection.rectifications import detect_overdue

from .factories import R, as_officer, blasting_unit, days, entity, finish, outbox, result, task

pytestmark = pytest.mark.integration
ORDER = {"type": "rectification_ordered", "rectification_deadline": days(10), "note": "限期十日整改"}


async def _ordered(client, sessionmaker, deps, make=blasting_unit):  # type: ignore[no-untyped-def]
    t = await task(client, sessionmaker, deps, make())
    await finish(client, t, result(t, ORDER, {0: "现场爆炸物品与许可不符"}))
    return t


async def _detect(sessionmaker, clock) -> int:  # type: ignore[no-untyped-def]
    async with sessionmaker() as s, s.begin():
        return await detect_overdue(s, now=clock(), limit=100)


def _reinspect(client, t, by="INS-3", **body):  # type: ignore[no-untyped-def]
    return client.post(f"/v1/inspections/{t['id']}/reinspections", json=body, headers=as_officer(by))


async def test_a_reinspection_closes_the_order(client, sessionmaker, deps, clock):
    t = await _ordered(client, sessionmaker, deps)
    r = await _reinspect(client, t, rectified=True, note="已整改到位")
    assert r.status_code == 201, r.text
    record = r.json()
    assert record["rectified"] is True and record["id"].startswith("ri-") and record["inspector_id"] == "INS-3"
    order = (await client.get(f"/v1/inspections/{t['id']}", headers=R)).json()["rectification"]
    assert (order["status"], order["rectified"], order["reinspection_id"]) == ("rectified", True, record["id"])
    [(kind, data)] = (await outbox(sessionmaker))[2:]
    assert kind == "ssj.inspection.rectification_closed"
    assert (data["rectified"], data["reinspection_id"], data["inspection_id"]) == (True, record["id"], t["id"])
    again = await _reinspect(client, t, rectified=True)
    assert again.status_code == 409 and again.json()["type"] == "urn:ssj:problem:rectification-closed"
    clock.now += timedelta(days=30)
    assert await _detect(sessionmaker, clock) == 0  # a closed order is never overdue


async def test_not_rectified_is_a_finding_only_after_the_deadline(client, sessionmaker, deps, clock):
    t = await _ordered(client, sessionmaker, deps)
    early = await _reinspect(client, t, rectified=False)
    assert early.status_code == 409 and early.json()["type"] == "urn:ssj:problem:deadline-not-passed"
    clock.now += timedelta(days=11)
    r = await _reinspect(client, t, rectified=False, note="仍未整改")
    assert r.status_code == 201
    kinds = [(k, d.get("sanction")) for k, d in (await outbox(sessionmaker))[2:]]
    # a blasting unit found not rectified after its deadline is suspended (停业整顿)
    assert kinds == [("ssj.inspection.rectification_closed", None), ("ssj.inspection.sanctioned", "suspension")]


async def test_reinspection_needs_an_order(client, sessionmaker, deps):
    t = await task(client, sessionmaker, deps)
    await finish(client, t, result(t, {"type": "penalty_warning"}, {1: "未履行"}))
    r = await _reinspect(client, t, rectified=True)
    assert r.status_code == 409 and r.json()["type"] == "urn:ssj:problem:no-rectification"


async def test_overdue_orders_are_detected_by_the_clock_and_blasting_escalates(client, sessionmaker, deps, clock):
    blasting = await _ordered(client, sessionmaker, deps)
    venue = await _ordered(client, sessionmaker, deps, entity)
    before = len(await outbox(sessionmaker))
    clock.now += timedelta(days=10)  # the deadline day itself: still in time
    assert await _detect(sessionmaker, clock) == 0
    clock.now += timedelta(days=1)
    assert await _detect(sessionmaker, clock) == 2
    assert await _detect(sessionmaker, clock) == 0  # detected once, never again
    sent = (await outbox(sessionmaker))[before:]
    by_inspection = {(d["inspection_id"], k): d for k, d in sent}
    assert len(sent) == 3
    overdue = by_inspection[(blasting["id"], "ssj.inspection.rectification_overdue")]
    assert (overdue["deadline"], overdue["escalation"], overdue["at"]) == (
        days(10),
        "suspension",
        clock.now.isoformat(),
    )
    sanction = by_inspection[(blasting["id"], "ssj.inspection.sanctioned")]
    assert (sanction["sanction"], sanction["fine_yuan"]) == ("suspension", None)
    assert by_inspection[(venue["id"], "ssj.inspection.rectification_overdue")]["escalation"] is None
    detail = (await client.get(f"/v1/inspections/{blasting['id']}", headers=R)).json()
    assert (detail["rectification"]["status"], detail["rectification"]["escalation"]) == ("overdue", "suspension")
    history = (await client.get(f"/v1/inspections/{blasting['id']}/history", headers=R)).json()["items"]
    assert history[-1]["action"] == "rectification_overdue" and history[-1]["actor"] == "scheduler"

    late = await _reinspect(client, blasting, rectified=False)  # escalated already: no second suspension
    assert late.status_code == 201
    assert [k for k, _ in (await outbox(sessionmaker))[before + 3 :]] == ["ssj.inspection.rectification_closed"]
    assert (await _reinspect(client, venue, rectified=True)).status_code == 201  # rectified late, still closed


async def test_evidence_is_stored_under_its_digest(client, sessionmaker, deps, settings):
    t = await task(client, sessionmaker, deps)
    photo = "现场照片".encode() * 1000
    sha = hashlib.sha256(photo).hexdigest()
    url = f"/v1/inspections/{t['id']}/evidence"
    headers = as_officer("INS-7") | {"Content-Type": "image/jpeg"}
    r = await client.post(url, params={"filename": "出口堵塞.jpg"}, content=photo, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json() | {"uploaded_at": None} == {
        "sha256": sha,
        "filename": "出口堵塞.jpg",
        "content_type": "image/jpeg",
        "size_bytes": len(photo),
        "inspector_id": "INS-7",
        "uploaded_at": None,
    }
    assert (await client.post(url, content=photo, headers=headers)).json()["sha256"] == sha  # same bytes, one file
    listed = (await client.get(url, headers=R)).json()
    assert [e["sha256"] for e in listed] == [sha]
    download = await client.get(f"{url}/{sha}", headers=R)
    assert download.content == photo and download.headers["content-type"] == "image/jpeg"
    assert download.headers["repr-digest"] == f"sha-256=:{base64.b64encode(bytes.fromhex(sha)).decode()}:"
    assert (await client.get(f"{url}/{'0' * 64}", headers=R)).status_code == 404
    stored = settings.evidence_dir + f"/{sha[:2]}/{sha}"
    with open(stored, "wb") as f:
        f.write(b"altered")
    altered = await client.get(f"{url}/{sha}", headers=R)
    assert altered.status_code == 500 and altered.json()["type"] == "urn:ssj:problem:evidence-altered"
    empty = await client.post(url, content=b"", headers=headers)
    assert empty.status_code == 422 and empty.json()["field"] == "body"
    bad_name = await client.post(url, params={"filename": "../etc/passwd"}, content=b"x", headers=headers)
    assert bad_name.status_code == 422 and bad_name.json()["field"] == "filename"


async def test_a_correction_cannot_move_a_deadline_that_has_been_followed_up(client, sessionmaker, deps, clock):
    """Submitted while the order was open, confirmed after it went overdue: refused at confirmation."""
    t = await _ordered(client, sessionmaker, deps)
    later = result(t, ORDER | {"rectification_deadline": days(20)}, {0: "现场爆炸物品与许可不符"}) | {"reason": "延期"}
    r = await client.post(f"/v1/inspections/{t['id']}/corrections", json=later, headers=as_officer("INS-3"))
    assert r.status_code == 202
    clock.now += timedelta(days=11)
    assert await _detect(sessionmaker, clock) == 1
    late = await client.post(
        f"/v1/inspections/{t['id']}/confirmations",
        json={"draft_sha256": r.json()["draft"]["sha256"]},
        headers=as_officer("INS-7"),
    )
    assert late.status_code == 409 and late.json()["type"] == "urn:ssj:problem:rectification-followed-up"
    detail = (await client.get(f"/v1/inspections/{t['id']}", headers=R)).json()
    assert (detail["version"], detail["rectification"]["deadline"]) == (1, days(10))
