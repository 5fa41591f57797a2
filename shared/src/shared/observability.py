"""JSON logs, a correlation id that travels in events as traceparent, metrics and health."""

import contextvars
import json
import logging
import secrets
import sys
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

traceparent_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("traceparent", default=None)


def new_traceparent() -> str:
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def valid_traceparent(value: str | None) -> bool:
    parts = (value or "").split("-")
    return len(parts) == 4 and len(parts[1]) == 32 and len(parts[2]) == 16


def correlation_id() -> str | None:
    """The trace id part of the current traceparent: what logs show as correlation_id."""
    tp = traceparent_var.get()
    return tp.split("-")[1] if tp else None


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": correlation_id(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO", as_json: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(service) if as_json else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


class Metrics:
    """Per-app registry, so several apps can live in one test process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "http_request_seconds", "HTTP request latency", ["method", "route"], registry=self.registry
        )


class CorrelationMiddleware:
    """Carries the caller's traceparent (or a new one) through the request and into the events it
    emits, echoes it on the response, and records per-route metrics. Plain ASGI: it sits on every
    request, and BaseHTTPMiddleware would cost a third of a small endpoint's throughput."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"traceparent", b"").decode("latin-1")
        traceparent = incoming if valid_traceparent(incoming) else new_traceparent()
        token = traceparent_var.set(traceparent)
        started, status = time.perf_counter(), 500

        async def send_with_trace(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"traceparent", traceparent.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_trace)
        finally:
            traceparent_var.reset(token)
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(scope["method"], route).observe(time.perf_counter() - started)


def install_observability(app: FastAPI, readiness: Callable[[], Awaitable[dict[str, str]]]) -> None:
    metrics = Metrics()
    app.state.metrics = metrics

    app.add_middleware(CorrelationMiddleware, metrics=metrics)

    @app.get("/healthz", tags=["operations"], summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Readiness: database and event bus reachable",
        responses={503: {"description": "a dependency is down"}},
    )
    async def readyz() -> Response:
        checks = await readiness()
        ok = all(v == "ok" for v in checks.values())
        return Response(
            json.dumps({"status": "ok" if ok else "unavailable", "checks": checks}),
            status_code=200 if ok else 503,
            media_type="application/json",
        )

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", include_in_schema=True)
    async def metrics_endpoint() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
