"""Pydantic I/O of rules, plans and plan items."""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from draw.schemas import Department, DrawSpec, OneLine, PeriodCode

PERIOD = "2026, 2026-H2, 2026-Q4 or 2026-11"


class RuleRead(BaseModel):
    code: str
    title: str
    seed_ref: str
    sector: str
    strata: list[str]
    checking_body: str
    level: Literal["city", "county"]
    period: str
    rounds: int
    coverage: bool = Field(description="True: every entity of the stratum each round (quota all)")
    percent: float | None = Field(description="Sampling rules: at least this % of each stratum per round")
    team_size: int
    check_types: list[str]
    inspectors_from: str
    configurable: bool


class RuleTableRead(BaseModel):
    version: str
    counties: list[str]
    rules: list[RuleRead]


class GenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"period": "2026-Q4"}]})

    period: PeriodCode = Field(description=PERIOD)
    rules: list[str] | None = Field(None, min_length=1, description="Only these rules (default: every rule)")


class PlanItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    plan_id: str | None
    rule_code: str | None
    rule_period: str | None
    round: int | None
    rules_version: str | None
    jurisdiction: str | None
    period: str
    due_date: date | None
    spec: dict[str, Any] = Field(description="The draw to commit: sector, filters, quota, team, check type…")
    status: Literal["planned", "committed", "empty"] = Field(
        description="empty: no active entity matched when it was committed, nothing to check"
    )
    draw_id: str | None
    created_at: datetime


class GenerateResult(BaseModel):
    period: str
    rules_version: str
    created: int = Field(description="Items created by this call (0 when the period was generated before)")
    items: list[PlanItemRead]


class PlanCreate(BaseModel):
    """A manual plan: a special campaign (专项行动: major holidays, key areas, the hot season for
    flammable/explosive enterprises) or a joint check with other departments (联合抽查)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "joint",
                    "title": "2026 国庆 学校周边消防联合抽查",
                    "reason": "国庆节前联合教育部门对学校周边人员密集场所开展消防安全联合抽查",
                    "period": "2026-Q4",
                    "joint_departments": ["education"],
                    "items": [
                        {
                            "title": "学校周边人员密集场所",
                            "sector": "fire_safety",
                            "flags": ["crowded_place"],
                            "inspector_units": ["fire_supervision"],
                            "quota": {"percent": 20},
                            "period": "2026-Q4",
                            "due_date": "2026-09-30",
                            "checking_body": "fire_supervision",
                        }
                    ],
                }
            ]
        },
    )

    kind: Literal["campaign", "joint"]
    title: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000, description="Why: the holiday, key area, season or request")
    period: PeriodCode = Field(description=PERIOD)
    joint_departments: list[Department] | None = Field(
        None, min_length=1, validate_default=True, description="Required for joint plans; every item checks jointly"
    )
    items: list[DrawSpec] = Field(min_length=1, max_length=500)

    @field_validator("joint_departments")
    @classmethod
    def _joint(cls, value: list[str] | None, info: Any) -> list[str] | None:
        if info.data.get("kind") == "joint" and not value:
            raise ValueError("a joint plan names the departments that join it")
        if value and info.data.get("kind") != "joint":
            raise ValueError("only a joint plan has joint departments")
        return value


class PlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    title: str
    reason: str
    period: str
    joint_departments: list[str] | None
    created_by: str
    created_at: datetime
    items: list[PlanItemRead] = []


class PlanItemList(BaseModel):
    items: list[PlanItemRead]
    next_cursor: str | None


class CommitItems(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"period": "2026-11", "entropy_source": "drand quicknet round 23456789 (2026-11-01 02:00 UTC)"}
            ]
        },
    )

    item_ids: list[str] | None = Field(None, min_length=1, max_length=500, description="These planned items…")
    period: PeriodCode | None = Field(None, validate_default=True, description="…or every planned item of this period")
    due_by: date | None = Field(None, description="With period: only items due by this date")
    entropy_source: OneLine = Field(min_length=1, max_length=500, description="Public randomness every draw will use")

    @field_validator("period")
    @classmethod
    def _one_selector(cls, value: str | None, info: Any) -> str | None:
        if (value is None) == (info.data.get("item_ids") is None):
            raise ValueError("give exactly one of item_ids or period")
        return value


class CommitResult(BaseModel):
    item_id: str
    status: str
    draw_id: str | None = None
    error: dict[str, Any] | None = Field(None, description="Why this item could not be committed (problem+json)")


class CommitResults(BaseModel):
    results: list[CommitResult]
