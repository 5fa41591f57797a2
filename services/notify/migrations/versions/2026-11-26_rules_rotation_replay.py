"""editable versioned rules (R3/R4 on follow-up events, R5 joint checks), joint-check departments,
secret rotation, notifications (for replay), the worker of each attempt

Revision ID: notify_0003
Revises: notify_0002
"""

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "notify_0003"
down_revision = "notify_0002"
branch_labels = None
depends_on = None

COMPLETED = "ssj.inspection.completed"
# notify_0001 routed only ssj.inspection.completed: its four rules matched that event and no other.
V1_EVENT_TYPES = [COMPLETED]
NEW_SUBSCRIBABLE = [
    "ssj.inspection.blacklisted",
    "ssj.inspection.listed_supervision_reported",
    "ssj.inspection.rectification_overdue",
]
DEPARTMENTS = [
    {"code": "education", "name_zh": "教育行政部门", "name_en": "Education"},
    {"code": "health", "name_zh": "卫生(医疗)主管部门", "name_en": "Health (medical)"},
    {"code": "work_safety", "name_zh": "安全生产监督管理部门(安监)", "name_en": "Work safety (安监)"},
    {"code": "quality", "name_zh": "质量技术监督部门(质监)", "name_en": "Quality supervision (质监)"},
]
SEEDED_BY = "seed (migration notify_0003)"
# Literal copy of the rules this revision adds (notify.routing.SEED_RULES as of this revision).
NEW_RULES = [
    {
        "id": "R3",
        "version": 2,
        "event_types": ["ssj.inspection.blacklisted"],
        "sectors": ["internet_cafe"],
        "outcomes": None,
        "check_types": None,
        "departments": ["market_regulation", "culture_enforcement"],
        "to_participants": False,
        "description_zh": "网吧违法人员列入黑名单，通报工商和文化部门",
        "active": True,
        "created_by": SEEDED_BY,
    },
    {
        "id": "R4",
        "version": 2,
        "event_types": ["ssj.inspection.listed_supervision_reported"],
        "sectors": None,
        "outcomes": None,
        "check_types": None,
        "departments": ["government"],
        "to_participants": False,
        "description_zh": "重大火灾隐患报请人民政府挂牌督办",
        "active": True,
        "created_by": SEEDED_BY,
    },
    {
        "id": "R5",
        "version": 1,
        "event_types": [COMPLETED],
        "sectors": None,
        "outcomes": None,
        "check_types": ["joint"],
        "departments": [],
        "to_participants": True,
        "description_zh": "联合抽查结果通报参与抽查的行业主管部门（教育、卫生、安监、质监等）",
        "active": True,
        "created_by": SEEDED_BY,
    },
]


def _rules_table() -> sa.Table:
    return sa.table(
        "routing_rules",
        sa.column("id", sa.String),
        sa.column("version", sa.Integer),
        sa.column("event_types", sa.JSON),
        sa.column("sectors", sa.JSON),
        sa.column("outcomes", sa.JSON),
        sa.column("check_types", sa.JSON),
        sa.column("departments", sa.JSON),
        sa.column("to_participants", sa.Boolean),
        sa.column("description_zh", sa.String),
        sa.column("active", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("created_by", sa.String),
    )


def upgrade() -> None:
    _upgrade_rules()
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("previous_secret_encrypted", sa.Text))
        batch.add_column(sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("secret_rotated_at", sa.DateTime(timezone=True)))
    _subscribe_existing_to_new_types()
    with op.batch_alter_table("delivery_attempts") as batch:
        batch.add_column(sa.Column("worker", sa.String(100)))
    op.bulk_insert(sa.table("departments", sa.column("code"), sa.column("name_zh"), sa.column("name_en")), DEPARTMENTS)
    _create_notifications()


