"""The pure rules: periods, identity numbers, and what a result must satisfy."""

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from inspection.idnumbers import check_character, id_number_error
from inspection.periods import bureau_today, due_within, period_end, period_start
from inspection.rules import Task, result_errors
from inspection.submissions import ResultIn

from .factories import id_number

CODES = ["x.a", "x.b", "x.c"]
TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-H1", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026-H2", date(2026, 7, 1), date(2026, 12, 31)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30)),
    ],
)
def test_period_bounds(period, start, end):
    assert (period_start(period), period_end(period)) == (start, end)
    assert due_within(period, start) == start and due_within(period, end) == end
    assert due_within(period, None) == end


@pytest.mark.parametrize("period", ["", "26-Q1", "2026-Q5", "2026-H3", "2026-13", "2026-00", "2026Q1", "2026-Q1 "])
def test_bad_periods_are_refused(period):
    with pytest.raises(ValueError, match="period"):
        period_end(period)


def test_bureau_day_is_beijing_time():
    assert bureau_today(datetime(2026, 12, 1, 16, 30, tzinfo=UTC)) == date(2026, 12, 2)


def test_gb11643_check_digits():
    # The standard's own worked example, and one whose check character is X.
    assert check_character("11010519491231002") == "X"
    assert id_number_error("11010519491231002X") is None
    assert id_number_error(id_number()) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("110105194912310021", "check digit is 1, GB 11643 gives X"),
        ("11010519491231002x", "18 characters"),
        ("1101051949123100", "18 characters"),
        ("010105194912310021", "18 characters"),
        ("110105194902300027", "not a calendar date"),
        ("110105180001010029", "before 1900"),
    ],
)
def test_gb11643_refusals(value, reason):
    assert reason in (id_number_error(value) or "")


def _result(*results: str, **outcome: Any) -> ResultIn:
    outcome.setdefault("type", "no_issues")
    members = outcome.pop("joint_members", [])
    findings = [{"item_code": code, "result": result} for code, result in zip(CODES, results, strict=True)]
    return ResultIn.model_validate({"findings": findings, "outcome": outcome, "joint_members": members})


def _fields(result: ResultIn, sector: str = "entertainment", **task: Any) -> list[str]:
    return [e["field"] for e in result_errors(Task(CODES, sector, **task), result, TODAY)]


CLEAN, VIOLATED = ("compliant", "not_applicable", "compliant"), ("compliant", "non_compliant", "compliant")
PERSON = {"name": "张三", "id_number": id_number(), "role": "owner"}
WRONG_CHECK = id_number()[:17] + ("1" if id_number()[17] == "0" else "0")
BLACKLIST = {"until": "2027-12-01", "restrictions": ["internet_access", "industry_ban"], "persons": [PERSON]}


@pytest.mark.parametrize(
    ("results", "outcome", "sector"),
    [
        (CLEAN, {}, "entertainment"),
        (VIOLATED, {"type": "rectification_ordered", "rectification_deadline": "2026-12-02"}, "blasting"),
        (VIOLATED, {"type": "penalty_warning"}, "entertainment"),
        (VIOLATED, {"type": "penalty_fine", "fine_yuan": "5000.50"}, "fire_safety"),
        (VIOLATED, {"type": "penalty_fine", "fine_yuan": 200, "rectification_deadline": "2026-12-20"}, "fire_safety"),
        (VIOLATED, {"type": "suspension"}, "blasting"),
        (VIOLATED, {"type": "licence_revoked"}, "blasting"),
        (VIOLATED, {"type": "criminal_referral"}, "security_service"),
        (VIOLATED, {"type": "listed_supervision", "hazard": "疏散通道被封堵"}, "fire_safety"),
        (VIOLATED, {"type": "blacklisted", "blacklist": BLACKLIST}, "internet_cafe"),
        (
            CLEAN,
            {"credit_entries": [{"file": "network_credit", "person": PERSON, "note": "守法经营"}]},
            "internet_cafe",
        ),
    ],
)
def test_every_outcome_path_passes_when_it_agrees(results, outcome, sector):
    assert _fields(_result(*results, **outcome), sector) == []


