from pathlib import Path

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
    # Full feed and archive pages are kept in memory this long: their items never move, and a
    # withdrawal's tombstone reaches HTTP caches within their max-age (a day) anyway.
    feed_cache_seconds: float = 60.0
    atom_page_size: int = 100
    # 20 working days from completion to publication; the calendar file holds holidays and
    # make-up working days (None: the bundled 2026 State Council schedule).
    publication_deadline_working_days: int = 20
    working_calendar_path: Path | None = None
    # An inspected entity may appeal (申诉) this many working days after the first publication.
    appeal_period_working_days: int = 15
    # Wrong appeal codes tolerated per result and hour before filing is refused with 429.
    appeal_code_failures_per_hour: int = 5
    # The daily JSON Lines export: written by the worker once a local day has ended.
    export_dir: Path = Path("var/disclosure-exports")
    export_interval_seconds: float = 60.0
    blacklist_interval_seconds: float = 60.0
