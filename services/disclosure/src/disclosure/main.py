from datetime import UTC, datetime

from fastapi import FastAPI

from disclosure import workdays
from disclosure.appeals import FailedCodes
from disclosure.config import Settings
from disclosure.db import idempotency
from disclosure.feed import PageCache
from disclosure.public_router import public_router, site_router
from disclosure.router import router
from shared.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_service_app(
        settings,
        title="ssj disclosure 抽查结果公开",
        description="Inspection results awaiting internal approval (内部审批), their immutable releases "
        "(corrections, penalties, statements, withdrawals), the public feed readers follow without missing "
        "or double-counting an item (JSON, Atom with archives, daily JSON Lines), search, appeals (申诉) "
        "and the internet-café blacklist (黑名单).",
        routers=[router, public_router, site_router],
        idempotency=idempotency,
        openapi_tags=[
            {"name": "results", "description": "Internal approval of inspection results, corrections, withdrawals"},
            {"name": "appeals", "description": "Appeals (申诉) awaiting an officer's decision"},
            {"name": "public", "description": "Public disclosure (一公开): no credentials needed"},
        ],
    )
    app.state.clock = lambda: datetime.now(UTC)
    app.state.deadlines = workdays.from_settings(settings)
    app.state.feed_cache = PageCache(settings.feed_cache_seconds)
    app.state.appeal_failures = FailedCodes(settings.appeal_code_failures_per_hour)
    return app
