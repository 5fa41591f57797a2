"""Pydantic I/O: the consumed draw event, the registry catalog, and what the API reads back.
What officers submit (findings, outcomes, corrections) is in submissions.py."""

from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Sector = Literal["entertainment", "special_trade", "security_service", "blasting", "fire_safety", "internet_cafe"]
Status = Literal["assigned", "awaiting_confirmation", "completed"]
CheckType = Literal["on_site", "online_patrol", "joint"]
Ident = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")]
Department = Annotated[str, Field(pattern=r"^[a-z][a-z_]{1,39}$", description="e.g. education, health, quality")]


# --- ssj.draw.executed, as docs/events.md defines it (extra attributes are tolerated) ---


class EntitySnapshot(BaseModel):
    id: Ident
    name: str = Field(min_length=1, max_length=200)
    credit_code: str = Field(min_length=1, max_length=18)
    sector: Sector
    subtype: str = Field(min_length=1, max_length=32)
    division_code: str = Field(min_length=1, max_length=6)
    grade: str | None = None
    flags: dict[str, bool] = Field(default_factory=dict)


class Selection(BaseModel):
    position: int = Field(ge=1)
    entity_id: Ident
    stratum: str | None = None
    team: list[Ident] = Field(min_length=1)
    entity: EntitySnapshot

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.entity.id != self.entity_id:
            raise ValueError(f"entity.id {self.entity.id!r} differs from entity_id {self.entity_id!r}")
        if len(set(self.team)) != len(self.team):
            raise ValueError(f"team of position {self.position} names an officer twice")
        return self


class DrawExecuted(BaseModel):
    draw_id: Ident
    period: str = Field(min_length=1, max_length=20)
    checking_body: str | None = Field(None, max_length=40)
    due_date: date | None = None
    check_type: CheckType = "on_site"
    joint_departments: list[Department] = Field(default_factory=list)
    selections: list[Selection]

    @field_validator("joint_departments", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return [] if value is None else value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        positions = [s.position for s in self.selections]
        if len(set(positions)) != len(positions):
            raise ValueError("selections repeat a position")
        if len(set(self.joint_departments)) != len(self.joint_departments):
            raise ValueError("joint_departments names a department twice")
        if (self.check_type == "joint") != bool(self.joint_departments):
            raise ValueError("a joint check names its departments, and only a joint check does")
        return self


# --- the registry's public catalog ---


class ChecklistItem(BaseModel):
    code: str = Field(min_length=1, max_length=80)
    name_zh: str
    name_en: str


class Checklist(BaseModel):
    version: str = Field(min_length=1, max_length=40)
    sector: str
    items: list[ChecklistItem] = Field(min_length=1)


# --- what the API reads back ---


class FindingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    item_code: str
    result: str
    note: str
    evidence: list[str] = Field(description="SHA-256 digests of this inspection's evidence files")


class OutcomeRead(BaseModel):
    type: str
    rectification_deadline: date | None
    note: str
    fine_yuan: float | None = None
    hazard: str | None = None
    blacklist: dict[str, Any] | None = None
    credit_entries: list[dict[str, Any]] | None = None


class DraftRead(BaseModel):
    version: int = Field(description="1 for the first result; higher for a correction")
    sha256: str = Field(description="Confirm exactly this digest: any edit changes it")
    content: dict[str, Any]
    confirmed_by: list[str]
    awaiting: list[str] = Field(description="Team members who have not confirmed this draft yet")


class RectificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    deadline: date
    item_codes: list[str]
    status: Literal["open", "overdue", "rectified", "not_rectified"]
    version: int
    ordered_at: datetime
    overdue_at: datetime | None
    escalation: str | None
    closed_at: datetime | None
    rectified: bool | None
    reinspection_id: str | None


class InspectionSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    draw_id: str
    position: int
    checking_body: str | None
    period: str
    entity: EntitySnapshot
    team: list[str]
    status: Status
    due_date: date
    check_type: CheckType
    joint_departments: list[str]
    version: int = Field(description="Confirmed versions so far: 0 until completed, >1 after corrections")
    created_at: datetime
    completed_at: datetime | None


class InspectionRead(InspectionSummary):
    checklist_version: str
    checklist: list[ChecklistItem]
    findings: list[FindingRead]
    outcome: OutcomeRead | None
    joint_members: list[dict[str, str]] | None
    correction_reason: str | None
    completed_by: str | None
    draft: DraftRead | None = None
    rectification: RectificationRead | None


class InspectionList(BaseModel):
    items: list[InspectionSummary]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at the end")


class VersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    draft_sha256: str
    content: dict[str, Any]
    confirmed_by: list[str]
    completed_by: str
    completed_at: datetime


class HistoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    action: str
    actor: str = Field(description="The calling system's name")
    inspector_id: str | None = Field(description="The officer who acted, when one did")
    detail: dict[str, Any]


class HistoryList(BaseModel):
    items: list[HistoryRead]
    next_cursor: str | None


class EvidenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sha256: str
    filename: str
    content_type: str
    size_bytes: int
    inspector_id: str
    uploaded_at: datetime


class RecusalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sequence: int
    recused_inspector_id: str
    substitute_inspector_id: str
    seat: int
    reason: str
    declared_at: datetime


class ReinspectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    inspection_id: str
    rectified: bool
    note: str
    evidence: list[str]
    inspector_id: str
    recorded_at: datetime
