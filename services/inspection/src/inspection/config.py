from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INSPECTION_", extra="ignore")

    service_name: str = "inspection"
    database_url: str = "sqlite+aiosqlite:///var/inspection.db"
    # The registry serves the check-item catalog the consumer turns into checklists.
    registry_url: str = "http://127.0.0.1:8001"
    registry_timeout_seconds: float = 10.0
