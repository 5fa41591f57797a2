import pytest

import disclosure.models  # noqa: F401  (registers the tables)
from disclosure.db import Base
from shared.migrations import upgrade
from shared.testing import create_database, downgrade, schema_drift

from .conftest import SERVICE_DIR

pytestmark = pytest.mark.integration


async def test_migrations_match_the_models_and_go_down_and_up_again():
    url = await create_database("disclosure_migrations")
    upgrade(SERVICE_DIR, url)
    assert await schema_drift(url, Base.metadata) == []
    await downgrade(SERVICE_DIR, url)
    upgrade(SERVICE_DIR, url)
    assert await schema_drift(url, Base.metadata) == []
