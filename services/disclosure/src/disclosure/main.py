from fastapi import FastAPI

from disclosure.config import Settings
from disclosure.db import idempotency
from disclosure.router import public_router, router
from shared.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="ssj disclosure 抽查结果公开",
        description="Inspection results awaiting internal approval (内部审批), their immutable releases, "
        "and the public feed readers follow without missing or double-counting an item.",
        routers=[router, public_router],
        idempotency=idempotency,
        openapi_tags=[
            {"name": "results", "description": "Internal approval of inspection results"},
            {"name": "public", "description": "Public disclosure (一公开): no credentials needed"},
        ],
    )
