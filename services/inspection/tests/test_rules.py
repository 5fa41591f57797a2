"""The pure rules: period ends and what a completion must satisfy."""

from datetime import UTC, date, datetime

import pytest

from inspection.periods import bureau_today, period_end
from inspection.rules import completion_errors
from inspection.schemas import FindingIn, OutcomeIn

CODES = ["x.a", "x.b", "x.c"]
TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("period", "end"),
    [
        ("2026", date(2026, 12, 31)),
        ("2026-H1", date(2026, 6, 30)),
        ("2026-H2", date(2026, 12, 31)),
        ("2026-Q1", date(2026, 3, 31)),
        ("2026-Q2", date(2026, 6, 30)),
        ("2026-02", date(2026, 2, 28)),
        ("2024-02", date(2024, 2, 29)),
        ("2026-11", date(2026, 11, 30)),
    ],
)
def test_period_end(period, end):
    assert period_end(period) == end


@pytest.mark.parametrize("period", ["", "26-Q1", "2026-Q5", "2026-H3", "2026-13", "2026-00", "2026Q1", "2026-Q1 "])
def test_bad_periods_are_refused(period):
    with pytest.raises(ValueError, match="period"):
        period_end(period)


def test_bureau_day_is_beijing_time():
    assert bureau_today(datetime(2026, 12, 1, 16, 30, tzinfo=UTC)) == date(2026, 12, 2)


def _findings(*results: str) -> list[FindingIn]:
    return [FindingIn(item_code=code, result=result) for code, result in zip(CODES, results, strict=True)]


def _errors(findings, outcome_type, deadline=None):  # type: ignore[no-untyped-def]
    outcome = OutcomeIn(type=outcome_type, rectification_deadline=deadline)
    return [(e["field"], e["message"]) for e in completion_errors(CODES, findings, outcome, TODAY)]


def test_clean_and_sanctioned_completions_pass():
    assert _errors(_findings("compliant", "not_applicable", "compliant"), "no_issues") == []
    assert _errors(_findings("compliant", "non_compliant", "compliant"), "penalty_fine") == []
    assert (
        _errors(_findings("non_compliant", "compliant", "compliant"), "rectification_ordered", date(2026, 12, 2)) == []
    )


def test_findings_must_cover_the_checklist_exactly():
    both = [
        FindingIn(item_code="x.a", result="compliant"),
        FindingIn(item_code="x.z", result="compliant"),
        FindingIn(item_code="x.a", result="compliant"),
    ]
    assert _errors(both, "no_issues") == [
        ("findings[1].item_code", "'x.z' is not on this inspection's checklist"),
        ("findings[2].item_code", "'x.a' already has a finding at findings[0]"),
        ("findings", "no finding for x.b, x.c"),
    ]


@pytest.mark.parametrize(
    ("results", "outcome", "deadline", "field"),
    [
        (("compliant", "non_compliant", "compliant"), "no_issues", None, "outcome.type"),
        (("compliant", "compliant", "not_applicable"), "suspension", None, "outcome.type"),
        (("non_compliant", "compliant", "compliant"), "rectification_ordered", None, "outcome.rectification_deadline"),
        (("non_compliant", "compliant", "compliant"), "rectification_ordered", TODAY, "outcome.rectification_deadline"),
        (
            ("non_compliant", "compliant", "compliant"),
            "penalty_fine",
            date(2026, 11, 1),
            "outcome.rectification_deadline",
        ),
        (("compliant", "compliant", "compliant"), "no_issues", date(2027, 1, 1), "outcome.rectification_deadline"),
    ],
)
def test_outcome_must_agree_with_the_findings(results, outcome, deadline, field):
    assert [f for f, _ in _errors(_findings(*results), outcome, deadline)] == [field]
