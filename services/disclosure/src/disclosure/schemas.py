from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Status = Literal["pending", "published", "rejected"]
FindingResult = Literal["compliant", "non_compliant", "not_applicable"]


class EntitySnapshot(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    credit_code: str = Field(min_length=1, max_length=18)
    sector: str = Field(min_length=1, max_length=32)


class Finding(BaseModel):
    item_code: str = Field(min_length=1, max_length=120)
    result: FindingResult
    note: str = ""


class Outcome(BaseModel):
    type: str = Field(min_length=1, max_length=40)
    rectification_deadline: date | None = None
    note: str = ""


class InspectionCompleted(BaseModel):
    """The data of `ssj.inspection.completed` as docs/events.md defines it (extra fields ignored)."""

    inspection_id: str = Field(min_length=1, max_length=64)
    draw_id: str | None = Field(None, max_length=64)
    entity: EntitySnapshot
    team: list[str] = Field(default_factory=list)
    findings: list[Finding]
    outcome: Outcome
    completed_at: datetime


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"note": "经科室负责人审核同意公开"}]})

    note: str | None = Field(None, max_length=500, description="Why it may be published (kept internally)")


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "整改期限有误，退回核实"}]})

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] = Field(
        description="Why it may not be published (kept internally, never public)"
    )


class PublicPreview(BaseModel):
    """Exactly the redacted fields a release would publish, for the approver to check."""

    findings: list[dict[str, Any]]
    outcome: dict[str, Any]


class ResultRead(BaseModel):
    id: str
    inspection_id: str
    draw_id: str | None
    status: Status
    entity: dict[str, Any]
    sector: str
    team: list[str] = Field(description="Inspector ids: internal only, never published")
    findings: list[dict[str, Any]]
    outcome: dict[str, Any]
    completed_at: datetime
    received_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str | None
    public_preview: PublicPreview
    release: int | None = Field(description="The latest release number once published")


class ResultList(BaseModel):
    items: list[ResultRead]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at the end")


class PublicEntity(BaseModel):
    name: str
    credit_code: str = Field(description="统一社会信用代码")
    sector: str


class PublicFinding(BaseModel):
    item_code: str
    result: FindingResult
    note: str = Field(description="Redacted: ID-card and phone numbers removed")


class PublicResult(BaseModel):
    position: int | None = Field(description="Place in the public feed; null for the moment before sequencing")
    result_id: str
    release: int
    published_at: datetime
    entity: PublicEntity
    sector_name_zh: str
    completed_at: datetime
    outcome: str
    rectification_deadline: date | None
    outcome_note: str
    findings: list[PublicFinding]


class FeedPage(BaseModel):
    items: list[PublicResult]
    next: str = Field(description="Always present; on the last page it is where new items will appear")
