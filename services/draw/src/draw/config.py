from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DRAW_", extra="ignore")

    service_name: str = "draw"
    database_url: str = "sqlite+aiosqlite:///var/draw.db"
    registry_url: str = "http://127.0.0.1:8001"
    registry_token: SecretStr = Field(
        SecretStr(""), description="Bearer token with registry:read that the draw service presents to the registry"
    )
    registry_timeout_seconds: float = 15.0
