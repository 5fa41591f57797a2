"""results, releases, feed entries, outbox and inbox

Revision ID: disclosure_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from shared.migrations import create_messaging_tables

revision = "disclosure_0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "results",
        sa.Column("id", sa.String(14), primary_key=True),
        sa.Column("inspection_id", sa.String(64), nullable=False, unique=True),
        sa.Column("draw_id", sa.String(64)),
        sa.Column("entity_id", sa.String(64), nullable=False, index=True),
        sa.Column("entity", sa.JSON, nullable=False),
        sa.Column("sector", sa.String(32), nullable=False, index=True),
        sa.Column("team", sa.JSON, nullable=False),
        sa.Column("findings", sa.JSON, nullable=False),
        sa.Column("outcome", sa.JSON, nullable=False),
        sa.Column("public_findings", sa.JSON, nullable=False),
        sa.Column("public_outcome", sa.JSON, nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decided_by", sa.String(120)),
        sa.Column("decision_note", sa.Text),
    )
    op.create_index("ix_results_received_at_id", "results", ["received_at", "id"])
    op.create_table(
        "releases",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("result_id", sa.String(14), sa.ForeignKey("results.id"), nullable=False, index=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(120), nullable=False),
        sa.Column("note", sa.Text),
        sa.UniqueConstraint("result_id", "number"),
    )
    op.create_table(
        "feed_entries",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("release_id", BigId, sa.ForeignKey("releases.id"), nullable=False, unique=True),
        sa.Column("result_id", sa.String(14), sa.ForeignKey("results.id"), nullable=False, index=True),
        sa.Column("position", sa.BigInteger, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("positioned_at", sa.DateTime(timezone=True)),
        sa.Column("traceparent", sa.String(55)),
    )
    create_messaging_tables(op.get_bind())


def downgrade() -> None:
    op.drop_table("feed_entries")
    op.drop_table("releases")
    op.drop_index("ix_results_received_at_id", table_name="results")
    op.drop_table("results")
    op.drop_table("inbox")
    op.drop_table("outbox")
