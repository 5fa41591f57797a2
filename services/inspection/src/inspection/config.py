from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INSPECTION_", extra="ignore")

    service_name: str = "inspection"
    database_url: str = "sqlite+aiosqlite:///var/inspection.db"
    # The registry serves the check-item catalog the consumer turns into checklists.
    registry_url: str = "http://127.0.0.1:8001"
    registry_timeout_seconds: float = 10.0
    # The draw service draws substitutes for recused inspectors (回避); the token needs draw:execute.
    draw_url: str = "http://127.0.0.1:8002"
    draw_token: SecretStr = Field(SecretStr(""), description="Bearer token with draw:execute for substitute draws")
    draw_timeout_seconds: float = 10.0
    # Evidence files, content-addressed by SHA-256; only the digests leave this service.
    evidence_dir: str = "var/evidence"
    # Which inspector a credential speaks for. Unlisted callers are the inspector their name says;
    # a listed caller may send X-Inspector-Id naming one of its ids ("*": a field gateway that
    # authenticates officers itself, and answers for it).
    inspector_bindings: dict[str, list[str]] = {}
    # How often the worker looks for rectification deadlines that have passed.
    overdue_check_seconds: float = 300.0
    overdue_batch_size: int = Field(500, ge=1)
