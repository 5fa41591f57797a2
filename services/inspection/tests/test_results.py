"""Results through the API: the two-officer rule, every outcome path and its events, and
corrections as new versions."""

import pytest
from sqlalchemy import func, select

from inspection.models import Finding, HistoryEntry, Inspection
from shared.testing import auth

from .conftest import GATEWAY, TABLET
from .factories import (
    R,
    as_officer,
    blasting_unit,
    confirm,
    days,
    findings,
    finish,
    fire_unit,
    outbox,
    result,
    submit,
    task,
)

pytestmark = pytest.mark.integration
ONE_VIOLATION = {5: "发现赌博机"}


async def _history(sessionmaker, inspection_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    async with sessionmaker() as s:
        query = select(HistoryEntry.action).where(HistoryEntry.inspection_id == inspection_id).order_by(HistoryEntry.id)
        return list((await s.scalars(query)).all())


async def test_two_officers_must_confirm_before_an_inspection_completes(client, sessionmaker, deps):
    t = await task(client, sessionmaker, deps)
    body = result(t, {"type": "no_issues"})
    first = await submit(client, t, body, "INS-3")
    assert first.status_code == 202, first.text
    draft = first.json()["draft"]
    assert first.json()["status"] == "awaiting_confirmation" and first.json()["version"] == 0
    assert (draft["version"], draft["confirmed_by"], draft["awaiting"]) == (1, ["INS-3"], ["INS-7"])
    again = await confirm(client, t, draft["sha256"], "INS-3")  # one officer twice is still one officer
    assert again.status_code == 202 and again.json()["draft"]["awaiting"] == ["INS-7"]
    assert await outbox(sessionmaker) == []

    done = await confirm(client, t, draft["sha256"], "INS-7")
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["version"], done.json()["draft"]) == ("completed", 1, None)
    assert done.json()["completed_by"] == "INS-7"
    [(kind, data)] = await outbox(sessionmaker)
    assert kind == "ssj.inspection.completed" and data["confirmed_by"] == ["INS-3", "INS-7"]
    versions = (await client.get(f"/v1/inspections/{t['id']}/versions", headers=R)).json()
    assert [(v["version"], v["confirmed_by"], v["draft_sha256"]) for v in versions] == [
        (1, ["INS-3", "INS-7"], draft["sha256"])
    ]
    assert await _history(sessionmaker, t["id"]) == [
        "assigned",
        "draft_submitted",
        "confirmed",
        "confirmed",
        "confirmed",
        "completed",
    ]


async def test_the_second_officer_may_confirm_by_submitting_the_same_result(client, sessionmaker, deps):
    t = await task(client, sessionmaker, deps)
    body = result(t, {"type": "no_issues"})
    assert (await submit(client, t, body, "INS-7")).status_code == 202
    reordered = {"findings": list(reversed(body["findings"])), "outcome": body["outcome"]}
    r = await submit(client, t, reordered, "INS-3")
    assert r.status_code == 200 and r.json()["status"] == "completed"


async def test_an_edited_draft_voids_earlier_confirmations(client, sessionmaker, deps):
    t = await task(client, sessionmaker, deps)
    clean = (await submit(client, t, result(t, {"type": "no_issues"}), "INS-3")).json()["draft"]
    edited = await submit(client, t, result(t, {"type": "penalty_warning"}, ONE_VIOLATION), "INS-7")
    assert edited.status_code == 202
    new = edited.json()["draft"]
    assert new["sha256"] != clean["sha256"] and new["confirmed_by"] == ["INS-7"] and new["awaiting"] == ["INS-3"]
    stale = await confirm(client, t, clean["sha256"], "INS-3")
    assert stale.status_code == 409 and stale.json()["type"] == "urn:ssj:problem:draft-changed"
    assert stale.json()["field"] == "draft_sha256"
    done = await confirm(client, t, new["sha256"], "INS-3")
    assert done.status_code == 200 and done.json()["outcome"]["type"] == "penalty_warning"


async def test_an_inspector_not_on_the_team_is_refused(client, sessionmaker, deps):
    t = await task(client, sessionmaker, deps)
    body = result(t, {"type": "no_issues"})
    base = f"/v1/inspections/{t['id']}"
    attempts = [
        ("complete", body),
        ("confirmations", {"draft_sha256": "0" * 64}),
        ("corrections", body | {"reason": "x"}),
        ("recusals", {"reason": "亲属"}),
        ("reinspections", {"rectified": True}),
    ]
    for who in ("INS-9", "INS-1"):
        for path, payload in attempts:
            r = await client.post(f"{base}/{path}", json=payload, headers=as_officer(who))
            assert r.status_code == 403, (who, path, r.text)
            assert r.json()["type"] == "urn:ssj:problem:not-on-team" and who in r.json()["detail"]
        r = await client.post(f"{base}/evidence", content=b"photo", headers=as_officer(who))
        assert r.status_code == 403
    assert (await client.get(base, headers=R)).json()["status"] == "assigned"
    assert await _history(sessionmaker, t["id"]) == ["assigned"]
    assert await outbox(sessionmaker) == []


