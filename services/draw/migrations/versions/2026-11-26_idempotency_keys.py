"""idempotency_keys: stored answers for retried requests (Idempotency-Key)

Revision ID: draw_0002
Revises: draw_0001
"""

from alembic import op

from shared.migrations import create_idempotency_table

revision = "draw_0002"
down_revision = "draw_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_table(op.get_bind())


def downgrade() -> None:
    op.drop_table("idempotency_keys")
