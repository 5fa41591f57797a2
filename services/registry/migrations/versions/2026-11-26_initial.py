"""entities, inspectors, outbox and inbox

Revision ID: registry_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from shared.migrations import create_messaging_tables

revision = "registry_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entities",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("sector", sa.String(32), nullable=False, index=True),
        sa.Column("subtype", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False, index=True),
        sa.Column("division_code", sa.String(6), nullable=False),
        sa.Column("grade", sa.String(1)),
        sa.Column("flags", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "inspectors",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False, index=True),
        sa.Column("jurisdiction", sa.String(6), nullable=False),
        sa.Column("qualification_expires_date", sa.Date),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("conflicts", sa.JSON, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    create_messaging_tables(op.get_bind())


def downgrade() -> None:
    op.drop_table("inspectors")
    op.drop_table("entities")
    op.drop_table("inbox")
    op.drop_table("outbox")