async def test_credentials_speak_only_for_their_bound_inspector(client, sessionmaker, deps):
    t = await task(client, sessionmaker, deps)
    body = result(t, {"type": "no_issues"})
    tablet = auth(TABLET[0])
    r = await client.post(f"/v1/inspections/{t['id']}/complete", json=body, headers=tablet)
    assert r.status_code == 202 and r.json()["draft"]["confirmed_by"] == ["INS-3"]
    sha = r.json()["draft"]["sha256"]
    url = f"/v1/inspections/{t['id']}/confirmations"
    refusals = [
        tablet | {"X-Inspector-Id": "INS-7"},  # the tablet is bound to INS-3 only
        as_officer("INS-3") | {"X-Inspector-Id": "INS-7"},  # an officer cannot speak for a colleague
        auth(GATEWAY[0]),  # the gateway must say whom it speaks for
    ]
    for headers in refusals:
        r = await client.post(url, json={"draft_sha256": sha}, headers=headers)
        assert r.status_code == 403 and r.json()["type"] == "urn:ssj:problem:inspector-not-bound", r.text
    r = await client.post(url, json={"draft_sha256": sha}, headers=auth(GATEWAY[0]) | {"X-Inspector-Id": "INS-7"})
    assert r.status_code == 200


async def test_a_team_of_one_cannot_complete(client, sessionmaker, deps):
    t = await task(client, sessionmaker, deps, team=["INS-3"])
    r = await submit(client, t, result(t, {"type": "no_issues"}), "INS-3")
    assert r.status_code == 409 and r.json()["type"] == "urn:ssj:problem:two-officer-rule"


def _missing_last(t, body):  # type: ignore[no-untyped-def]
    body["findings"].pop()
    return body


def _unknown(t, body):  # type: ignore[no-untyped-def]
    body["findings"][2]["item_code"] = "entertainment.casino"
    return body


def _duplicate(t, body):  # type: ignore[no-untyped-def]
    body["findings"].append(dict(body["findings"][0]))
    return body


def _outcome(**outcome):  # type: ignore[no-untyped-def]
    def change(t, body):  # type: ignore[no-untyped-def]
        body["findings"][0]["result"] = "non_compliant" if outcome.pop("violation", False) else "compliant"
        return body | {"outcome": outcome}

    return change


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_missing_last, "findings"),
        (_unknown, "findings[2].item_code"),
        (_duplicate, "findings[8].item_code"),
        (_outcome(type="no_issues", violation=True), "outcome.type"),
        (_outcome(type="penalty_fine", fine_yuan=100), "outcome.type"),
        (_outcome(type="penalty_fine", violation=True), "outcome.fine_yuan"),
        (_outcome(type="listed_supervision", violation=True, hazard="x"), "outcome.type"),
        (_outcome(type="rectification_ordered", violation=True), "outcome.rectification_deadline"),
        (
            _outcome(type="rectification_ordered", violation=True, rectification_deadline=days(0)),
            "outcome.rectification_deadline",
        ),
        (_outcome(type="no_issues", rectification_deadline=days(7)), "outcome.rectification_deadline"),
        (_outcome(type="closed_down", violation=True), "outcome.type"),
        (lambda t, body: body["findings"][0].update(result="fine") or body, "findings[0].result"),
        (lambda t, body: body["findings"][0].update(evidence=["ab" * 32]) or body, "findings[0].evidence[0]"),
        (lambda t, body: {"findings": body["findings"]}, "outcome"),
        (lambda t, body: body | {"joint_members": [{"department": "health", "name": "王"}]}, "joint_members"),
    ],
    ids=[
        "missing",
        "unknown-code",
        "duplicate",
        "clean-with-violation",
        "fine-without-violation",
        "fine-without-amount",
        "listed-supervision-not-fire",
        "no-deadline",
        "deadline-today",
        "deadline-on-no-issues",
        "unknown-outcome",
        "unknown-result",
        "evidence-not-uploaded",
        "no-outcome",
        "joint-members-on-site",
    ],
)
async def test_invalid_results_name_the_field_and_change_nothing(client, sessionmaker, deps, change, field):
    t = await task(client, sessionmaker, deps)
    body = change(t, {"findings": findings(t), "outcome": {"type": "no_issues"}})
    r = await submit(client, t, body, "INS-3")
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == field
    async with sessionmaker() as s:
        row = await s.get(Inspection, t["id"])
        assert (row.status, row.draft_content) == ("assigned", None)
        assert await s.scalar(select(func.count()).select_from(Finding)) == 0
    assert await _history(sessionmaker, t["id"]) == ["assigned"]
    assert await outbox(sessionmaker) == []


async def test_missing_items_are_listed(client, sessionmaker, deps):
    t = await task(client, sessionmaker, deps)
    body = {"findings": findings(t)[:6], "outcome": {"type": "no_issues"}}
    problem = (await submit(client, t, body, "INS-3")).json()
    assert problem["errors"][0]["missing"] == ["entertainment.lodging_registration", "entertainment.other"]
    assert "entertainment.other" in problem["detail"]


