"""versions and the change counter, provenance, risk signals, sync runs

Existing entities and inspectors get version rows numbered from the counter, so snapshots
cover what was loaded before this migration.

Revision ID: registry_0003
Revises: registry_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "registry_0003"
down_revision = "registry_0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
PROVENANCE = ("source", "source_ref", "source_version")
ENTITY_EXTRA = ("legal_rep_name", "legal_rep_id_number", "address", "established_date", "closed_date", *PROVENANCE)
INSPECTOR_EXTRA = ("unit_name", "qualifications", "conflict_details", *PROVENANCE)
ENTITY_CONTENT = ("sector", "subtype", "name", "credit_code", "division_code", "grade", "flags", "active")
INSPECTOR_CONTENT = ("name", "unit", "jurisdiction", "qualification_expires_date", "active", "conflicts")


def _provenance() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("source", sa.String(32)),
        sa.Column("source_ref", sa.String(64)),
        sa.Column("source_version", sa.String(64)),
    ]


def _entity_extra() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("legal_rep_name", sa.String(50)),
        sa.Column("legal_rep_id_number", sa.String(18)),
        sa.Column("address", sa.String(200)),
        sa.Column("established_date", sa.Date),
        sa.Column("closed_date", sa.Date),
        *_provenance(),
    ]


def _inspector_extra(nullable: bool) -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("unit_name", sa.String(100)),
        sa.Column("qualifications", sa.JSON, nullable=nullable),
        sa.Column("conflict_details", sa.JSON, nullable=nullable),
        *_provenance(),
    ]


def _version_tail() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("changed_at", TS, nullable=False),
        sa.Column("run_id", sa.String(40)),
    ]


def _version_head(key: str) -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column(key, sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("superseded_seq", sa.BigInteger),
        sa.Column("change", sa.String(16), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "change_counters",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    with op.batch_alter_table("entities") as batch:
        for column in _entity_extra():
            batch.add_column(column)
        batch.add_column(sa.Column("seq", sa.BigInteger, nullable=False, server_default=sa.text("0")))
        batch.add_column(sa.Column("deactivated_at", TS))
        batch.create_index("ix_entities_source", ["source"])
        # Lists are read from entity_versions now; these only slowed every write down.
        batch.drop_index("ix_entities_sector")
        batch.drop_index("ix_entities_credit_code")
    with op.batch_alter_table("inspectors") as batch:
        for column in _inspector_extra(nullable=True):
            batch.add_column(column)
        batch.add_column(sa.Column("seq", sa.BigInteger, nullable=False, server_default=sa.text("0")))
        batch.add_column(sa.Column("deactivated_at", TS))
        batch.create_index("ix_inspectors_source", ["source"])
    op.execute("UPDATE inspectors SET qualifications = '[]', conflict_details = '[]'")
    with op.batch_alter_table("inspectors") as batch:
        batch.alter_column("qualifications", existing_type=sa.JSON, nullable=False)
        batch.alter_column("conflict_details", existing_type=sa.JSON, nullable=False)
    op.create_table(
        "entity_versions",
        *_version_head("entity_id"),
        sa.Column("sector", sa.String(32), nullable=False),
        sa.Column("subtype", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("division_code", sa.String(6), nullable=False),
        sa.Column("grade", sa.String(1)),
        sa.Column("flags", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        *_entity_extra(),
        *_version_tail(),
    )
    op.create_table(
        "inspector_versions",
        *_version_head("inspector_id"),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("jurisdiction", sa.String(6), nullable=False),
        sa.Column("qualification_expires_date", sa.Date),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("conflicts", sa.JSON, nullable=False),
        *_inspector_extra(nullable=False),
        *_version_tail(),
    )
    _create_risk_and_sync_tables()
    _backfill_versions()


def _create_risk_and_sync_tables() -> None:
    op.create_table(
        "risk_signals",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("entity_id", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("occurred_date", sa.Date, nullable=False),
        sa.Column("ended_date", sa.Date),
        sa.Column("origin", sa.String(40), nullable=False),
        sa.Column("ref", sa.String(120), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_seq", sa.BigInteger, nullable=False),
        sa.Column("ended_seq", sa.BigInteger),
        sa.UniqueConstraint("entity_id", "kind", "origin", "ref", name="uq_risk_signals_key"),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("source", sa.String(32), nullable=False, index=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("started_at", TS),
        sa.Column("finished_at", TS),
        sa.Column("heartbeat_at", TS),
        sa.Column("lease_owner", sa.String(40)),
        sa.Column("checkpoint", sa.JSON),
        sa.Column("since", sa.String(64)),
        sa.Column("watermark", sa.String(64)),
        *[
            sa.Column(name, sa.Integer, nullable=False)
            for name in (
                "pages_done",
                "records_seen",
                "inserted",
                "updated",
                "unchanged",
                "deactivated",
                "rejected",
                "resumes",
            )
        ],
        sa.Column("records_total", sa.Integer),
        sa.Column("error", sa.Text),
    )
    op.create_index(
        "uq_sync_runs_one_active",
        "sync_runs",
        ["source"],
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
        sqlite_where=sa.text("status IN ('queued', 'running')"),
    )
    op.create_table(
        "sync_errors",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(40), nullable=False, index=True),
        sa.Column("row", sa.Integer),
        sa.Column("source_ref", sa.String(64)),
        sa.Column("field", sa.String(80), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("raw", sa.Text),
    )
    op.create_table(
        "sync_seen",
        sa.Column("run_id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(10), primary_key=True),
        sa.Column("item_id", sa.String(64), primary_key=True),
    )


def _backfill_versions() -> None:
    """Rows loaded before versions existed become version rows numbered 1..n (entities first)."""
    entity_cols = ", ".join(ENTITY_CONTENT + ENTITY_EXTRA)
    inspector_cols = ", ".join(INSPECTOR_CONTENT + INSPECTOR_EXTRA)
    op.execute(
        "UPDATE entities SET seq = r.n FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM entities) AS r "
        "WHERE r.id = entities.id"
    )
    op.execute(
        "UPDATE inspectors SET seq = r.n + (SELECT count(*) FROM entities) "
        "FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM inspectors) AS r WHERE r.id = inspectors.id"
    )
    op.execute(
        f"INSERT INTO entity_versions (entity_id, version, seq, change, {entity_cols}, digest, changed_at) "
        f"SELECT id, version, seq, 'migrated', {entity_cols}, digest, updated_at FROM entities"
    )
    op.execute(
        f"INSERT INTO inspector_versions (inspector_id, version, seq, change, {inspector_cols}, digest, changed_at) "
        f"SELECT id, version, seq, 'migrated', {inspector_cols}, digest, updated_at FROM inspectors"
    )
    op.execute(
        "INSERT INTO change_counters (name, value) "
        "SELECT 'changes', (SELECT count(*) FROM entities) + (SELECT count(*) FROM inspectors)"
    )


def downgrade() -> None:
    for table in ("sync_seen", "sync_errors", "sync_runs", "risk_signals", "inspector_versions", "entity_versions"):
        op.drop_table(table)
    op.drop_index("ix_inspectors_source", table_name="inspectors")
    op.drop_index("ix_entities_source", table_name="entities")
    with op.batch_alter_table("inspectors") as batch:
        for name in (*INSPECTOR_EXTRA, "seq", "deactivated_at"):
            batch.drop_column(name)
    with op.batch_alter_table("entities") as batch:
        for name in (*ENTITY_EXTRA, "seq", "deactivated_at"):
            batch.drop_column(name)
        batch.create_index("ix_entities_sector", ["sector"])
        batch.create_index("ix_entities_credit_code", ["credit_code"])
    op.drop_table("change_counters")
