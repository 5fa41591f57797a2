"""rules, plans, voids, risk, pools as compressed values, the Merkle audit log, completions

Revision ID: draw_0004
Revises: draw_0003

Frozen pools move from one row per candidate (draw_candidates) to one compressed §1 pool text
and registry snapshot per draw (draw_pools); existing draws are carried over, and back.
"""

import json
import zlib

import sqlalchemy as sa
from alembic import op

revision = "draw_0004"
down_revision = "draw_0003"
branch_labels = None
depends_on = None

SNAPSHOT = ("id", "sector", "subtype", "name", "credit_code", "division_code", "grade", "flags", "version", "risk")
_DRAW_COLUMNS = [
    ("jurisdiction", sa.String(6)),
    ("joint_departments", sa.JSON),
    ("plan_item_id", sa.String(16)),
    ("rule_code", sa.String(40)),
    ("rules_version", sa.String(40)),
    ("risk_policy", sa.String(16)),
    ("risk_summary", sa.JSON),
    ("strata", sa.JSON),
    ("void_reason", sa.Text),
    ("void_requested_by", sa.String(120)),
    ("void_requested_at", sa.DateTime(timezone=True)),
    ("voided_by", sa.String(120)),
    ("voided_at", sa.DateTime(timezone=True)),
    ("replaces", sa.String(16)),
    ("replaced_by", sa.String(16)),
]


def _esc(value: object) -> str:
    if value is None:
        return "\\N"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, code in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
        text = text.replace(char, code)
    return text


def _draw_columns() -> None:
    with op.batch_alter_table("draws") as batch:
        batch.add_column(sa.Column("check_type", sa.String(16), nullable=False, server_default="on_site"))
        for name, kind in _DRAW_COLUMNS:
            batch.add_column(sa.Column(name, kind))
        batch.create_index("ix_draws_plan_item_id", ["plan_item_id"])
        batch.create_index("ix_draws_period", ["period"])


def _pools_table() -> None:
    op.create_table(
        "draw_pools",
        sa.Column("draw_id", sa.String(16), sa.ForeignKey("draws.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("pool_text", sa.LargeBinary, nullable=False),
        sa.Column("snapshot", sa.LargeBinary, nullable=False),
    )


def _carry_candidates_over() -> None:
    conn = op.get_bind()
    query = (
        "SELECT c.*, d.sector FROM draw_candidates c JOIN draws d ON d.id = c.draw_id ORDER BY c.draw_id, c.entity_id"
    )
    rows = conn.execute(sa.text(query)).mappings().all()
    by_draw: dict[str, list] = {}
    for row in rows:
        by_draw.setdefault(row["draw_id"], []).append(row)
    pools = sa.table(
        "draw_pools", sa.column("draw_id"), sa.column("size"), sa.column("pool_text"), sa.column("snapshot")
    )
    for draw_id, members in by_draw.items():
        text = "".join(f"{r['entity_id']}\t{r['stratum']}\t{r['weight']}\n" for r in members)
        lines = ["\t".join(map(_esc, _snapshot_cells(r))) for r in members]
        snapshot = "\t".join(SNAPSHOT) + "\n" + "".join(line + "\n" for line in lines)
        conn.execute(
            pools.insert().values(
                draw_id=draw_id,
                size=len(members),
                pool_text=zlib.compress(text.encode(), 1),
                snapshot=zlib.compress(snapshot.encode(), 1),
            )
        )


def _snapshot_cells(r: dict) -> tuple:
    identity = (r["entity_id"], r["sector"], r["subtype"], r["name"], r["credit_code"], r["division_code"])
    return (*identity, r["grade"], _flags(r["flags"]), str(r["entity_version"]), None)


def _flags(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value or {}


def _audit_and_plans() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("joint_departments", sa.JSON),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "plan_items",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("plan_id", sa.String(16), sa.ForeignKey("plans.id")),
        sa.Column("rule_code", sa.String(40)),
        sa.Column("rule_period", sa.String(16)),
        sa.Column("round", sa.Integer),
        sa.Column("rules_version", sa.String(40)),
        sa.Column("jurisdiction", sa.String(6)),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("due_date", sa.Date),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("draw_id", sa.String(16)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("rule_code", "rule_period", "jurisdiction", "round", name="uq_plan_items_rule_round"),
    )
    op.create_index("ix_plan_items_period", "plan_items", ["period"])
    op.create_table(
        "audit_entries",
        sa.Column("leaf_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("draw_id", sa.String(16), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("leaf_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_audit_entries_draw_id", "audit_entries", ["draw_id"])
    op.create_table(
        "audit_tree_heads",
        sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("signature", sa.String(100), nullable=False),
        sa.Column("checkpoint", sa.Text, nullable=False),
        sa.Column("frontier", sa.JSON, nullable=False),
    )
    op.create_table(
        "completions",
        sa.Column("inspection_id", sa.String(64), primary_key=True),
        sa.Column("draw_id", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("check_type", sa.String(16)),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_completions_draw_position", "completions", ["draw_id", "position"])


def upgrade() -> None:
    _draw_columns()
    _pools_table()
    _carry_candidates_over()
    op.drop_table("draw_candidates")
    _audit_and_plans()


def _candidates_table() -> None:
    op.create_table(
        "draw_candidates",
        sa.Column("draw_id", sa.String(16), sa.ForeignKey("draws.id", ondelete="CASCADE"), primary_key=True),
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


def _unescape(field: str) -> str | None:
    if field == "\\N":
        return None
    out, chars = [], iter(field)
    for char in chars:
        out.append({"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}.get(next(chars, ""), "") if char == "\\" else char)
    return "".join(out)


def _carry_candidates_back() -> None:
    conn = op.get_bind()
    candidates = sa.table(
        "draw_candidates",
        *(sa.column(name) for name in ("draw_id", "entity_id", "stratum", "weight", "name", "credit_code")),
        *(sa.column(name) for name in ("subtype", "division_code", "grade", "entity_version")),
        sa.column("flags", sa.JSON),
    )
    for draw_id, pool_text, snapshot in conn.execute(sa.text("SELECT draw_id, pool_text, snapshot FROM draw_pools")):
        lines = zlib.decompress(snapshot).decode().split("\n")
        header = lines[0].split("\t")
        snaps = {}
        for line in filter(None, lines[1:]):
            row = dict(zip(header, map(_unescape, line.split("\t")), strict=True))
            snaps[row["id"]] = row
        rows = []
        for line in filter(None, zlib.decompress(pool_text).decode().split("\n")):
            entity_id, stratum, weight = line.split("\t")
            s = snaps[entity_id]
            rows.append(
                {"draw_id": draw_id, "entity_id": entity_id, "stratum": stratum, "weight": int(weight)}
                | {k: s[k] for k in ("name", "credit_code", "subtype", "division_code", "grade")}
                | {"flags": json.loads(s["flags"] or "{}"), "entity_version": int(s["version"])}
            )
        if rows:
            conn.execute(candidates.insert(), rows)


def downgrade() -> None:
    for table in ("completions", "audit_tree_heads", "audit_entries", "plan_items", "plans"):
        op.drop_table(table)
    _candidates_table()
    _carry_candidates_back()
    op.drop_table("draw_pools")
    with op.batch_alter_table("draws") as batch:
        batch.drop_index("ix_draws_period")
        batch.drop_index("ix_draws_plan_item_id")
        for name, _ in reversed(_DRAW_COLUMNS):
            batch.drop_column(name)
        batch.drop_column("check_type")
