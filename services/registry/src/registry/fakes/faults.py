"""Fault injection for the fake source systems, and the control endpoints tests and demos use.

Faults apply to data requests only (not /_control): every Nth request answers 429 with
Retry-After, every Mth a transient 5xx, a script can dictate the next answers exactly, and a
delay slows every page (to kill a sync halfway on purpose).
"""

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from registry.fakes.population import Population

TRANSIENT = (503, 502, 500)


class FaultPlan(BaseModel):
    rate_limit_every: int = Field(default=0, ge=0, description="every Nth data request answers 429")
    retry_after: int = Field(default=1, ge=0, description="seconds in Retry-After of those 429s")
    error_every: int = Field(default=0, ge=0, description="every Nth data request answers 503, 502 or 500")
    script: list[int] = Field(default_factory=list, description="statuses for the next data requests, in order")
    delay_seconds: float = Field(default=0.0, ge=0)


@dataclass
class FakeState:
    population: Population
    plan: FaultPlan = field(default_factory=lambda: FaultPlan())
    requests: int = 0
    answered: list[tuple[str, int]] = field(default_factory=list)

    def next_fault(self) -> int | None:
        self.requests += 1
        if self.plan.script:
            status = self.plan.script.pop(0)
            return status if status >= 400 else None
        if self.plan.rate_limit_every and self.requests % self.plan.rate_limit_every == 0:
            return 429
        if self.plan.error_every and self.requests % self.plan.error_every == 0:
            return TRANSIENT[(self.requests // self.plan.error_every) % len(TRANSIENT)]
        return None


class FaultMiddleware:
    def __init__(self, app: ASGIApp, state: FakeState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_control"):
            await self.app(scope, receive, send)
            return
        status = self.state.next_fault()
        if self.state.plan.delay_seconds:
            await asyncio.sleep(self.state.plan.delay_seconds)
        self.state.answered.append((scope["path"], status or 200))
        if status is None:
            await self.app(scope, receive, send)
            return
        headers = [(b"content-type", b"application/json")]
        if status == 429:
            headers.append((b"retry-after", str(self.state.plan.retry_after).encode()))
        body = json.dumps({"error": "busy" if status == 429 else "upstream failure", "status": status}).encode()
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def control_router(state: FakeState) -> APIRouter:
    router = APIRouter(prefix="/_control", tags=["control"])

    @router.post("/faults", summary="Replace the fault plan")
    async def set_faults(plan: FaultPlan) -> dict[str, Any]:
        state.plan = plan
        return plan.model_dump()

    @router.post("/advance", summary="Move the system's calendar on: units open, change and close")
    async def advance(days: int = 1) -> dict[str, Any]:
        state.population.advance(days)
        return {"day": state.population.day, "visible": len(state.population.visible())}

    @router.get("/state", summary="Day, visible units and requests served")
    async def get_state() -> dict[str, Any]:
        return {"day": state.population.day, "visible": len(state.population.visible()), "requests": state.requests}

    return router


def fake_app(title: str, state: FakeState, routers: list[APIRouter]) -> FastAPI:
    app = FastAPI(title=title, description="A fake of a provincial/city system, for tests and demos.")
    app.state.fake = state
    app.add_middleware(FaultMiddleware, state=state)
    for router in [*routers, control_router(state)]:
        app.include_router(router)
    return app


def state_of(request: Request) -> FakeState:
    return request.app.state.fake  # type: ignore[no-any-return]
