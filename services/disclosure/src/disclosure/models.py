"""Results awaiting approval, the immutable releases made from them, and the public feed.

A result holds everything the inspection reported (including what must never be public, such as
the team); what the public may see is computed, redacted, into `public_findings` and
`public_outcome`, and frozen into a release when an approver publishes it. A correction,
penalty, statement or withdrawal is a new release that refers to an earlier one: releases are
never edited. `public_views` is the read model of the current compiled view, for search."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from disclosure.db import Base
from shared.db import UtcDateTime

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
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decision_note: Mapped[str | None] = mapped_column(Text)
    # 20 working days after completion on the configured calendar (内部审批 must finish by then).
    publication_deadline: Mapped[date | None] = mapped_column(Date, index=True)
    # The appeal code printed on the entity's notice, as SHA-256 of "result id:code" only.
    appeal_code_sha256: Mapped[str | None] = mapped_column(String(64))
    # The inspection's result version (a confirmed correction re-sends the completed event).
    inspection_version: Mapped[int] = mapped_column(Integer, server_default="1")


class Release(Base):
    """One published version of a result: `original`, then `correction`, `penalty`, `statement`
    or `withdrawal`, each referring to the release it follows up. Never edited."""

    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("result_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)
    approved_by: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), server_default="original")
    refers_to: Mapped[int | None] = mapped_column(Integer)


class FeedEntry(Base):
    """A release's place in the public feed. Inserted with no position by the approver; the
    sequencer numbers entries after they commit, so a reader can never overtake a gap."""

    __tablename__ = "feed_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), unique=True)
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"), index=True)
    position: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    positioned_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    # The approval's trace, so the published event continues it although the sequencer sends it.
    traceparent: Mapped[str | None] = mapped_column(String(55))


class PublicView(Base):
    """The current compiled view of a published (or withdrawn) result: what search reads."""

    __tablename__ = "public_views"
    __table_args__ = (Index("ix_public_views_completed_at_result_id", "completed_at", "result_id"),)

    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"), primary_key=True)
    entity_name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    sector: Mapped[str] = mapped_column(String(32), index=True)
    outcome: Mapped[str] = mapped_column(String(40), index=True)
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    latest_release: Mapped[int] = mapped_column(Integer)
    first_published_at: Mapped[datetime] = mapped_column(UtcDateTime)
    view: Mapped[dict[str, Any]] = mapped_column(JSON)


class Sanction(Base):
    """A penalty decided after an inspection (ssj.inspection.sanctioned), kept by inspection id
    because it may arrive before or after the completed inspection it belongs to."""

    __tablename__ = "sanctions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(200), unique=True)
    inspection_id: Mapped[str] = mapped_column(String(64), index=True)
    sanction: Mapped[str] = mapped_column(String(40))
    fine_yuan: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    note: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Appeal(Base):
    """An inspected entity's appeal (申诉) against a published result."""

    __tablename__ = "appeals"

    id: Mapped[str] = mapped_column(String(14), primary_key=True)
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"), index=True)
    statement: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    release_number: Mapped[int | None] = mapped_column(Integer)


class BlacklistEntry(Base):
    """A café and its responsible people on the blacklist (黑名单) until a date. `persons` keeps
    names and roles for redaction (never ID numbers); the public sees `public_persons`."""

    __tablename__ = "blacklist_entries"

    id: Mapped[str] = mapped_column(String(14), primary_key=True)
    inspection_id: Mapped[str] = mapped_column(String(64), unique=True)
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    entity: Mapped[dict[str, Any]] = mapped_column(JSON)
    persons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    public_persons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    restrictions: Mapped[list[str]] = mapped_column(JSON)
    listed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    until: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class BlacklistRelease(Base):
    """The listing's own immutable releases: `listed`, then `lifted` when the period ends."""

    __tablename__ = "blacklist_releases"
    __table_args__ = (UniqueConstraint("entry_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("blacklist_entries.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)
