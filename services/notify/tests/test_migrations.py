import pytest
from alembic import command
from sqlalchemy import select

from notify.models import RoutingRule
from notify.routing import SEED_RULES
from notify.service import active_rules
from shared.migrations import alembic_config, upgrade

from .conftest import SERVICE_DIR

pytestmark = pytest.mark.integration


async def test_migration_seeds_exactly_the_rules_routing_documents(sessionmaker):
    async with sessionmaker() as s:
        assert tuple(await active_rules(s)) == SEED_RULES
        assert await s.scalar(select(RoutingRule.version).distinct()) == 1


def test_sqlite_upgrade_downgrade_upgrade(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'notify.db'}"
    upgrade(SERVICE_DIR, url)
    command.downgrade(alembic_config(SERVICE_DIR, url), "base")
    upgrade(SERVICE_DIR, url)