async def test_completed_inspections_are_immutable(client, sessionmaker, deps):
    t = await task(client, sessionmaker, deps)
    await finish(client, t, result(t, {"type": "no_issues"}))
    r = await submit(client, t, result(t, {"type": "penalty_warning"}, ONE_VIOLATION), "INS-3")
    assert r.status_code == 409 and r.json()["type"] == "urn:ssj:problem:inspection-completed"
    after = (await client.get(f"/v1/inspections/{t['id']}", headers=R)).json()
    assert after["outcome"]["type"] == "no_issues" and {f["result"] for f in after["findings"]} == {"compliant"}
    assert len(await outbox(sessionmaker)) == 1


async def test_corrections_are_new_versions_with_a_reason(client, sessionmaker, deps):
    t = await task(client, sessionmaker, deps, fire_unit())
    v1 = await finish(client, t, result(t, {"type": "penalty_warning"}, {4: "线路老化"}))
    url = f"/v1/inspections/{t['id']}/corrections"
    fixed = result(t, {"type": "penalty_fine", "fine_yuan": 300}, {4: "线路老化，私拉乱接"})
    assert (await client.post(url, json=fixed, headers=as_officer("INS-3"))).status_code == 422  # no reason
    r = await client.post(url, json=fixed | {"reason": "处罚种类录入错误"}, headers=as_officer("INS-3"))
    assert r.status_code == 202 and r.json()["draft"]["version"] == 2
    assert r.json()["outcome"]["type"] == "penalty_warning" and r.json()["status"] == "completed"
    v2 = (await confirm(client, t, r.json()["draft"]["sha256"], "INS-7")).json()
    assert (v2["version"], v2["outcome"]["type"], v2["outcome"]["fine_yuan"]) == (2, "penalty_fine", 300.0)
    assert v2["correction_reason"] == "处罚种类录入错误" and v2["findings"][4]["note"] == "线路老化，私拉乱接"
    versions = (await client.get(f"/v1/inspections/{t['id']}/versions", headers=R)).json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["content"]["outcome"]["type"] == "penalty_warning" == v1["outcome"]["type"]
    assert versions[0]["content"]["findings"][4]["note"] == "线路老化"
    sent = await outbox(sessionmaker)
    assert [(k, d.get("version")) for k, d in sent] == [
        ("ssj.inspection.completed", 1),
        ("ssj.inspection.sanctioned", 1),
        ("ssj.inspection.completed", 2),
        ("ssj.inspection.sanctioned", 2),
    ]
    assert sent[2][1]["correction_reason"] == "处罚种类录入错误" and sent[3][1]["fine_yuan"] == 300.0
    assert (await _history(sessionmaker, t["id"]))[-1] == "corrected"


async def test_a_correction_that_keeps_the_facts_resends_only_the_completion(client, sessionmaker, deps):
    t = await task(client, sessionmaker, deps)
    await finish(client, t, result(t, {"type": "penalty_warning", "note": "警告"}, {2: "制度未落实"}))
    body = result(t, {"type": "penalty_warning", "note": "警告"}, {2: "安全制度未落实（更正错字）"}) | {
        "reason": "错字"
    }
    r = await client.post(f"/v1/inspections/{t['id']}/corrections", json=body, headers=as_officer("INS-7"))
    await confirm(client, t, r.json()["draft"]["sha256"], "INS-3")
    assert [k for k, _ in await outbox(sessionmaker)][2:] == ["ssj.inspection.completed"]


async def test_corrections_need_a_completed_inspection_and_cannot_withdraw_an_open_order(client, sessionmaker, deps):
    t = await task(client, sessionmaker, deps, blasting_unit())
    order = {"type": "rectification_ordered", "rectification_deadline": days(10)}
    url = f"/v1/inspections/{t['id']}/corrections"
    early = await client.post(url, json=result(t, order, {0: "不一致"}) | {"reason": "x"}, headers=as_officer("INS-3"))
    assert early.status_code == 409 and early.json()["type"] == "urn:ssj:problem:inspection-not-completed"
    await finish(client, t, result(t, order, {0: "不一致"}))
    withdraw = result(t, {"type": "penalty_warning"}, {0: "不一致"}) | {"reason": "改为警告"}
    r = await client.post(url, json=withdraw, headers=as_officer("INS-3"))
    assert r.status_code == 409 and r.json()["type"] == "urn:ssj:problem:rectification-open"
    later = result(t, order | {"rectification_deadline": days(15)}, {0: "不一致"}) | {"reason": "延长期限"}
    r = await client.post(url, json=later, headers=as_officer("INS-3"))
    done = (await confirm(client, t, r.json()["draft"]["sha256"], "INS-7")).json()
    assert done["rectification"]["deadline"] == days(15) and done["rectification"]["version"] == 2
