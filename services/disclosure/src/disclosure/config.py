from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DISCLOSURE_", extra="ignore")

    service_name: str = "disclosure"
    database_url: str = "sqlite+aiosqlite:///var/disclosure.db"
    feed_page_size: int = 50
    # The worker's sequencer is the guarantee; the approve handler's nudge only cuts the latency.
    feed_sequence_on_approve: bool = True
    sequencer_interval_seconds: float = 0.5
    sequencer_batch_size: int = 500
