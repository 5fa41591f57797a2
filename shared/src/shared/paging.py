"""Opaque cursors: base64url JSON that callers must not parse."""

import base64
import binascii
import json
from typing import Any

from shared.problems import InvalidField


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, field: str = "cursor") -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidField(field, "not a cursor this service issued") from None
    if not isinstance(value, dict):
        raise InvalidField(field, "not a cursor this service issued")
    return value
