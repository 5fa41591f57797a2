"""draw_substitutions: substitutes drawn for inspectors who recused at the door (回避)

Revision ID: draw_0003
Revises: draw_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "draw_0003"
down_revision = "draw_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "draw_substitutions",
        sa.Column("draw_id", sa.String(16), sa.ForeignKey("draws.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("entity_id", sa.String(64), primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("recused_inspector_id", sa.String(64), nullable=False),
        sa.Column("substitute_inspector_id", sa.String(64), nullable=False),
        sa.Column("team", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("requested_by", sa.String(120), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("draw_id", "entity_id", "recused_inspector_id", name="uq_draw_substitutions_recused"),
    )


def downgrade() -> None:
    op.drop_table("draw_substitutions")
