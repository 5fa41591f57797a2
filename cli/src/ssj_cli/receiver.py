"""A department's webhook endpoint, as the receiver kit describes it: verifies Standard Webhooks
signatures and de-duplicates by webhook-id. `make run` starts one; the tests use it too."""

import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Inbox:
    secrets: dict[str, str]
    received: dict[str, dict[str, Any]] = field(default_factory=dict)
    duplicates: int = 0
    rejected: int = 0


def create_receiver(secrets: dict[str, str]) -> FastAPI:
    """`secrets` maps a department code (the URL path) to its whsec_ secret."""
    app = FastAPI(title="department webhook receiver (demo)")
    inbox = Inbox(secrets)
    app.state.inbox = inbox

    @app.post("/hooks/{department}")
    async def receive(department: str, request: Request) -> Response:
        body = await request.body()
        secret = inbox.secrets.get(department)
        if secret is None:
            return Response(status_code=404)
        try:
            Webhook(secret).verify(body, dict(request.headers))
        except WebhookVerificationError:
            inbox.rejected += 1
            return Response(status_code=401)
        webhook_id = request.headers["webhook-id"]
        if webhook_id in inbox.received:
            inbox.duplicates += 1
        else:
            inbox.received[webhook_id] = {"department": department, "event": json.loads(body)}
        return Response(status_code=204)

    @app.get("/received")
    async def received() -> dict[str, Any]:
        return {"items": list(inbox.received.values()), "duplicates": inbox.duplicates, "rejected": inbox.rejected}

    return app
