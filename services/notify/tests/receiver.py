"""A real webhook receiver on a real socket: verifies Standard Webhooks signatures and plays a
script of replies per endpoint (status, delay, headers), recording what arrived. Like a
department's receiver, it processes each webhook-id once and counts the duplicates it drops."""

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass(frozen=True)
class Reply:
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Received:
    endpoint: str
    webhook_id: str | None
    verified: bool
    body: dict[str, Any]
    at: float
    user_agent: str | None
    raw: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class Receiver:
    def __init__(self) -> None:
        self.port = 0
        self.app = FastAPI()
        self.app.post("/hooks/{name}")(self._hook)
        self.reset()

    def reset(self) -> None:
        self.secrets: dict[str, str] = {}
        self.scripts: dict[str, list[Reply]] = {}
        self.received: list[Received] = []
        self.processed: dict[str, Received] = {}  # by webhook-id: what the department acted on
        self.duplicates = 0
        self.in_flight: dict[str, int] = {}  # by endpoint: requests being answered right now
        self.most_in_flight: dict[str, int] = {}

    def endpoint(self, name: str, *replies: Reply) -> str:
        """The URL of endpoint `name`, which answers `replies` in order, then 200 forever."""
        self.scripts[name] = list(replies)
        return f"http://127.0.0.1:{self.port}/hooks/{name}"

    def at(self, name: str) -> list[Received]:
        return [r for r in self.received if r.endpoint == name]

    async def _hook(self, name: str, request: Request) -> Response:
        body = await request.body()
        try:
            Webhook(self.secrets[name]).verify(body, dict(request.headers))
            verified = True
        except (KeyError, WebhookVerificationError):
            verified = False
        got = Received(
            name,
            request.headers.get("webhook-id"),
            verified,
            json.loads(body),
            time.monotonic(),
            request.headers.get("user-agent"),
            body,
            dict(request.headers),
        )
        self.received.append(got)
        script = self.scripts.get(name) or []
        reply = script.pop(0) if script else Reply()
        if not verified:
            return Response(status_code=401)
        if reply.status < 300:  # acted on before answering: a reply lost on the way makes a duplicate
            if got.webhook_id in self.processed:
                self.duplicates += 1
            else:
                self.processed[got.webhook_id or ""] = got
        self.in_flight[name] = self.in_flight.get(name, 0) + 1
        self.most_in_flight[name] = max(self.most_in_flight.get(name, 0), self.in_flight[name])
        try:
            await asyncio.sleep(reply.delay)
        finally:
            self.in_flight[name] -= 1
        return Response(status_code=reply.status, headers=reply.headers)


@asynccontextmanager
async def serving(receiver: Receiver) -> AsyncIterator[Receiver]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    receiver.port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(receiver.app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started, "the receiver did not start within 5 s"
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
        sock.close()
