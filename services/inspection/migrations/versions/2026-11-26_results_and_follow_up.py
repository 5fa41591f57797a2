"""check types, two-officer confirmation, versions, evidence, recusals, rectification follow-up, audit trail

Revision ID: inspection_0003
Revises: inspection_0002

Inspections completed before this revision count as version 1; their findings stay in
`findings`, but they have no inspection_versions row (nothing confirmed them twice).
"""

import sqlalchemy as sa
from alembic import op

from shared.messaging import BigId

revision = "inspection_0003"
down_revision = "inspection_0002"
branch_labels = None
depends_on = None

EMPTY_LIST = sa.text("'[]'")


def _inspection_fk() -> sa.Column:
    return sa.Column(
        "inspection_id", sa.String(14), sa.ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )


def _add_inspection_columns() -> None:
    with op.batch_alter_table("inspections") as batch:
        batch.add_column(sa.Column("check_type", sa.String(20), nullable=False, server_default="on_site"))
        batch.add_column(sa.Column("joint_departments", sa.JSON, nullable=False, server_default=EMPTY_LIST))
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("outcome_details", sa.JSON))
        batch.add_column(sa.Column("joint_members", sa.JSON))
        batch.add_column(sa.Column("correction_reason", sa.Text))
        batch.add_column(sa.Column("draft", sa.JSON))
        batch.add_column(sa.Column("draft_sha256", sa.String(64)))
    op.execute("UPDATE inspections SET version = 1 WHERE status = 'completed'")
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("evidence", sa.JSON, nullable=False, server_default=EMPTY_LIST))


def _create_result_tables() -> None:
    op.create_table(
        "inspection_versions",
        _inspection_fk(),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("draft_sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("confirmed_by", sa.JSON, nullable=False),
        sa.Column("completed_by", sa.String(100), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "confirmations",
        _inspection_fk(),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("inspector_id", sa.String(64), primary_key=True),
        sa.Column("draft_sha256", sa.String(64), nullable=False),
        sa.Column("caller", sa.String(100), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "evidence",
        _inspection_fk(),
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("inspector_id", sa.String(64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "recusals",
        _inspection_fk(),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("recused_inspector_id", sa.String(64), nullable=False),
        sa.Column("substitute_inspector_id", sa.String(64), nullable=False),
        sa.Column("seat", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
    )


def _create_follow_up_tables() -> None:
    op.create_table(
        "rectifications",
        _inspection_fk(),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("item_codes", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("overdue_at", sa.DateTime(timezone=True)),
        sa.Column("escalation", sa.String(20)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("rectified", sa.Boolean),
        sa.Column("reinspection_id", sa.String(16)),
    )
    op.create_index("ix_rectifications_status_deadline", "rectifications", ["status", "deadline"])
    op.create_table(
        "reinspections",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("inspection_id", sa.String(14), sa.ForeignKey("inspections.id", ondelete="CASCADE"), nullable=False),
        sa.Column("rectified", sa.Boolean, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("inspector_id", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_reinspections_inspection_id", "reinspections", ["inspection_id"])
    op.create_table(
        "inspection_history",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("inspection_id", sa.String(14), sa.ForeignKey("inspections.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("inspector_id", sa.String(64)),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_inspection_history_inspection_id_id", "inspection_history", ["inspection_id", "id"])


def upgrade() -> None:
    _add_inspection_columns()
    _create_result_tables()
    _create_follow_up_tables()


def downgrade() -> None:
    for table in ("inspection_history", "reinspections", "rectifications", "recusals", "evidence"):
        op.drop_table(table)
    op.drop_table("confirmations")
    op.drop_table("inspection_versions")
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("evidence")
    with op.batch_alter_table("inspections") as batch:
        for column in (
            "draft_sha256",
            "draft",
            "correction_reason",
            "joint_members",
            "outcome_details",
            "version",
            "joint_departments",
            "check_type",
        ):
            batch.drop_column(column)
