import disclosure.models  # noqa: F401  (registers the tables)
from disclosure.config import Settings
from disclosure.db import Base
from shared.migrations import run_env

run_env(Base.metadata, Settings().database_url)
