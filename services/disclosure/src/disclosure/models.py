"""Results awaiting approval, the immutable releases made from them, and the public feed.

A result holds everything the inspection reported (including what must never be public, such as
the team); what the public may see is computed once, redacted, into `public_findings` and
`public_outcome`, and frozen into a release when an approver publishes it."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from disclosure.db import Base

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Result(Base):
    __tablename__ = "results"
    __table_args__ = (Index("ix_results_received_at_id", "received_at", "id"),)

    id: Mapped[str] = mapped_column(String(14), primary_key=True)
    inspection_id: Mapped[str] = mapped_column(String(64), unique=True)
    draw_id: Mapped[str | None] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    entity: Mapped[dict[str, Any]] = mapped_column(JSON)
    sector: Mapped[str] = mapped_column(String(32), index=True)
    team: Mapped[list[str]] = mapped_column(JSON)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON)
    public_findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    public_outcome: Mapped[dict[str, Any]] = mapped_column(JSON)
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decision_note: Mapped[str | None] = mapped_column(Text)


class Release(Base):
    """One published version of a result; corrections will add number 2, 3, … never edit."""

    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("result_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)


class FeedEntry(Base):
    """A release's place in the public feed. Inserted with no position by the approver; the
    sequencer numbers entries after they commit, so a reader can never overtake a gap."""

    __tablename__ = "feed_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), unique=True)
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"), index=True)
    position: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    positioned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The approval's trace, so the published event continues it although the sequencer sends it.
    traceparent: Mapped[str | None] = mapped_column(String(55))
