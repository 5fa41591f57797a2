import registry.models  # noqa: F401  (registers the tables)
from registry.config import Settings
from registry.db import Base
from shared.migrations import run_env

run_env(Base.metadata, Settings().database_url)
