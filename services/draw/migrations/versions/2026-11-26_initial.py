"""draws, their frozen pools and selections, outbox and inbox

Revision ID: draw_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from shared.migrations import create_messaging_tables

revision = "draw_0001"
down_revision = None
branch_labels = None
depends_on = None


def _draw_fk() -> sa.Column:
    return sa.Column("draw_id", sa.String(16), sa.ForeignKey("draws.id", ondelete="CASCADE"), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "draws",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("sector", sa.String(32), nullable=False),
        sa.Column("filters", sa.JSON, nullable=False),
        sa.Column("quota_rule", sa.JSON, nullable=False),
        sa.Column("quotas", sa.JSON, nullable=False),
        sa.Column("team_size", sa.Integer, nullable=False),
        sa.Column("entropy_source", sa.String(500), nullable=False),
        sa.Column("period", sa.String(16)),
        sa.Column("due_date", sa.Date),
        sa.Column("checking_body", sa.String(40)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("pool_size", sa.Integer, nullable=False),
        sa.Column("inspector_count", sa.Integer, nullable=False),
        sa.Column("commitment", sa.Text, nullable=False),
        sa.Column("commitment_sha256", sa.String(64), nullable=False),
        sa.Column("server_secret", sa.String(64), nullable=False),
        sa.Column("external_entropy", sa.Text),
        sa.Column("seed", sa.String(64)),
        sa.Column("committed_by", sa.String(120), nullable=False),
        sa.Column("executed_by", sa.String(120)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("executed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_draws_created_at_id", "draws", ["created_at", "id"])
    op.create_table(
        "draw_candidates",
        _draw_fk(),
        sa.Column("entity_id", sa.String(64), primary_key=True),
        sa.Column("stratum", sa.String(100), nullable=False),
        sa.Column("weight", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("subtype", sa.String(32), nullable=False),
        sa.Column("division_code", sa.String(6), nullable=False),
        sa.Column("grade", sa.String(1)),
        sa.Column("flags", sa.JSON, nullable=False),
        sa.Column("entity_version", sa.Integer, nullable=False),
    )
    op.create_table(
        "draw_inspectors",
        _draw_fk(),
        sa.Column("inspector_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("conflicts", sa.JSON, nullable=False),
        sa.Column("inspector_version", sa.Integer, nullable=False),
    )
    op.create_table(
        "draw_selections",
        _draw_fk(),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("stratum", sa.String(100), nullable=False),
        sa.Column("team", sa.JSON, nullable=False),
    )
    create_messaging_tables(op.get_bind())


def downgrade() -> None:
    op.drop_table("draw_selections")
    op.drop_table("draw_inspectors")
    op.drop_table("draw_candidates")
    op.drop_index("ix_draws_created_at_id", table_name="draws")
    op.drop_table("draws")
    op.drop_table("inbox")
    op.drop_table("outbox")
