from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from notify.secretbox import key_problem
from shared.settings import ServiceSettings

DEFAULT_SCHEDULE = [0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0]


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    service_name: str = "notify"
    database_url: str = "sqlite+aiosqlite:///var/notify.db"
    delivery_timeout_seconds: float = Field(10.0, gt=0)
    # Delay before attempt 1, 2, …: its length is the number of attempts before a delivery is dead.
    retry_schedule_seconds: list[float] = Field(default_factory=lambda: list(DEFAULT_SCHEDULE), min_length=1)
    # Most deliveries claimed in one statement.
    delivery_batch: int = Field(50, ge=1)
    # Most requests one worker has open at once (a slow receiver holds a slot, not the worker).
    delivery_concurrency: int = Field(50, ge=1)
    delivery_poll_seconds: float = Field(1.0, gt=0)
    # A claimed delivery is hidden from other workers for the send timeout plus this margin.
    delivery_lease_margin_seconds: float = Field(30.0, ge=0)
    # Fernet key(s) that encrypt webhook secrets at rest; comma-separated, the first encrypts.
    secret_key: SecretStr | None = None

    @field_validator("retry_schedule_seconds")
    @classmethod
    def _non_negative(cls, schedule: list[float]) -> list[float]:
        if any(delay < 0 for delay in schedule):
            raise ValueError("retry delays must be >= 0 seconds")
        return schedule

    @field_validator("secret_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        problem = value and key_problem(value.get_secret_value())
        if problem:
            raise ValueError(problem)
        return value

    @property
    def lease_seconds(self) -> float:
        return self.delivery_timeout_seconds + self.delivery_lease_margin_seconds