def _upgrade_rules() -> None:
    with op.batch_alter_table("routing_rules") as batch:
        batch.add_column(sa.Column("event_types", sa.JSON))
        batch.add_column(sa.Column("check_types", sa.JSON))
        batch.add_column(sa.Column("to_participants", sa.Boolean))
        batch.add_column(sa.Column("created_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("created_by", sa.String(100)))
    rules = _rules_table()
    op.execute(
        rules.update().values(
            event_types=V1_EVENT_TYPES, to_participants=False, created_by="seed (migration notify_0001)"
        )
    )
    op.execute(rules.update().where(rules.c.id.in_(["R3", "R4"])).values(active=False))
    with op.batch_alter_table("routing_rules") as batch:
        batch.alter_column("event_types", existing_type=sa.JSON, nullable=False)
        batch.alter_column("to_participants", existing_type=sa.Boolean, nullable=False)
    op.bulk_insert(rules, NEW_RULES)
    op.create_index(
        "uq_routing_rules_one_active",
        "routing_rules",
        ["id"],
        unique=True,
        postgresql_where=sa.text("active"),
        sqlite_where=sa.text("active"),
    )


def _subscribe_existing_to_new_types() -> None:
    """Subscriptions made before this revision asked for everything there was to route."""
    subscriptions = sa.table("subscriptions", sa.column("id", sa.String), sa.column("event_types", sa.JSON))
    bind = op.get_bind()
    for row in bind.execute(sa.select(subscriptions.c.id, subscriptions.c.event_types)).all():
        if COMPLETED in row.event_types:
            types = list(row.event_types) + [t for t in NEW_SUBSCRIBABLE if t not in row.event_types]
            bind.execute(subscriptions.update().where(subscriptions.c.id == row.id).values(event_types=types))


def _create_notifications() -> None:
    notifications = op.create_table(
        "notifications",
        sa.Column("event_id", sa.String(200), primary_key=True),
        sa.Column("department", sa.String(40), sa.ForeignKey("departments.code"), primary_key=True),
        sa.Column("event_type", sa.String(120), nullable=False),
        sa.Column("rule_id", sa.String(20), nullable=False),
        sa.Column("rule_version", sa.Integer, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_notifications_department_received", "notifications", ["department", "received_at"])
    op.bulk_insert(notifications, list(_notifications_from_deliveries()))


def _notifications_from_deliveries() -> Iterable[dict[str, Any]]:
    """Earlier deliveries become notifications, so replay reaches back before this revision."""
    deliveries = sa.table(
        "deliveries",
        *(sa.column(c) for c in ("event_id", "department", "event_type", "rule_id", "rule_version", "created_at")),
        sa.column("payload", sa.JSON),
    )
    seen: set[tuple[str, str]] = set()
    for row in op.get_bind().execute(sa.select(deliveries).order_by(deliveries.c.created_at)).all():
        if (row.event_id, row.department) not in seen:
            seen.add((row.event_id, row.department))
            yield {
                "event_id": row.event_id,
                "department": row.department,
                "event_type": row.event_type,
                "rule_id": row.rule_id,
                "rule_version": row.rule_version,
                "payload": row.payload,
                "received_at": row.created_at,
            }


def downgrade() -> None:
    op.drop_table("notifications")
    rules = _rules_table()
    op.drop_index("uq_routing_rules_one_active", "routing_rules")
    op.execute(rules.delete().where(sa.or_(rules.c.id.notin_(["R1", "R2", "R3", "R4"]), rules.c.version > 1)))
    op.execute(rules.update().values(active=True))
    with op.batch_alter_table("routing_rules") as batch:
        for column in ("event_types", "check_types", "to_participants", "created_at", "created_by"):
            batch.drop_column(column)
    departments = sa.table("departments", sa.column("code", sa.String))
    op.execute(departments.delete().where(departments.c.code.in_([d["code"] for d in DEPARTMENTS])))
    with op.batch_alter_table("delivery_attempts") as batch:
        batch.drop_column("worker")
    with op.batch_alter_table("subscriptions") as batch:
        for column in ("previous_secret_encrypted", "previous_secret_expires_at", "secret_rotated_at"):
            batch.drop_column(column)
