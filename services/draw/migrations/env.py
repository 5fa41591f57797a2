import draw.models  # noqa: F401  (registers the tables)
from draw.config import Settings
from draw.db import Base
from shared.migrations import run_env

run_env(Base.metadata, Settings().database_url)
