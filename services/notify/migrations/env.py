import notify.models  # noqa: F401  (registers the tables)
from notify.config import Settings
from notify.db import Base
from shared.migrations import run_env

run_env(Base.metadata, Settings().database_url)
