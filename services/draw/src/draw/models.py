from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from draw.db import Base, UtcDateTime

COMMITTED, EXECUTED = "committed", "executed"


class Draw(Base):
    """One draw: its plan, the commitment published before randomness exists, and its outcome."""

    __tablename__ = "draws"
    __table_args__ = (Index("ix_draws_created_at_id", "created_at", "id"),)

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

    @property
    def record_url(self) -> str:
        return f"/v1/draws/{self.id}/record"


class DrawCandidate(Base):
    """A frozen target-pool row, with the registry snapshot that inspection will need."""

    __tablename__ = "draw_candidates"

    draw_id: Mapped[str] = mapped_column(ForeignKey("draws.id", ondelete="CASCADE"), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    stratum: Mapped[str] = mapped_column(String(100))
    weight: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18))
    subtype: Mapped[str] = mapped_column(String(32))
    division_code: Mapped[str] = mapped_column(String(6))
    grade: Mapped[str | None] = mapped_column(String(1))
    flags: Mapped[dict[str, bool]] = mapped_column(JSON)
    entity_version: Mapped[int] = mapped_column(Integer)


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
