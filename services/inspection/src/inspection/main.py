from fastapi import FastAPI

from inspection.config import Settings
from inspection.db import idempotency
from inspection.router import router
from shared.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="ssj inspection 检查任务与结果",
        description="Inspection tasks from executed draws, their checklists, findings and outcomes.",
        routers=[router],
        idempotency=idempotency,
    )
