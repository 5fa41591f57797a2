from fastapi import FastAPI

from registry.config import Settings
from registry.db import idempotency
from registry.router import router
from shared.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="ssj registry 监管对象与执法人员名录",
        description="Regulated entities of every sector, the inspector directory and the check-item catalog.",
        routers=[router],
        idempotency=idempotency,
    )