@pytest.mark.parametrize(
    ("results", "outcome", "sector", "fields"),
    [
        (VIOLATED, {}, "entertainment", ["outcome.type"]),
        (CLEAN, {"type": "suspension"}, "blasting", ["outcome.type"]),
        (VIOLATED, {"type": "rectification_ordered"}, "blasting", ["outcome.rectification_deadline"]),
        (
            VIOLATED,
            {"type": "rectification_ordered", "rectification_deadline": "2026-12-01"},
            "blasting",
            ["outcome.rectification_deadline"],
        ),
        (CLEAN, {"rectification_deadline": "2027-01-01"}, "blasting", ["outcome.rectification_deadline"]),
        (VIOLATED, {"type": "penalty_fine"}, "fire_safety", ["outcome.fine_yuan"]),
        (VIOLATED, {"type": "penalty_warning", "fine_yuan": 100}, "fire_safety", ["outcome.fine_yuan"]),
        (VIOLATED, {"type": "listed_supervision"}, "fire_safety", ["outcome.hazard"]),
        (VIOLATED, {"type": "listed_supervision", "hazard": "x"}, "entertainment", ["outcome.type"]),
        (VIOLATED, {"type": "suspension", "hazard": "x"}, "fire_safety", ["outcome.hazard"]),
        (VIOLATED, {"type": "blacklisted"}, "internet_cafe", ["outcome.blacklist"]),
        (VIOLATED, {"type": "blacklisted", "blacklist": BLACKLIST}, "hotel", ["outcome.type"]),
        (
            VIOLATED,
            {"type": "blacklisted", "blacklist": BLACKLIST | {"until": "2026-12-01"}},
            "internet_cafe",
            ["outcome.blacklist.until"],
        ),
        (VIOLATED, {"type": "penalty_warning", "blacklist": BLACKLIST}, "internet_cafe", ["outcome.blacklist"]),
        (
            CLEAN,
            {"credit_entries": [{"file": "social_credit", "note": "良好"}]},
            "entertainment",
            ["outcome.credit_entries"],
        ),
        (CLEAN, {"type": "blacklisted"}, "entertainment", ["outcome.type", "outcome.type", "outcome.blacklist"]),
    ],
)
def test_outcome_must_agree_with_findings_and_sector(results, outcome, sector, fields):
    assert _fields(_result(*results, **outcome), sector) == fields


def test_findings_must_cover_the_checklist_exactly():
    both = ResultIn.model_validate(
        {
            "findings": [
                {"item_code": "x.a", "result": "compliant"},
                {"item_code": "x.z", "result": "compliant"},
                {"item_code": "x.a", "result": "compliant"},
            ],
            "outcome": {"type": "no_issues"},
        }
    )
    errors = result_errors(Task(CODES, "entertainment"), both, TODAY)
    assert [(e["field"], e["message"]) for e in errors] == [
        ("findings[1].item_code", "'x.z' is not on this inspection's checklist"),
        ("findings[2].item_code", "'x.a' already has a finding at findings[0]"),
        ("findings", "no finding for x.b, x.c"),
    ]


def test_evidence_must_have_been_uploaded():
    sha = "ab" * 32
    body = _result(*CLEAN)
    body.findings[1].evidence = [sha, "cd" * 32]
    assert _fields(body, evidence={sha}) == ["findings[1].evidence[1]"]


@pytest.mark.parametrize(
    ("check_type", "departments", "members", "fields"),
    [
        ("joint", ["education", "health"], [("education", "李老师"), ("health", "王医生")], []),
        ("joint", ["education", "health"], [("education", "李老师")], ["joint_members"]),
        ("joint", ["education"], [("education", "李"), ("quality", "赵")], ["joint_members[1].department"]),
        ("on_site", [], [("education", "李老师")], ["joint_members"]),
        ("online_patrol", [], [], []),
    ],
)
def test_joint_checks_name_their_departments_members(check_type, departments, members, fields):
    joint = [{"department": d, "name": n} for d, n in members]
    body = _result(*CLEAN, joint_members=joint)
    assert _fields(body, check_type=check_type, joint_departments=departments) == fields


@pytest.mark.parametrize(
    "outcome",
    [
        {"type": "penalty_fine", "fine_yuan": "0"},
        {"type": "penalty_fine", "fine_yuan": "10.001"},
        {"type": "blacklisted", "blacklist": BLACKLIST | {"persons": [PERSON | {"id_number": WRONG_CHECK}]}},
        {"type": "blacklisted", "blacklist": BLACKLIST | {"restrictions": []}},
        {"type": "blacklisted", "blacklist": BLACKLIST | {"persons": [PERSON, PERSON]}},
        {"type": "blacklisted", "blacklist": BLACKLIST | {"restrictions": ["curfew"]}},
    ],
    ids=["zero-fine", "fraction-of-fen", "bad-check-digit", "no-restriction", "person-twice", "unknown-restriction"],
)
def test_malformed_outcome_details_are_refused_by_shape(outcome):
    with pytest.raises(ValidationError):
        _result(*VIOLATED, **outcome)
