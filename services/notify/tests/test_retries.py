"""Retry decisions and webhook secrets: pure functions, no network."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from standardwebhooks import Webhook

from notify.retries import MAX_RETRY_AFTER_SECONDS, Decision, decide, parse_retry_after
from notify.webhooks import encode_body, new_secret, secret_problem, signed_headers

SCHEDULE = [0, 5, 300]


@pytest.mark.parametrize("code", [200, 201, 204, 299])
def test_2xx_is_delivered(code):
    assert decide(schedule=SCHEDULE, attempt_in_round=3, status_code=code, retry_after=None) == Decision("delivered")


def test_410_is_dead_and_disables_even_on_the_first_attempt():
    assert decide(schedule=SCHEDULE, attempt_in_round=1, status_code=410, retry_after=None) == Decision(
        "dead", disable_subscription=True
    )


@pytest.mark.parametrize(("attempt", "delay"), [(1, 5), (2, 300)])
@pytest.mark.parametrize("code", [500, 503, 400, 404, 301, None])
def test_failures_wait_per_schedule(attempt, delay, code):
    assert decide(schedule=SCHEDULE, attempt_in_round=attempt, status_code=code, retry_after=None) == Decision(
        "pending", delay_seconds=delay
    )


def test_the_last_attempt_failing_is_dead():
    assert decide(schedule=SCHEDULE, attempt_in_round=3, status_code=500, retry_after=None) == Decision("dead")
    assert decide(schedule=SCHEDULE, attempt_in_round=3, status_code=429, retry_after=1) == Decision("dead")


def test_429_waits_for_the_longer_of_schedule_and_retry_after():
    assert decide(schedule=SCHEDULE, attempt_in_round=1, status_code=429, retry_after=60).delay_seconds == 60
    assert decide(schedule=SCHEDULE, attempt_in_round=2, status_code=429, retry_after=60).delay_seconds == 300
    assert decide(schedule=SCHEDULE, attempt_in_round=1, status_code=429, retry_after=None).delay_seconds == 5


def test_retry_after_only_counts_for_429():
    assert decide(schedule=SCHEDULE, attempt_in_round=1, status_code=503, retry_after=60).delay_seconds == 5


def test_parse_retry_after():
    now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert parse_retry_after("1") == 1.0
    assert parse_retry_after(" 120 ") == 120.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=90), usegmt=True), now) == 0.0
    assert parse_retry_after("99999999") == MAX_RETRY_AFTER_SECONDS
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") is None


def test_generated_secrets_are_valid_and_distinct():
    a, b = new_secret(), new_secret()
    assert a != b and secret_problem(a) is None and a.startswith("whsec_")


@pytest.mark.parametrize(
    ("secret", "words"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_"),
        ("whsec_not base64!", "base64"),
        ("whsec_c2hvcnQ=", "24 to 64"),
        ("whsec_", "24 to 64"),
    ],
)
def test_bad_secrets_say_why(secret, words):
    assert words in (secret_problem(secret) or "")


def test_unpadded_base64_secrets_are_accepted():
    assert secret_problem("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") is None


def test_signed_headers_verify_with_standard_webhooks():
    secret, body = new_secret(), encode_body({"id": "e-1", "data": {"名称": "网吧"}})
    headers = signed_headers([secret], "msg-1", body, datetime.now(UTC))
    assert Webhook(secret).verify(body.encode(), headers) == {"id": "e-1", "data": {"名称": "网吧"}}
    with pytest.raises(Exception, match="signature"):
        Webhook(new_secret()).verify(body.encode(), headers)


def test_two_secrets_make_two_signatures_either_verifies():
    new, old, other, body = new_secret(), new_secret(), new_secret(), encode_body({"id": "e-2"})
    headers = signed_headers([new, old], "msg-2", body, datetime.now(UTC))
    assert [s.split(",")[0] for s in headers["webhook-signature"].split(" ")] == ["v1", "v1"]
    assert Webhook(new).verify(body, headers) == Webhook(old).verify(body, headers) == {"id": "e-2"}
    with pytest.raises(Exception, match="signature"):
        Webhook(other).verify(body, headers)
