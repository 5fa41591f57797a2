"""release kinds and references, publication deadlines, appeal codes, inspection versions, the public view read model,
sanctions, appeals, blacklist entries and their releases

Revision ID: disclosure_0003
Revises: disclosure_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "disclosure_0003"
down_revision = "disclosure_0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("results") as batch:
        batch.add_column(sa.Column("publication_deadline", sa.Date))
        batch.add_column(sa.Column("appeal_code_sha256", sa.String(64)))
        batch.add_column(sa.Column("inspection_version", sa.Integer, nullable=False, server_default="1"))
        batch.create_index("ix_results_publication_deadline", ["publication_deadline"])
    with op.batch_alter_table("releases") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="original"))
        batch.add_column(sa.Column("refers_to", sa.Integer))
    with op.batch_alter_table("feed_entries") as batch:
        batch.create_index("ix_feed_entries_positioned_at", ["positioned_at"])
    op.create_table(
        "public_views",
        sa.Column("result_id", sa.String(14), sa.ForeignKey("results.id"), primary_key=True),
        sa.Column("entity_name", sa.String(200), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False, index=True),
        sa.Column("sector", sa.String(32), nullable=False, index=True),
        sa.Column("outcome", sa.String(40), nullable=False, index=True),
        sa.Column("completed_at", When, nullable=False),
        sa.Column("completed_date", sa.Date, nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("latest_release", sa.Integer, nullable=False),
        sa.Column("first_published_at", When, nullable=False),
        sa.Column("view", sa.JSON, nullable=False),
    )
    op.create_index("ix_public_views_completed_at_result_id", "public_views", ["completed_at", "result_id"])
    op.create_table(
        "sanctions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(200), nullable=False, unique=True),
        sa.Column("inspection_id", sa.String(64), nullable=False, index=True),
        sa.Column("sanction", sa.String(40), nullable=False),
        sa.Column("fine_yuan", sa.Numeric(14, 2)),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("decided_at", When, nullable=False),
    )
    op.create_table(
        "appeals",
        sa.Column("id", sa.String(14), primary_key=True),
        sa.Column("result_id", sa.String(14), sa.ForeignKey("results.id"), nullable=False, index=True),
        sa.Column("statement", sa.Text, nullable=False),
        sa.Column("filed_at", When, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("decided_at", When),
        sa.Column("decided_by", sa.String(120)),
        sa.Column("decision_reason", sa.Text),
        sa.Column("release_number", sa.Integer),
    )
    op.create_table(
        "blacklist_entries",
        sa.Column("id", sa.String(14), primary_key=True),
        sa.Column("inspection_id", sa.String(64), nullable=False, unique=True),
        sa.Column("entity_id", sa.String(64), nullable=False, index=True),
        sa.Column("entity", sa.JSON, nullable=False),
        sa.Column("persons", sa.JSON, nullable=False),
        sa.Column("public_persons", sa.JSON, nullable=False),
        sa.Column("restrictions", sa.JSON, nullable=False),
        sa.Column("listed_at", When, nullable=False),
        sa.Column("until", sa.Date, nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("lifted_at", When),
    )
    op.create_table(
        "blacklist_releases",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.String(14), sa.ForeignKey("blacklist_entries.id"), nullable=False, index=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("published_at", When, nullable=False),
        sa.UniqueConstraint("entry_id", "number"),
    )


def downgrade() -> None:
    op.drop_table("blacklist_releases")
    op.drop_table("blacklist_entries")
    op.drop_table("appeals")
    op.drop_table("sanctions")
    op.drop_index("ix_public_views_completed_at_result_id", table_name="public_views")
    op.drop_table("public_views")
    with op.batch_alter_table("feed_entries") as batch:
        batch.drop_index("ix_feed_entries_positioned_at")
    with op.batch_alter_table("releases") as batch:
        batch.drop_column("refers_to")
        batch.drop_column("kind")
    with op.batch_alter_table("results") as batch:
        batch.drop_index("ix_results_publication_deadline")
        batch.drop_column("inspection_version")
        batch.drop_column("appeal_code_sha256")
        batch.drop_column("publication_deadline")
