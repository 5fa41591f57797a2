"""entity versions indexed by change number: the relay reads a bulk write's versions back by it

Revision ID: registry_0004
Revises: registry_0003
"""

from alembic import op

revision = "registry_0004"
down_revision = "registry_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # BRIN on PostgreSQL: versions are appended in change order, so block ranges summarize them
    # well and an insert costs almost nothing (a B-tree cost a tenth of a bulk write).
    op.create_index("ix_entity_versions_seq", "entity_versions", ["seq"], postgresql_using="brin")


def downgrade() -> None:
    op.drop_index("ix_entity_versions_seq", table_name="entity_versions")
