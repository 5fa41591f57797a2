"""The wire format of outgoing webhooks: Standard Webhooks signatures over a CloudEvent body.

Receivers verify with any Standard Webhooks library (`Webhook(secret).verify(body, headers)`)
and deduplicate on `webhook-id`, which is the delivery id and stays the same across retries and
replays.
"""

import base64
import binascii
import json
import secrets
from datetime import datetime
from typing import Any

from standardwebhooks import Webhook

from shared.events import Event

SECRET_PREFIX = "whsec_"
SECRET_BYTES = (24, 64)  # the range Standard Webhooks recommends


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_problem(secret: str) -> str | None:
    """Why `secret` is not a Standard Webhooks secret, or None."""
    if not secret.startswith(SECRET_PREFIX):
        return f'must start with "{SECRET_PREFIX}"'
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        return f'the part after "{SECRET_PREFIX}" must be base64'
    low, high = SECRET_BYTES
    if not low <= len(raw) <= high:
        return f"must encode {low} to {high} random bytes, got {len(raw)}"
    return None


def cloudevent_payload(event: Event) -> dict[str, Any]:
    """The event in CloudEvents structured JSON mode, so receivers need no Kafka knowledge."""
    return {
        "specversion": "1.0",
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "subject": event.subject,
        "time": event.time.isoformat() if event.time else None,
        "datacontenttype": "application/json",
        "data": event.data,
    }


def encode_body(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def signed_headers(
    signing_secrets: list[str] | tuple[str, ...], msg_id: str, body: str, at: datetime
) -> dict[str, str]:
    """One `v1,<base64 HMAC>` per secret, space-separated: during a rotation's overlap a receiver
    holding either the old or the new secret finds a signature it can verify."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(Webhook(secret).sign(msg_id, at, body) for secret in signing_secrets),
        "content-type": "application/json",
    }
