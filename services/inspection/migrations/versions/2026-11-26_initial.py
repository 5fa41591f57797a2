"""inspections, team members, findings, outbox and inbox

Revision ID: inspection_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from shared.migrations import create_messaging_tables

revision = "inspection_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inspections",
        sa.Column("id", sa.String(14), primary_key=True),
        sa.Column("draw_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("checking_body", sa.String(40)),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False, index=True),
        sa.Column("sector", sa.String(32), nullable=False, index=True),
        sa.Column("entity", sa.JSON, nullable=False),
        sa.Column("status", sa.String(24), nullable=False, index=True),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("checklist_version", sa.String(40), nullable=False),
        sa.Column("checklist", sa.JSON, nullable=False),
        sa.Column("outcome_type", sa.String(30)),
        sa.Column("rectification_deadline", sa.Date),
        sa.Column("outcome_note", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.Column("completed_by", sa.String(100)),
        sa.UniqueConstraint("draw_id", "position", name="uq_inspections_draw_position"),
    )
    op.create_table(
        "team_members",
        sa.Column(
            "inspection_id", sa.String(14), sa.ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("inspector_id", sa.String(64), primary_key=True, index=True),
        sa.Column("seat", sa.Integer, nullable=False),
    )
    op.create_table(
        "findings",
        sa.Column(
            "inspection_id", sa.String(14), sa.ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("item_code", sa.String(80), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("result", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    create_messaging_tables(op.get_bind())


def downgrade() -> None:
    op.drop_table("findings")
    op.drop_table("team_members")
    op.drop_table("inspections")
    op.drop_table("inbox")
    op.drop_table("outbox")
