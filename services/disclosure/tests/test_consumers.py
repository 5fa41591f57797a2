import random

import pytest
from sqlalchemy import func, select

from disclosure.db import messaging
from disclosure.models import Result
from disclosure.redaction import ID_CARD_MARK, PHONE_MARK
from shared.messaging import PermanentEventError

from .factories import completed_event, deliver, id_number, landline, mobile

pytestmark = pytest.mark.integration


async def _results(sessionmaker) -> list[Result]:
    async with sessionmaker() as s:
        return list((await s.scalars(select(Result))).all())


async def test_completed_inspection_becomes_one_pending_result_and_replay_adds_nothing(sessionmaker):
    event = completed_event()
    assert await deliver(sessionmaker, event) is True
    assert await deliver(sessionmaker, event) is False
    [result] = await _results(sessionmaker)
    data = event.data
    assert result.id.startswith("r-") and len(result.id) == 14 and int(result.id[2:], 16) >= 0
    assert result.status == "pending" and result.inspection_id == data["inspection_id"]
    assert result.entity["name"] == data["entity"]["name"] and result.sector == "entertainment"
    assert result.team == ["INS-3", "INS-7"] and result.outcome["type"] == "no_issues"
    assert [f["item_code"] for f in result.findings] == ["entertainment.filing", "entertainment.crime"]
    assert result.completed_at.isoformat() == data["completed_at"]
    async with sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(messaging.inbox)) == 1
        assert await s.scalar(select(func.count()).select_from(messaging.outbox)) == 0  # nothing public yet


async def test_second_event_for_the_same_inspection_is_ignored_even_past_the_inbox(sessionmaker):
    first = completed_event()
    again = completed_event(inspection_id=first.data["inspection_id"], outcome={"type": "penalty_fine"})
    assert first.id != again.id
    assert await deliver(sessionmaker, first) is True
    assert await deliver(sessionmaker, again) is True  # a new event id: the inbox lets it through
    [result] = await _results(sessionmaker)
    assert result.outcome["type"] == "no_issues"


async def test_notes_are_redacted_in_what_will_be_public_and_kept_internally(sessionmaker):
    rng = random.Random(11)
    person, phone, office = id_number(rng), mobile(rng), landline(rng)
    findings = [
        {"item_code": "internet_cafe.real_name", "result": "non_compliant", "note": f"冒用他人身份证{person}登记上网"},
        {"item_code": "internet_cafe.base_data", "result": "compliant", "note": f"安全员电话{phone}，座机{office}"},
    ]
    outcome = {
        "type": "rectification_ordered",
        "rectification_deadline": "2026-12-31",
        "note": f"整改联系人身份证{person.lower()}",
    }
    event = completed_event(findings=findings, outcome=outcome)
    await deliver(sessionmaker, event)
    await deliver(sessionmaker, event)
    [result] = await _results(sessionmaker)
    public = repr(result.public_findings) + repr(result.public_outcome)
    for secret in (person, person.lower(), phone, office):
        assert secret not in public
    assert result.public_findings[0]["note"] == f"冒用他人身份证{ID_CARD_MARK}登记上网"
    assert result.public_findings[1]["note"] == f"安全员电话{PHONE_MARK}，座机{PHONE_MARK}"
    assert result.public_outcome == {
        "type": "rectification_ordered",
        "rectification_deadline": "2026-12-31",
        "note": f"整改联系人身份证{ID_CARD_MARK}",
    }
    assert person in result.findings[0]["note"]  # the record itself keeps what the inspectors wrote


async def test_event_that_breaks_the_contract_is_rejected_permanently(sessionmaker):
    event = completed_event(findings=[{"item_code": "x", "result": "maybe"}])
    with pytest.raises(PermanentEventError):
        await deliver(sessionmaker, event)
    assert await _results(sessionmaker) == []


async def test_a_confirmed_correction_supersedes_a_pending_result_and_only_the_record_of_a_decided_one(sessionmaker):
    from disclosure import service
    from disclosure.workdays import deadlines

    first = completed_event()
    corrected = {"type": "rectification_ordered", "rectification_deadline": "2027-01-31", "note": "电话13912345678"}
    bad = [{"item_code": "entertainment.filing", "result": "non_compliant", "note": ""}]
    second = completed_event(inspection_id=first.data["inspection_id"], version=2, outcome=corrected, findings=bad)
    assert await deliver(sessionmaker, first) and await deliver(sessionmaker, second)
    assert await deliver(sessionmaker, second) is False  # replay
    [result] = await _results(sessionmaker)
    assert result.inspection_version == 2 and result.outcome["type"] == "rectification_ordered"
    assert result.public_outcome["note"] == f"电话{PHONE_MARK}"
    async with sessionmaker() as s, s.begin():
        await service.approve(s, result_id=result.id, approver="INS-9", note=None, now=result.received_at)
    third = completed_event(inspection_id=first.data["inspection_id"], version=3)
    older = completed_event(inspection_id=first.data["inspection_id"], version=2)
    assert await deliver(sessionmaker, third) and await deliver(sessionmaker, older)
    [result] = await _results(sessionmaker)
    assert result.inspection_version == 3 and result.outcome["type"] == "no_issues"  # the record follows
    assert result.public_outcome["type"] == "rectification_ordered"  # the public waits for a correction
    assert deadlines().publication_deadline(result.completed_at) == result.publication_deadline
