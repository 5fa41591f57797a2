from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

Sector = Literal["entertainment", "special_trade", "security_service", "blasting", "fire_safety", "internet_cafe"]
Status = Literal["assigned", "completed"]
Result = Literal["compliant", "non_compliant", "not_applicable"]
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
Ident = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")]


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
    selections: list[Selection]

    @model_validator(mode="after")
    def _unique_positions(self) -> Self:
        positions = [s.position for s in self.selections]
        if len(set(positions)) != len(positions):
            raise ValueError("selections repeat a position")
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


# --- the API ---


class FindingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_code: str = Field(max_length=80, description="A `code` from this inspection's checklist")
    result: Result
    note: str = Field("", max_length=2000)


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: OutcomeType = Field(description="Every type but no_issues needs a non_compliant finding")
    rectification_deadline: date | None = Field(
        None, description="限期整改 deadline, after today; required for rectification_ordered"
    )
    note: str = Field("", max_length=2000)


class CompletionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "findings": [
                        {"item_code": "internet_cafe.base_data", "result": "compliant"},
                        {"item_code": "internet_cafe.shared_login", "result": "compliant"},
                        {
                            "item_code": "internet_cafe.real_name",
                            "result": "non_compliant",
                            "note": "3 台机器未实名登记",
                        },
                        {"item_code": "internet_cafe.harmful_info", "result": "not_applicable"},
                    ],
                    "outcome": {
                        "type": "rectification_ordered",
                        "rectification_deadline": "2026-12-20",
                        "note": "责令十日内整改",
                    },
                }
            ]
        },
    )

    findings: list[FindingIn] = Field(description="Exactly one finding per checklist item")
    outcome: OutcomeIn


class FindingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    item_code: str
    result: str
    note: str


class OutcomeRead(BaseModel):
    type: str
    rectification_deadline: date | None
    note: str


class InspectionSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    draw_id: str
    position: int
    checking_body: str | None
    period: str
    entity: EntitySnapshot
    team: list[str]
    status: str
    due_date: date
    created_at: datetime
    completed_at: datetime | None


class InspectionRead(InspectionSummary):
    checklist_version: str
    checklist: list[ChecklistItem]
    findings: list[FindingRead]
    outcome: OutcomeRead | None
    completed_by: str | None


class InspectionList(BaseModel):
    items: list[InspectionSummary]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at the end")
