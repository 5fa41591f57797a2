"""Settings every service shares; each service subclasses with its own env prefix."""

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class CallerConfig(BaseModel):
    """A registered calling system: only the SHA-256 of its bearer token is kept."""

    name: str
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    scopes: list[str]


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SSJ_", extra="ignore")

    service_name: str = "ssj"
    database_url: str = "sqlite+aiosqlite:///var/ssj.db"
    bus: Literal["kafka", "embedded"] = "embedded"
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_partitions: int = 3
    # A draw's executed event carries every selection: ~1.5 MB per 5,000, above Kafka's 1 MB default.
    kafka_max_message_bytes: int = 16 * 1024 * 1024
    embedded_bus_path: str = "var/bus.sqlite"
    topic_prefix: str = ""
    callers: list[CallerConfig] = []
    callers_file: Path | None = None
    relay_interval_seconds: float = 0.2
    relay_batch_size: int = 200
    consumer_retry_max_seconds: float = 30.0
    log_level: str = "INFO"
    # Requests larger than this are refused with 413 before any handler runs.
    max_body_bytes: int = 10 * 1024 * 1024
    # Per client address and route group, per API instance (a gateway should also limit).
    public_rate_limit_per_minute: int = 600
    log_json: bool = True
    # Fault injection for the reliability suite: the relay exits between send and mark.
    chaos_relay_exit_after_send: bool = False

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        if not url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("database_url must use postgresql+asyncpg:// or sqlite+aiosqlite://")
        return url

    def registered_callers(self) -> list[CallerConfig]:
        """Callers from settings plus the callers file, re-read so rotation needs no restart."""
        callers = list(self.callers)
        if self.callers_file and self.callers_file.exists():
            raw = json.loads(self.callers_file.read_text(encoding="utf-8"))
            callers.extend(CallerConfig.model_validate(item) for item in raw)
        return callers

    def topic(self, event_type: str) -> str:
        return f"{self.topic_prefix}{event_type}"
