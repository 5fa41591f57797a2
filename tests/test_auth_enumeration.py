"""Every non-public route of every service, enumerated from its OpenAPI document, answers 401
without a credential and 403 with a credential that lacks the route's scope."""

import importlib
import re
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from shared.migrations import upgrade
from shared.testing import app_client, auth, caller
from ssj_cli.stack import SERVICES, service_dir

PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/v1/catalog"),
    ("GET", "/v1/catalog/{sector}/checklist"),
    ("GET", "/v1/draws"),
    ("GET", "/v1/draws/{draw_id}"),
    ("GET", "/v1/draws/{draw_id}/record"),
}
NO_SCOPES = caller("nobody")


def is_public(method: str, path: str) -> bool:
    return (method, path) in PUBLIC or path.startswith("/public/")


@pytest.fixture(params=SERVICES)
async def service_client(request, tmp_path: Path):  # type: ignore[no-untyped-def]
    name = request.param
    url = f"sqlite+aiosqlite:///{tmp_path / name}.db"
    upgrade(service_dir(name), url)
    settings_cls = importlib.import_module(f"{name}.config").Settings
    settings = settings_cls(
        database_url=url,
        embedded_bus_path=str(tmp_path / "bus.sqlite"),
        callers=[NO_SCOPES[1]],
        public_rate_limit_per_minute=2,
        log_json=False,
        secret_key=Fernet.generate_key().decode(),
    )
    app = importlib.import_module(f"{name}.main").create_app(settings)
    async with app_client(app) as client:
        yield name, client, app


async def test_every_protected_route_requires_a_scoped_credential(service_client):
    name, client, app = service_client
    spec = (await client.get("/openapi.json")).json()
    protected = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            method = method.upper()
            if is_public(method, path):
                assert "security" not in operation, f"{name} {method} {path} is public but declares security"
                continue
            protected += 1
            assert operation.get("security"), f"{name} {method} {path} declares no security scheme"
            concrete = re.sub(r"\{[^}]+\}", "x", path)
            anonymous = await client.request(method, concrete, json={})
            assert anonymous.status_code == 401, f"{name} {method} {path} -> {anonymous.status_code}"
            assert anonymous.headers["content-type"] == "application/problem+json"
            assert anonymous.headers["www-authenticate"] == "Bearer"
            unscoped = await client.request(method, concrete, json={}, headers=auth(NO_SCOPES[0]))
            assert unscoped.status_code == 403, f"{name} {method} {path} -> {unscoped.status_code}"
    assert protected > 0, f"{name} has no protected routes?"


async def test_swagger_authorize_is_offered(service_client):
    _, client, _ = service_client
    spec = (await client.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["CallerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["CallerToken"]["description"],
    }
    assert (await client.get("/docs")).status_code == 200


async def test_every_operation_has_a_summary(service_client):
    name, client, app = service_client
    spec = (await client.get("/openapi.json")).json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{name} {method.upper()} {path} has no summary"


async def test_every_public_route_except_operations_is_rate_limited(service_client):
    name, client, app = service_client
    spec = (await client.get("/openapi.json")).json()
    for path, operations in spec["paths"].items():
        for method in operations:
            if not is_public(method.upper(), path) or path in ("/healthz", "/readyz", "/metrics"):
                continue
            concrete = re.sub(r"\{[^}]+\}", "entertainment" if "sector" in path else "x", path)
            app.state.rate_limiters.clear()  # routes may share a bucket
            answers = [(await client.request(method, concrete)).status_code for _ in range(3)]
            assert 429 not in answers[:2] and answers[2] == 429, f"{name} {method} {path}: {answers}"
            limited = await client.request(method, concrete)
            assert int(limited.headers["retry-after"]) >= 1
            assert limited.headers["content-type"] == "application/problem+json"
