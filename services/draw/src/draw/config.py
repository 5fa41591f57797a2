from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from draw import rules
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
    registry_bulk_export: bool = Field(
        True, description="Try the registry's GET /v1/entities:export before paging (falls back on 404)"
    )
    audit_signing_key: SecretStr = Field(
        SecretStr(""), description="base64 of the 32-byte Ed25519 seed that signs the audit log's tree heads"
    )
    audit_signing_key_file: Path | None = Field(
        Path("var/draw-audit-ed25519.key"),
        description="Used when audit_signing_key is empty; generated on first start (development only)",
    )
    audit_log_origin: str = Field("ssj.fushun/draw-audit", min_length=1, max_length=200, pattern=r"^[^\s]+$")
    counties: list[str] = Field(
        default_factory=lambda: list(rules.COUNTIES),
        description="The counties and districts whose bureaus and police stations are checking bodies",
    )
    rule_overrides: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='Configurable rules only (hotel, seal, pawn), e.g. {"special-trade-hotel": {"period": "quarter"}}',
    )

    @field_validator("counties")
    @classmethod
    def _fushun(cls, value: list[str]) -> list[str]:
        for code in value:
            if code not in rules.COUNTIES:
                raise ValueError(f"{code!r} is not a Fushun county or district ({', '.join(rules.COUNTIES)})")
        return value

    @field_validator("rule_overrides")
    @classmethod
    def _overrides_apply(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        rules.rule_table(value)  # refuses at start-up what would break the rule table
        return value

    def rule_table(self) -> rules.RuleTable:
        return rules.rule_table(self.rule_overrides)
