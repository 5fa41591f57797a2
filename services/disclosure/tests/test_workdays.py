"""The working-day calendar is data and a pure function: tested on the 2026 State Council schedule."""

from datetime import UTC, date, datetime

import pytest

from disclosure.workdays import deadlines, load, parse


@pytest.fixture(scope="module")
def cal():
    return load()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-01-01", False),  # 元旦, a Thursday
        ("2026-01-04", True),  # Sunday, 元旦调休上班
        ("2026-02-14", True),  # Saturday, 春节调休上班
        ("2026-02-16", False),  # Monday in 春节
        ("2026-02-23", False),  # Monday, last day of 春节
        ("2026-02-28", True),  # Saturday, 春节调休上班
        ("2026-04-06", False),  # Monday, 清明节
        ("2026-05-09", True),  # Saturday, 劳动节调休上班
        ("2026-09-20", True),  # Sunday, 国庆节调休上班
        ("2026-10-07", False),  # Wednesday, 国庆节
        ("2026-10-10", True),  # Saturday, 国庆节调休上班
        ("2026-11-21", False),  # an ordinary Saturday
        ("2026-11-20", True),  # an ordinary Friday
    ],
)
def test_the_2026_schedule(cal, day, working):
    assert cal.is_working_day(date.fromisoformat(day)) is working


def test_the_file_says_where_it_comes_from(cal):
    assert "国务院办公厅关于2026年部分节假日安排的通知" in cal.source
    assert cal.covers(date(2026, 6, 1)) and not cal.covers(date(2027, 6, 1))
    assert len(cal.holidays) == 3 + 9 + 3 + 5 + 3 + 3 + 7 and len(cal.working_weekends) == 6


def test_twenty_working_days_across_the_spring_festival(cal):
    # Mon-Fri alone would say 2026-03-12; the festival takes 5 weekdays and gives back 2 Saturdays.
    assert cal.add_working_days(date(2026, 2, 12), 20) == date(2026, 3, 18)
    assert cal.working_days_between(date(2026, 2, 12), date(2026, 3, 18)) == 20


def test_twenty_working_days_across_national_day(cal):
    # Sep 20 (Sunday) and Oct 10 (Saturday) are working days; Sep 25 (中秋) and Oct 1-7 are not:
    # Sep 20-24 (5), 28-30 (8), Oct 8-10 (11), 12-16 (16), 19-22 (20).
    assert cal.add_working_days(date(2026, 9, 18), 20) == date(2026, 10, 22)


def test_outside_the_covered_years_monday_to_friday_applies(cal):
    assert cal.add_working_days(date(2027, 3, 5), 5) == date(2027, 3, 12)


def test_a_day_cannot_be_a_holiday_and_a_working_day():
    with pytest.raises(ValueError):
        parse({"holidays": [["2026-01-01", "2026-01-03", "x"]], "working_weekends": [["2026-01-02", "y"]]})


def test_deadlines_count_from_the_local_date_of_completion():
    rules = deadlines()
    # 17:30 UTC on 12 February is already 13 February in Fushun.
    late = datetime(2026, 2, 12, 17, 30, tzinfo=UTC)
    assert rules.publication_deadline(late) == load().add_working_days(date(2026, 2, 13), 20)
    # 15 working days after 30 September: Oct 8-10 (3), 12-16 (8), 19-23 (13), 26-27 (15).
    assert rules.appeal_deadline(datetime(2026, 9, 30, 2, 0, tzinfo=UTC)) == date(2026, 10, 27)
