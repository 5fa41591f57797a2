from datetime import UTC, datetime

import pytest

from shared.events import Event, decode, encode


def test_binary_mode_headers_and_round_trip():
    event = Event(
        id="e1",
        type="ssj.x.happened",
        source="/ssj/x",
        subject="ENT-1",
        time=datetime(2026, 11, 26, tzinfo=UTC),
        data={"名称": "抚顺", "n": 1},
        traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01",
    )
    message = encode(event, "topic", "agg-1")
    headers = dict(message.headers)
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_type"] == b"ssj.x.happened"
    assert headers["ce_source"] == b"/ssj/x"
    assert headers["ce_subject"] == b"ENT-1"
    assert headers["content-type"] == b"application/json"
    assert headers["ce_traceparent"].startswith(b"00-aaaa")
    assert message.key == b"agg-1"
    back = decode(message.headers, message.key, message.value)
    assert (back.id, back.type, back.subject, back.data) == ("e1", event.type, "ENT-1", event.data)
    assert back.traceparent == event.traceparent


@pytest.mark.parametrize("headers", [[], [("ce_id", b"1")], [("ce_specversion", b"1.0"), ("ce_id", b"x")]])
def test_malformed_envelopes_raise_value_error(headers):
    with pytest.raises(ValueError):
        decode(headers, None, b"{}")


def test_non_object_data_is_refused():
    message = encode(Event(id="e", type="t", source="/s", subject=None, time=None, data={}), "t", "k")
    with pytest.raises(ValueError):
        decode(message.headers, message.key, b"[1, 2]")
