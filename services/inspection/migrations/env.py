import inspection.models  # noqa: F401  (registers the tables)
from inspection.config import Settings
from inspection.db import Base
from shared.migrations import run_env

run_env(Base.metadata, Settings().database_url)
