"""Registry tables. Every content change takes numbers from one change counter (`seq`) and leaves a
version row, so any past state can be read back exactly: that is what a draw's snapshot id names."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base
from shared.db import UtcDateTime
from shared.messaging import BigId


class ChangeCounter(Base):
    """One row per counter; writers bump it with UPDATE, whose row lock orders their commits."""

    __tablename__ = "change_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class EntityContent:
    """The columns an entity and each of its versions both hold."""

    sector: Mapped[str] = mapped_column(String(32))
    subtype: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18))
    division_code: Mapped[str] = mapped_column(String(6))
    grade: Mapped[str | None] = mapped_column(String(1))
    flags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    legal_rep_name: Mapped[str | None] = mapped_column(String(50))
    legal_rep_id_number: Mapped[str | None] = mapped_column(String(18))
    address: Mapped[str | None] = mapped_column(String(200))
    established_date: Mapped[date | None] = mapped_column(Date)
    closed_date: Mapped[date | None] = mapped_column(Date)
    source_ref: Mapped[str | None] = mapped_column(String(64))
    source_version: Mapped[str | None] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))


class InspectorContent:
    """The columns an inspector and each of its versions both hold."""

    name: Mapped[str] = mapped_column(String(100))
    jurisdiction: Mapped[str] = mapped_column(String(6))
    qualification_expires_date: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    conflicts: Mapped[list[str]] = mapped_column(JSON, default=list)
    unit_name: Mapped[str | None] = mapped_column(String(100))
    qualifications: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    conflict_details: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    source_ref: Mapped[str | None] = mapped_column(String(64))
    source_version: Mapped[str | None] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))


class Current:
    """A row as it is now: its version, change number and when it stopped being active."""

    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    seq: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    deactivated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Version:
    """Valid from `seq` until `superseded_seq` (exclusive; null while current)."""

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    superseded_seq: Mapped[int | None] = mapped_column(BigInteger)
    change: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    run_id: Mapped[str | None] = mapped_column(String(40))


class Entity(EntityContent, Current, Base):
    __tablename__ = "entities"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str | None] = mapped_column(String(32), index=True)


class EntityVersion(EntityContent, Version, Base):
    __tablename__ = "entity_versions"
    # The relay reads a bulk write's versions back by change number (registry.events). Versions
    # are appended in change order, so a BRIN index finds them at almost no cost per insert.
    __table_args__ = (Index("ix_entity_versions_seq", "seq", postgresql_using="brin"),)

    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str | None] = mapped_column(String(32))


class Inspector(InspectorContent, Current, Base):
    __tablename__ = "inspectors"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit: Mapped[str] = mapped_column(String(40), index=True)
    source: Mapped[str | None] = mapped_column(String(32), index=True)


class InspectorVersion(InspectorContent, Version, Base):
    __tablename__ = "inspector_versions"

    inspector_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit: Mapped[str] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(String(32))


class RiskSignal(Base):
    """One dated fact that raises an entity's inspection priority. Never deleted: a signal that stops
    applying (delisted, rectified, blacklist lifted) gets an end date and `ended_seq`."""

    __tablename__ = "risk_signals"
    __table_args__ = (UniqueConstraint("entity_id", "kind", "origin", "ref", name="uq_risk_signals_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    occurred_date: Mapped[date] = mapped_column(Date)
    ended_date: Mapped[date | None] = mapped_column(Date)
    origin: Mapped[str] = mapped_column(String(40))
    ref: Mapped[str] = mapped_column(String(120))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_seq: Mapped[int] = mapped_column(BigInteger)
    ended_seq: Mapped[int | None] = mapped_column(BigInteger)


class SyncRun(Base):
    """A sync of one source, or one bulk import. At most one queued or running sync per source."""

    __tablename__ = "sync_runs"
    __table_args__ = (
        Index(
            "uq_sync_runs_one_active",
            "source",
            unique=True,
            postgresql_where=text("status IN ('queued', 'running')"),
            sqlite_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source: Mapped[str] = mapped_column(String(32), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(40))
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    since: Mapped[str | None] = mapped_column(String(64))
    watermark: Mapped[str | None] = mapped_column(String(64))
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    records_seen: Mapped[int] = mapped_column(Integer, default=0)
    records_total: Mapped[int | None] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    deactivated: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    resumes: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class SyncError(Base):
    """One rejected record of a run: where it was, which field, why."""

    __tablename__ = "sync_errors"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(40), index=True)
    row: Mapped[int | None] = mapped_column(Integer)
    source_ref: Mapped[str | None] = mapped_column(String(64))
    field: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)


class SyncSeen(Base):
    """What a full run has seen so far: whatever of the source's is missing at the end has vanished."""

    __tablename__ = "sync_seen"

    run_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
