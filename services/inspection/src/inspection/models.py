from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspection.db import Base


class Inspection(Base):
    """One inspection task: a drawn entity, its assigned team and, once done, the result.

    (draw_id, position) is unique so that a draw can never yield two tasks for one selection,
    whatever path the event took to get here."""

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
    checklist_version: Mapped[str] = mapped_column(String(40))
    checklist: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    outcome_type: Mapped[str | None] = mapped_column(String(30))
    rectification_deadline: Mapped[date | None] = mapped_column(Date)
    outcome_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by: Mapped[str | None] = mapped_column(String(100))

    members: Mapped[list["TeamMember"]] = relationship(
        order_by="TeamMember.seat", lazy="selectin", cascade="all, delete-orphan"
    )
    findings: Mapped[list["Finding"]] = relationship(
        order_by="Finding.seq", lazy="selectin", cascade="all, delete-orphan"
    )

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
        }


class TeamMember(Base):
    """A row per officer, so "my inspections" is an indexed lookup and recusal can replace one seat."""

    __tablename__ = "team_members"

    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True)
    inspector_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    seat: Mapped[int] = mapped_column(Integer)


class Finding(Base):
    """The result for one checklist item; `seq` keeps the checklist's order."""

    __tablename__ = "findings"

    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text)
