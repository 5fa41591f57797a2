"""departments, subscriptions, routing rules (seeded), deliveries, attempts, outbox and inbox

Revision ID: notify_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from shared.messaging import BigId
from shared.migrations import create_messaging_tables

revision = "notify_0001"
down_revision = None
branch_labels = None
depends_on = None

DEPARTMENTS = [
    {"code": "market_regulation", "name_zh": "市场监督管理部门(工商)", "name_en": "Market regulation (工商)"},
    {"code": "culture_enforcement", "name_zh": "文化市场综合执法部门", "name_en": "Culture market enforcement"},
    {"code": "government", "name_zh": "人民政府(挂牌督办)", "name_en": "People's government (listed supervision)"},
]
# Literal copy of notify.routing.SEED_RULES as of this revision: migrations must not change with the code.
RULES = [
    {
        "id": "R1",
        "version": 1,
        "sectors": ["entertainment", "special_trade"],
        "outcomes": None,
        "departments": ["market_regulation", "culture_enforcement"],
        "description_zh": "娱乐场所、特种行业抽查结果通报属地工商和文化执法部门",
        "active": True,
    },
    {
        "id": "R2",
        "version": 1,
        "sectors": ["security_service"],
        "outcomes": None,
        "departments": ["market_regulation"],
        "description_zh": "保安服务业抽查结果通报属地工商部门",
        "active": True,
    },
    {
        "id": "R3",
        "version": 1,
        "sectors": ["internet_cafe"],
        "outcomes": ["blacklisted"],
        "departments": ["market_regulation", "culture_enforcement"],
        "description_zh": "网吧违法人员列入黑名单，通报工商和文化部门",
        "active": True,
    },
    {
        "id": "R4",
        "version": 1,
        "sectors": None,
        "outcomes": ["listed_supervision"],
        "departments": ["government"],
        "description_zh": "重大火灾隐患报请人民政府挂牌督办",
        "active": True,
    },
]


def upgrade() -> None:
    departments = op.create_table(
        "departments",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("name_zh", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(100), nullable=False),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("department", sa.String(40), sa.ForeignKey("departments.code"), nullable=False, index=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret_encrypted", sa.Text, nullable=False),
        sa.Column("event_types", sa.JSON, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("disabled_reason", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    rules = op.create_table(
        "routing_rules",
        sa.Column("id", sa.String(20), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("sectors", sa.JSON),
        sa.Column("outcomes", sa.JSON),
        sa.Column("departments", sa.JSON, nullable=False),
        sa.Column("description_zh", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    _create_deliveries()
    create_messaging_tables(op.get_bind())
    op.bulk_insert(departments, DEPARTMENTS)
    op.bulk_insert(rules, RULES)


def _create_deliveries() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(120), nullable=False),
        sa.Column("department", sa.String(40), sa.ForeignKey("departments.code"), nullable=False),
        sa.Column("subscription_id", sa.String(36), sa.ForeignKey("subscriptions.id"), nullable=False, index=True),
        sa.Column("rule_id", sa.String(20), nullable=False),
        sa.Column("rule_version", sa.Integer, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("attempts_before_retry", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.String(500)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("event_id", "subscription_id", name="uq_deliveries_event_subscription"),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_deliveries_created", "deliveries", ["created_at", "id"])
    op.create_table(
        "delivery_attempts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(36), sa.ForeignKey("deliveries.id"), nullable=False, index=True),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("error", sa.String(500)),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.UniqueConstraint("delivery_id", "attempt", name="uq_delivery_attempts_number"),
    )


def downgrade() -> None:
    op.drop_table("delivery_attempts")
    op.drop_table("deliveries")
    op.drop_table("routing_rules")
    op.drop_table("subscriptions")
    op.drop_table("departments")
    op.drop_table("inbox")
    op.drop_table("outbox")
