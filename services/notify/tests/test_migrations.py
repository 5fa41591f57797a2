import pytest
from alembic import command
from sqlalchemy import select, text

import notify.models  # noqa: F401  (registers the tables)
from notify.db import Base
from notify.models import Department, RoutingRule
from notify.routing import SEED_RULES
from notify.rulebook import active_rules
from shared.db import make_engine
from shared.migrations import alembic_config, upgrade
from shared.testing import create_database, downgrade, schema_drift

from .conftest import SERVICE_DIR

pytestmark = pytest.mark.integration


async def test_migrations_match_the_models_and_go_down_and_up_again():
    url = await create_database("notify_migrations")
    upgrade(SERVICE_DIR, url)
    assert await schema_drift(url, Base.metadata) == []
    await downgrade(SERVICE_DIR, url)
    upgrade(SERVICE_DIR, url)
    assert await schema_drift(url, Base.metadata) == []


async def test_migrations_seed_exactly_the_rules_routing_documents(sessionmaker):
    async with sessionmaker() as s:
        assert tuple(await active_rules(s)) == SEED_RULES
        versions = (await s.execute(select(RoutingRule.id, RoutingRule.version, RoutingRule.active))).all()
        departments = set(await s.scalars(select(Department.code)))
    assert sorted(versions) == [
        ("R1", 1, True),
        ("R2", 1, True),
        ("R3", 1, False),  # v1 matched the completed result; v2 the blacklist event itself
        ("R3", 2, True),
        ("R4", 1, False),
        ("R4", 2, True),
        ("R5", 1, True),
    ]
    assert {"education", "health", "work_safety", "quality"} <= departments


async def test_upgrade_keeps_what_was_there_and_makes_it_replayable():
    """Subscriptions made before notify_0003 took every routed type there was; their past
    deliveries become notifications, so replay reaches back before the upgrade."""
    url = await create_database("notify_upgrade")
    upgrade(SERVICE_DIR, url, "notify_0002")
    engine = make_engine(url)
    async with engine.begin() as conn:
        for statement in BEFORE_0003:
            await conn.execute(text(statement))
    upgrade(SERVICE_DIR, url)
    async with engine.connect() as conn:
        types = set(map(tuple, (await conn.execute(text("SELECT event_types FROM subscriptions"))).scalars()))
        notes = (
            await conn.execute(text("SELECT event_id, department, rule_id, rule_version FROM notifications"))
        ).all()
    await engine.dispose()
    assert types == {
        (
            "ssj.inspection.completed",
            "ssj.inspection.blacklisted",
            "ssj.inspection.listed_supervision_reported",
            "ssj.inspection.rectification_overdue",
        )
    }
    assert [tuple(n) for n in notes] == [("e-1", "market_regulation", "R1", 1)]


BEFORE_0003 = [
    *(
        "INSERT INTO subscriptions (id, department, url, secret_encrypted, event_types, enabled, created_at) "
        f"VALUES ('{s}', 'market_regulation', 'https://amr.example/{s}', 'x', "
        "'[\"ssj.inspection.completed\"]', true, now())"
        for s in ("s-1", "s-2")
    ),
    *(
        "INSERT INTO deliveries (id, event_id, event_type, department, subscription_id, rule_id, rule_version, "
        f"payload, status, attempts, attempts_before_retry, created_at) VALUES ('d-{s}', 'e-1', "
        f"'ssj.inspection.completed', 'market_regulation', '{s}', 'R1', 1, '{{}}', 'delivered', 1, 0, now())"
        for s in ("s-1", "s-2")
    ),
]


def test_sqlite_upgrade_downgrade_upgrade(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'notify.db'}"
    upgrade(SERVICE_DIR, url)
    command.downgrade(alembic_config(SERVICE_DIR, url), "base")
    upgrade(SERVICE_DIR, url)
