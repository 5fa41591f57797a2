from typing import Any

from fastapi import FastAPI

from registry import router, sources_router
from registry.config import Settings
from registry.db import idempotency
from registry.schemas import EntityBatch
from shared.app import create_service_app

# Bodies read by the routes themselves (the batch is validated from raw JSON bytes, the import is
# CSV or JSON): their schemas are added to the OpenAPI components so /docs still shows them.
RAW_BODIES = (EntityBatch,)


def create_app(settings: Settings | None = None) -> FastAPI:
    app = create_service_app(
        settings or Settings(),
        title="ssj registry 监管对象与执法人员名录",
        description="Regulated entities of every sector mirrored from their source systems, with versions, "
        "risk signals and consistent snapshots for the draw; the inspector directory; the check-item catalog.",
        routers=[router.router, sources_router.router],
        idempotency=idempotency,
    )
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default_openapi()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in RAW_BODIES:
                spec = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(spec.pop("$defs", {}))
                components[model.__name__] = spec
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
