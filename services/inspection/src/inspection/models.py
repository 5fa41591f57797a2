from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspection.db import Base
from shared.db import UtcDateTime
from shared.messaging import BigId

ASSIGNED, AWAITING, COMPLETED = "assigned", "awaiting_confirmation", "completed"


def _inspection_fk() -> Mapped[str]:
    return mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True)


class Inspection(Base):
    """One inspection task: a drawn entity, its assigned team and, once done, the result.

    (draw_id, position) is unique so that a draw can never yield two tasks for one selection,
    whatever path the event took to get here. The row holds the latest confirmed version; every
    version is also kept, unchangeable, in inspection_versions. `draft_content` is what the team is
    confirming now (the first result, or a correction)."""

    __tablename__ = "inspections"
    __table_args__ = (UniqueConstraint("draw_id", "position", name="uq_inspections_draw_position"),)

    id: Mapped[str] = mapped_column(String(14), primary_key=True)
    draw_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    checking_body: Mapped[str | None] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    sector: Mapped[str] = mapped_column(String(32), index=True)
    # The entity as drawn: the result must describe what was checked, not what the registry says later.
    entity: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(24), index=True)
    due_date: Mapped[date] = mapped_column(Date)
    check_type: Mapped[str] = mapped_column(String(20), server_default="on_site")
    joint_departments: Mapped[list[str]] = mapped_column(JSON)
    checklist_version: Mapped[str] = mapped_column(String(40))
    checklist: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, server_default="0")
    outcome_type: Mapped[str | None] = mapped_column(String(30))
    rectification_deadline: Mapped[date | None] = mapped_column(Date)
    outcome_note: Mapped[str | None] = mapped_column(Text)
    outcome_details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    joint_members: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    correction_reason: Mapped[str | None] = mapped_column(Text)
    draft_content: Mapped[dict[str, Any] | None] = mapped_column("draft", JSON)
    draft_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(100))

    members: Mapped[list["TeamMember"]] = relationship(
        order_by="TeamMember.seat", lazy="selectin", cascade="all, delete-orphan"
    )
    findings: Mapped[list["Finding"]] = relationship(
        order_by="Finding.seq", lazy="selectin", cascade="all, delete-orphan"
    )
    rectification: Mapped["Rectification | None"] = relationship(lazy="selectin", cascade="all, delete-orphan")

    @property
    def team(self) -> list[str]:
        return [member.inspector_id for member in self.members]

    @property
    def outcome(self) -> dict[str, Any] | None:
        if self.outcome_type is None:
            return None
        return {
            "type": self.outcome_type,
            "rectification_deadline": self.rectification_deadline,
            "note": self.outcome_note or "",
        } | (self.outcome_details or {})


class TeamMember(Base):
    """A row per officer, so "my inspections" is an indexed lookup and recusal can replace one seat."""

    __tablename__ = "team_members"

    inspection_id: Mapped[str] = _inspection_fk()
    inspector_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    seat: Mapped[int] = mapped_column(Integer)


class Finding(Base):
    """The latest version's result for one checklist item; `seq` keeps the checklist's order."""

    __tablename__ = "findings"

    inspection_id: Mapped[str] = _inspection_fk()
    item_code: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text)
    # SHA-256 digests of evidence files uploaded to this inspection.
    evidence: Mapped[list[str]] = mapped_column(JSON)


class InspectionVersion(Base):
    """A confirmed result, as confirmed: version 1 is the completion, later ones are corrections."""

    __tablename__ = "inspection_versions"

    inspection_id: Mapped[str] = _inspection_fk()
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    confirmed_by: Mapped[list[str]] = mapped_column(JSON)
    completed_by: Mapped[str] = mapped_column(String(100))
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Confirmation(Base):
    """An officer's confirmation of one exact draft (by digest): editing the draft voids it."""

    __tablename__ = "confirmations"

    inspection_id: Mapped[str] = _inspection_fk()
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspector_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    draft_sha256: Mapped[str] = mapped_column(String(64))
    caller: Mapped[str] = mapped_column(String(100))
    confirmed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Evidence(Base):
    """An uploaded evidence file; the bytes live in the evidence store under their SHA-256."""

    __tablename__ = "evidence"

    inspection_id: Mapped[str] = _inspection_fk()
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    inspector_id: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Recusal(Base):
    """A conflict declared at the door and the substitute the draw service drew for it."""

    __tablename__ = "recusals"

    inspection_id: Mapped[str] = _inspection_fk()
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    recused_inspector_id: Mapped[str] = mapped_column(String(64))
    substitute_inspector_id: Mapped[str] = mapped_column(String(64))
    seat: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Rectification(Base):
    """A 限期整改 order being followed up: open -> rectified / not_rectified, or overdue first."""

    __tablename__ = "rectifications"
    __table_args__ = (Index("ix_rectifications_status_deadline", "status", "deadline"),)

    inspection_id: Mapped[str] = _inspection_fk()
    deadline: Mapped[date] = mapped_column(Date)
    item_codes: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    ordered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    overdue_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    escalation: Mapped[str | None] = mapped_column(String(20))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rectified: Mapped[bool | None] = mapped_column(Boolean)
    reinspection_id: Mapped[str | None] = mapped_column(String(16))


class Reinspection(Base):
    """A re-inspection (复查) of an ordered rectification: rectified or not."""

    __tablename__ = "reinspections"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    rectified: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[str]] = mapped_column(JSON)
    inspector_id: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class HistoryEntry(Base):
    """The audit trail: one row per step, appended, never changed."""

    __tablename__ = "inspection_history"
    __table_args__ = (Index("ix_inspection_history_inspection_id_id", "inspection_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(100))
    inspector_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
