from pydantic import BaseModel, Field, field_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings

SOURCE_NAMES = ("hotel", "security", "explosives", "fire", "market", "netcafe")


class SourceConfig(BaseModel):
    """Where one source system answers, and how often the worker syncs it."""

    url: str
    every_minutes: float = Field(default=60, ge=0, description="incremental sync interval; 0 = only on request")
    full_every_hours: float = Field(
        default=24, ge=0, description="full sync (with vanish detection) interval; 0 = never"
    )
    page_size: int = Field(default=100, ge=1, le=1000)
    timeout_seconds: float = Field(default=30, gt=0)


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    service_name: str = "registry"
    database_url: str = "sqlite+aiosqlite:///var/registry.db"
    max_batch_size: int = 5000
    # Bulk import (CSV or JSON) per request: larger files are refused with 413 (the CLI splits them).
    max_import_bytes: int = 8 * 1024 * 1024
    max_import_rows: int = 50_000
    # Source systems the worker syncs, e.g. {"hotel": {"url": "http://10.1.2.3:8080"}} (JSON in the env).
    sources: dict[str, SourceConfig] = {}
    sync_poll_seconds: float = 2.0
    # A running sync whose heartbeat is older than this is presumed crashed and is resumed.
    sync_lease_seconds: float = 120.0
    # A full listing missing more than this share of a source's active units fails instead of
    # deactivating them (an outage or a truncated export looks like mass closures).
    sync_max_vanish_ratio: float = 0.5
    sync_retry_attempts: int = 6
    sync_max_retry_wait_seconds: float = 60.0

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, sources: dict[str, SourceConfig]) -> dict[str, SourceConfig]:
        unknown = sorted(set(sources) - set(SOURCE_NAMES))
        if unknown:
            raise ValueError(f"unknown source systems {unknown}; known: {', '.join(SOURCE_NAMES)}")
        return sources
