"""Pydantic I/O of the internal API and of the events consumed (public shapes: public_schemas)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Status = Literal["pending", "published", "rejected", "withheld", "withdrawn"]
FindingResult = Literal["compliant", "non_compliant", "not_applicable"]
OutcomeType = Literal[
    "no_issues",
    "rectification_ordered",
    "penalty_warning",
    "penalty_fine",
    "suspension",
    "licence_revoked",
    "criminal_referral",
    "listed_supervision",
    "blacklisted",
]
SanctionType = Literal["penalty_warning", "penalty_fine", "suspension", "licence_revoked", "criminal_referral"]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class EntitySnapshot(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    credit_code: str = Field(min_length=1, max_length=18)
    sector: str = Field(min_length=1, max_length=32)


class Finding(BaseModel):
    item_code: str = Field(min_length=1, max_length=120)
    result: FindingResult
    note: str = Field("", max_length=2000)


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
    version: int = Field(1, ge=1, description="A confirmed correction re-sends the event with the next version")


class InspectionSanctioned(BaseModel):
    """`ssj.inspection.sanctioned`: a penalty decided after the inspection."""

    inspection_id: str = Field(min_length=1, max_length=64)
    entity: EntitySnapshot
    at: datetime
    sanction: SanctionType
    fine_yuan: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    note: str = Field("", max_length=2000)


class BlacklistedPerson(BaseModel):
    """As the event carries it; the ID number is read only to be dropped."""

    name: str = Field(min_length=1, max_length=60)
    id_number: str | None = None
    role: str = Field("", max_length=60)


class InspectionBlacklisted(BaseModel):
    """`ssj.inspection.blacklisted`: a café and its responsible people on the blacklist."""

    inspection_id: str = Field(min_length=1, max_length=64)
    entity: EntitySnapshot
    at: datetime
    until: date
    restrictions: list[str] = Field(default_factory=list, max_length=20)
    persons: list[BlacklistedPerson] = Field(default_factory=list, max_length=50)


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"note": "经科室负责人审核同意公开"}]})

    note: str | None = Field(
        None, max_length=500, description="Why it may be published (kept internally; required for blasting units)"
    )


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "整改期限有误，退回核实"}]})

    reason: Reason = Field(description="Why it may not be published (kept internally, never public)")


class WithholdIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "涉及爆炸物品储存库位置，不宜公开"}]}
    )

    reason: Reason = Field(description="Why this blasting-unit result is not made public (kept internally)")


class CorrectedFields(BaseModel):
    """What a correction changes: the outcome, the findings, or both (redacted before release)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome | None = None
    findings: list[Finding] | None = Field(None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _something(self) -> "CorrectedFields":
        if self.outcome is None and self.findings is None:
            raise ValueError("a correction changes the outcome, the findings, or both")
        if self.outcome is not None and self.outcome.type == "rectification_ordered":
            if self.outcome.rectification_deadline is None:
                raise ValueError("rectification_ordered needs outcome.rectification_deadline")
        return self


class CorrectionIn(CorrectedFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reason": "复核发现整改期限录入错误，予以更正",
                    "outcome": {"type": "rectification_ordered", "rectification_deadline": "2027-01-15", "note": ""},
                }
            ]
        },
    )

    reason: Reason = Field(description="Published with the correction (更正说明)")


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "该结果系误发布，予以撤回"}]})

    reason: Reason = Field(description="Published with the withdrawal (撤回说明)")


class AppealDecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"decision": "dismissed", "reason": "经复核，检查结论事实清楚"},
                {
                    "decision": "upheld",
                    "reason": "申诉成立：第3项实际符合要求",
                    "correction": {"findings": [{"item_code": "internet_cafe.real_name", "result": "compliant"}]},
                },
            ]
        },
    )

    decision: Literal["upheld", "dismissed"]
    reason: Reason = Field(description="Upheld: published with the correction. Dismissed: kept internally")
    correction: CorrectedFields | None = Field(None, description="Required when upheld: what the correction changes")

    @model_validator(mode="after")
    def _upheld_needs_correction(self) -> "AppealDecisionIn":
        if self.decision == "upheld" and self.correction is None:
            raise ValueError("an upheld appeal needs `correction`: what the correction release changes")
        return self


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
    publication_deadline: date | None = Field(description="公开期限: 20 working days after completion")
    inspection_version: int = Field(description="The inspection result version this record holds")
    public_preview: PublicPreview
    release: int | None = Field(description="The latest release number once published")
    appeal_code: str | None = Field(
        None, description="Only in the approval's answer, once: print it on the entity's notice (申诉码)"
    )


class ResultList(BaseModel):
    items: list[ResultRead]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at the end")


class AppealRead(BaseModel):
    id: str
    result_id: str
    statement: str
    filed_at: datetime
    status: Literal["filed", "upheld", "dismissed"]
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str | None
    release_number: int | None


class AppealList(BaseModel):
    items: list[AppealRead]
    next_cursor: str | None
