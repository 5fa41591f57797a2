from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from draw.db import Base, UtcDateTime

COMMITTED, EXECUTED, VOIDED = "committed", "executed", "voided"
PLANNED = "planned"


class Draw(Base):
    """One draw: its plan, the commitment published before randomness exists, and its outcome."""

    __tablename__ = "draws"
    __table_args__ = (Index("ix_draws_created_at_id", "created_at", "id"), Index("ix_draws_period", "period"))

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    sector: Mapped[str] = mapped_column(String(32))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    quota_rule: Mapped[dict[str, Any]] = mapped_column(JSON)
    quotas: Mapped[dict[str, int]] = mapped_column(JSON)
    team_size: Mapped[int] = mapped_column(Integer)
    entropy_source: Mapped[str] = mapped_column(String(500))
    period: Mapped[str | None] = mapped_column(String(16))
    due_date: Mapped[date | None] = mapped_column(Date)
    checking_body: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    pool_size: Mapped[int] = mapped_column(Integer)
    inspector_count: Mapped[int] = mapped_column(Integer)
    commitment: Mapped[str] = mapped_column(Text)
    commitment_sha256: Mapped[str] = mapped_column(String(64))
    # Hex of the 32 secret bytes: leaves this table only in the record, once the draw has run.
    server_secret: Mapped[str] = mapped_column(String(64))
    external_entropy: Mapped[str | None] = mapped_column(Text)
    seed: Mapped[str | None] = mapped_column(String(64))
    committed_by: Mapped[str] = mapped_column(String(120))
    executed_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    executed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The checking body's area: 210400 for the city bureau, else the county or district.
    jurisdiction: Mapped[str | None] = mapped_column(String(6))
    check_type: Mapped[str] = mapped_column(String(16), default="on_site", server_default="on_site")
    joint_departments: Mapped[list[str] | None] = mapped_column(JSON)
    plan_item_id: Mapped[str | None] = mapped_column(String(16), index=True)
    rule_code: Mapped[str | None] = mapped_column(String(40))
    rules_version: Mapped[str | None] = mapped_column(String(40))
    risk_policy: Mapped[str | None] = mapped_column(String(16))
    risk_summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Pool size per stratum at the freeze: what coverage rules require.
    strata: Mapped[dict[str, int] | None] = mapped_column(JSON)
    void_reason: Mapped[str | None] = mapped_column(Text)
    void_requested_by: Mapped[str | None] = mapped_column(String(120))
    void_requested_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    voided_by: Mapped[str | None] = mapped_column(String(120))
    voided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    replaces: Mapped[str | None] = mapped_column(String(16))
    replaced_by: Mapped[str | None] = mapped_column(String(16))

    @property
    def record_url(self) -> str:
        return f"/v1/draws/{self.id}/record"


class DrawPool(Base):
    """The frozen target pool (frozen.py): the §1 pool text and the registry snapshot, compressed."""

    __tablename__ = "draw_pools"

    draw_id: Mapped[str] = mapped_column(ForeignKey("draws.id", ondelete="CASCADE"), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    pool_text: Mapped[bytes] = mapped_column(LargeBinary)
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)


class DrawInspector(Base):
    """A frozen inspector-pool row: who could be assigned, and whom they are recused from."""

    __tablename__ = "draw_inspectors"

    draw_id: Mapped[str] = mapped_column(ForeignKey("draws.id", ondelete="CASCADE"), primary_key=True)
    inspector_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(40))
    conflicts: Mapped[list[str]] = mapped_column(JSON)
    inspector_version: Mapped[int] = mapped_column(Integer)


class DrawSelection(Base):
    __tablename__ = "draw_selections"

    draw_id: Mapped[str] = mapped_column(ForeignKey("draws.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(64))
    stratum: Mapped[str] = mapped_column(String(100))
    team: Mapped[list[str]] = mapped_column(JSON)


class Plan(Base):
    """A manual plan: a special campaign (专项) or a joint check with other departments (联合抽查)."""

    __tablename__ = "plans"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(String(16))
    joint_departments: Mapped[list[str] | None] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PlanItem(Base):
    """One planned draw: what a rule (or a manual plan) requires, until it is committed as a draw.
    A rule's draw for one rule period, body and round exists once, however often plans are generated."""

    __tablename__ = "plan_items"
    __table_args__ = (
        UniqueConstraint("rule_code", "rule_period", "jurisdiction", "round", name="uq_plan_items_rule_round"),
        Index("ix_plan_items_period", "period"),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    plan_id: Mapped[str | None] = mapped_column(ForeignKey("plans.id"))
    rule_code: Mapped[str | None] = mapped_column(String(40))
    rule_period: Mapped[str | None] = mapped_column(String(16))
    round: Mapped[int | None] = mapped_column(Integer)
    rules_version: Mapped[str | None] = mapped_column(String(40))
    jurisdiction: Mapped[str | None] = mapped_column(String(6))
    period: Mapped[str] = mapped_column(String(16))
    due_date: Mapped[date | None] = mapped_column(Date)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    draw_id: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditEntry(Base):
    """One leaf of the audit log: a commit, execution or void, as canonical JSON."""

    __tablename__ = "audit_entries"

    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    draw_id: Mapped[str] = mapped_column(String(16), index=True)
    data: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TreeHead(Base):
    """A signed tree head, one per tree size; the newest also keeps the right edge for appends."""

    __tablename__ = "audit_tree_heads"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[str] = mapped_column(String(64))
    timestamp: Mapped[int] = mapped_column(BigInteger)
    origin: Mapped[str] = mapped_column(String(200))
    signature: Mapped[str] = mapped_column(String(100))
    checkpoint: Mapped[str] = mapped_column(Text)
    frontier: Mapped[list[Any]] = mapped_column(JSON)


class Completion(Base):
    """An inspection of a drawn entity reported done (ssj.inspection.completed)."""

    __tablename__ = "completions"
    __table_args__ = (Index("ix_completions_draw_position", "draw_id", "position"),)

    inspection_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    draw_id: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    entity_id: Mapped[str] = mapped_column(String(64))
    check_type: Mapped[str | None] = mapped_column(String(16))
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)
