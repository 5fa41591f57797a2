"""CloudEvents 1.0 envelope in Kafka binary mode (ce_* headers, JSON value)."""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

_FORMAT = JSONFormat()


@dataclass(frozen=True)
class Event:
    """What handlers receive: the CloudEvent attributes that matter, and its data."""

    id: str
    type: str
    source: str
    subject: str | None
    time: datetime | None
    data: dict[str, Any]
    traceparent: str | None = None
    extensions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BusMessage:
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


def encode(event: Event, topic: str, key: str) -> BusMessage:
    when = event.time or datetime.now(UTC)
    if when.tzinfo is None:  # SQLite hands back naive timestamps; every stored one is UTC
        when = when.replace(tzinfo=UTC)
    attributes: dict[str, Any] = {
        "id": event.id,
        "type": event.type,
        "source": event.source,
        "specversion": "1.0",
        "datacontenttype": "application/json",
        "time": when,
    }
    if event.subject:
        attributes["subject"] = event.subject
    if event.traceparent:
        attributes["traceparent"] = event.traceparent
    message = ce_kafka.to_binary(CloudEvent(attributes, event.data), _FORMAT, lambda _e: key)
    return BusMessage(topic, key.encode(), message.value, sorted(message.headers.items()))


def decode(headers: list[tuple[str, bytes]], key: bytes | None, value: bytes) -> Event:
    """Raises ValueError on anything that is not a binary-mode CloudEvent with a JSON object."""
    message = ce_kafka.KafkaMessage(headers=dict(headers), key=key, value=value)
    try:
        ce = ce_kafka.from_binary(message, _FORMAT, CloudEvent)
    except Exception as exc:  # the library raises several types for malformed envelopes
        raise ValueError(f"not a CloudEvent: {exc}") from exc
    data = ce.get_data()
    if isinstance(data, (bytes, str)):
        data = json.loads(data)
    if not isinstance(data, dict):
        raise ValueError("event data must be a JSON object")
    standard = {
        "id",
        "type",
        "source",
        "specversion",
        "datacontenttype",
        "time",
        "subject",
        "traceparent",
        "partitionkey",
        "dataschema",
    }
    extensions = {k: str(v) for k, v in ce.get_attributes().items() if k not in standard}
    return Event(
        id=ce.get_id(),
        type=ce.get_type(),
        source=ce.get_source(),
        subject=ce.get_subject(),
        time=ce.get_time(),
        data=data,
        traceparent=ce.get_extension("traceparent"),
        extensions=extensions,
    )
