"""Every outcome path (seed §4) through the API, confirmed by both officers, and the events each sends."""

from typing import Any

import pytest

from .factories import (
    as_officer,
    blasting_unit,
    cafe,
    days,
    entity,
    finish,
    fire_unit,
    id_number,
    outbox,
    result,
    task,
)

pytestmark = pytest.mark.integration
ONE_VIOLATION = {5: "发现赌博机"}


PERSON = {"name": "张三", "id_number": id_number(), "role": "owner"}
BLACKLIST = {"until": "2027-11-30", "restrictions": ["internet_access", "industry_ban"], "persons": [PERSON]}
CREDIT = [{"file": "network_credit", "person": PERSON, "note": "实名登记违规"}]
OUTCOMES: list[tuple[str, Any, dict[str, Any], list[tuple[str, dict[str, Any]]]]] = [
    ("no_issues", entity, {"type": "no_issues"}, []),
    (
        "rectification_ordered",
        blasting_unit,
        {"type": "rectification_ordered", "rectification_deadline": days(10), "note": "限期十日整改"},
        [("ssj.inspection.rectification_ordered", {"deadline": days(10), "item_codes": ["blasting.stock_vs_ledger"]})],
    ),
    (
        "penalty_warning",
        entity,
        {"type": "penalty_warning", "note": "警告"},
        [("ssj.inspection.sanctioned", {"sanction": "penalty_warning", "fine_yuan": None, "note": "警告"})],
    ),
    (
        "penalty_fine",
        fire_unit,
        {"type": "penalty_fine", "fine_yuan": "5000.50", "rectification_deadline": days(20)},
        [
            ("ssj.inspection.rectification_ordered", {"deadline": days(20), "item_codes": ["fire_safety.wiring_gas"]}),
            ("ssj.inspection.sanctioned", {"sanction": "penalty_fine", "fine_yuan": 5000.5, "note": ""}),
        ],
    ),
    (
        "suspension",
        blasting_unit,
        {"type": "suspension", "note": "停业整顿"},
        [("ssj.inspection.sanctioned", {"sanction": "suspension", "fine_yuan": None, "note": "停业整顿"})],
    ),
    (
        "licence_revoked",
        blasting_unit,
        {"type": "licence_revoked", "note": "吊销许可证件"},
        [("ssj.inspection.sanctioned", {"sanction": "licence_revoked", "fine_yuan": None, "note": "吊销许可证件"})],
    ),
    (
        "criminal_referral",
        entity,
        {"type": "criminal_referral", "note": "涉嫌犯罪，移送刑侦"},
        [
            (
                "ssj.inspection.sanctioned",
                {"sanction": "criminal_referral", "fine_yuan": None, "note": "涉嫌犯罪，移送刑侦"},
            )
        ],
    ),
    (
        "listed_supervision",
        fire_unit,
        {"type": "listed_supervision", "hazard": "安全出口锁闭，疏散通道堵塞"},
        [("ssj.inspection.listed_supervision_reported", {"hazard": "安全出口锁闭，疏散通道堵塞"})],
    ),
    (
        "blacklisted",
        cafe,
        {"type": "blacklisted", "blacklist": BLACKLIST, "credit_entries": CREDIT},
        [("ssj.inspection.blacklisted", {k: BLACKLIST[k] for k in ("until", "restrictions", "persons")})],
    ),
]


@pytest.mark.parametrize(("name", "make", "outcome", "follow_ups"), OUTCOMES, ids=[o[0] for o in OUTCOMES])
async def test_each_outcome_path_completes_and_sends_its_events(
    client, sessionmaker, deps, clock, name, make, outcome, follow_ups
):
    t = await task(client, sessionmaker, deps, make())
    at = {blasting_unit: 3, cafe: 2}.get(make, 4)
    violations = {} if name == "no_issues" else {at: "不符合"}
    done = await finish(client, t, result(t, outcome, violations))
    assert done["outcome"]["type"] == name
    sent = await outbox(sessionmaker)
    assert [kind for kind, _ in sent] == ["ssj.inspection.completed"] + [kind for kind, _ in follow_ups]
    completed = sent[0][1]
    assert completed["outcome"]["type"] == name and completed["version"] == 1
    entity_fields = {k: t["entity"][k] for k in ("id", "name", "credit_code", "sector", "subtype", "division_code")}
    for (_, data), (_, expected) in zip(sent[1:], follow_ups, strict=True):
        assert (
            data
            == {"inspection_id": t["id"], "entity": entity_fields, "at": clock.now.isoformat(), "version": 1} | expected
        )
    if name == "blacklisted":
        assert completed["credit_entries"] == CREDIT and done["outcome"]["blacklist"] == BLACKLIST
    if outcome.get("rectification_deadline"):
        assert (
            done["rectification"]["status"] == "open"
            and done["rectification"]["deadline"] == outcome["rectification_deadline"]
        )
    else:
        assert done["rectification"] is None


async def test_the_completed_event_carries_the_contract_fields(client, sessionmaker, deps, clock):
    t = await task(client, sessionmaker, deps, check_type="joint", joint_departments=["education"])
    sha = (
        await client.post(
            f"/v1/inspections/{t['id']}/evidence?filename=p.jpg", content=b"jpg", headers=as_officer("INS-3")
        )
    ).json()["sha256"]
    body = result(t, {"type": "penalty_warning"}, ONE_VIOLATION) | {
        "joint_members": [{"department": "education", "name": "李老师"}]
    }
    body["findings"][5]["evidence"] = [sha]
    await finish(client, t, body)
    [(_, data), _] = await outbox(sessionmaker)
    assert data == {
        "inspection_id": t["id"],
        "draw_id": t["draw_id"],
        "position": 1,
        "entity": {k: t["entity"][k] for k in ("id", "name", "credit_code", "sector", "subtype", "division_code")},
        "team": ["INS-3", "INS-7"],
        "checklist_version": "2015-fushun-v1",
        "check_type": "joint",
        "joint_departments": ["education"],
        "findings": [
            {
                "item_code": f["item_code"],
                "result": f["result"],
                "note": f.get("note", ""),
                "evidence_sha256": [sha] if n == 5 else [],
            }
            for n, f in enumerate(body["findings"])
        ],
        "outcome": {"type": "penalty_warning", "rectification_deadline": None, "note": "", "fine_yuan": None},
        "credit_entries": [],
        "version": 1,
        "correction_reason": None,
        "confirmed_by": ["INS-3", "INS-7"],
        "completed_at": clock.now.isoformat(),
        "completed_by": "INS-7",
    }
