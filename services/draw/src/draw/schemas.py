from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from draw import periods

Sector = Literal["entertainment", "special_trade", "security_service", "blasting", "fire_safety", "internet_cafe"]
Unit = Literal[
    "city_public_order",
    "county_public_order",
    "police_station",
    "fire_supervision",
    "network_security",
    "blasting_supervision",
]
Grade = Literal["A", "B", "C"]
CheckType = Literal["on_site", "online_patrol", "joint"]
Department = Literal["education", "health", "work_safety", "quality", "market_regulation", "culture_enforcement"]
RiskPolicy = Literal["risk-v1", "none"]
Division = Literal["210400", "210402", "210403", "210404", "210411", "210421", "210422", "210423"]
Flag = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


def _one_line(value: str) -> str:
    # The commitment text is line-based: a line break here would forge an extra commitment line.
    if "\n" in value or "\r" in value:
        raise ValueError("must be a single line (no CR or LF)")
    return value


OneLine = Annotated[str, AfterValidator(_one_line)]


def _period(value: str) -> str:
    periods.parse(value)  # ValueError names the accepted forms and years
    return value


PeriodCode = Annotated[str, Field(pattern=periods.PATTERN), AfterValidator(_period)]


class QuotaRule(BaseModel):
    """How many entities to draw from each stratum; exactly one of the three forms."""

    model_config = ConfigDict(extra="forbid")

    percent: float | None = Field(
        None,
        gt=0,
        le=100,
        description=("Sampling ratio: ceil(percent % of each stratum), at least 1 from every non-empty stratum"),
    )
    per_stratum: dict[str, Annotated[int, Field(ge=0)]] | None = Field(
        None, description=('Explicit count per stratum (e.g. {"entertainment/A": 3}); strata left out draw 0')
    )
    all: Literal[True] | None = Field(None, description="Full coverage: every entity in the pool")

    @model_validator(mode="after")
    def _exactly_one(self) -> "QuotaRule":
        given = [name for name in ("percent", "per_stratum", "all") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of percent, per_stratum or all")
        return self


class DrawSpec(BaseModel):
    """What to draw: the plan of one draw, without the public randomness it will use."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    sector: Sector
    subtypes: list[str] | None = Field(None, min_length=1, description="Only these subtypes (e.g. hotel, pawn)")
    grades: list[Grade] | None = Field(None, min_length=1, description="Only these 治安分级 grades (entertainment)")
    divisions: list[Division] | None = Field(
        None, min_length=1, description="Only entities in these counties/districts (a county body's area, 重点区域)"
    )
    flags: list[Flag] | None = Field(
        None, min_length=1, description="Only entities with all these registry flags set (e.g. flammable, key_unit)"
    )
    inspector_units: list[Unit] | None = Field(None, min_length=1, description="Only inspectors of these units")
    jurisdictions: list[Division] | None = Field(
        None, min_length=1, description="Only inspectors of these jurisdictions (210400: the city bureau)"
    )
    quota: QuotaRule
    team_size: int = Field(2, ge=1, le=10, description="Inspectors per selected entity (网吧: exactly 2)")
    period: PeriodCode = Field(
        description="Reporting period the draw counts towards (2026, 2026-H2, 2026-Q4 or 2026-11); "
        "checks are due by its last day unless due_date says otherwise",
    )
    due_date: date | None = Field(None, description="Checks of this draw are due by this date")
    checking_body: Unit | None = Field(None, description="The unit that carries out the checks")
    jurisdiction: Division | None = Field(None, description="The checking body's area (210400: city-wide)")
    check_type: CheckType = Field(
        "on_site", description="on_site, online_patrol (网上巡查) or joint (联合抽查, with joint_departments)"
    )
    joint_departments: list[Department] | None = Field(
        None,
        min_length=1,
        validate_default=True,
        description="Departments joining a joint check (education, health, work_safety, quality…)",
    )
    risk_policy: RiskPolicy = Field(
        "risk-v1", description="Risk weights and extra quota from registry risk signals (risk-v1), or none"
    )

    @field_validator("team_size")
    @classmethod
    def _cafe_pairs(cls, value: int, info: ValidationInfo) -> int:
        if info.data.get("sector") == "internet_cafe" and value != 2:
            raise ValueError("internet café teams are exactly two officers (网吧每组两名民警)")
        return value

    @field_validator("joint_departments")
    @classmethod
    def _joint_only(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        joint = info.data.get("check_type") == "joint"
        if joint and not value:
            raise ValueError("a joint check (联合抽查) names the departments that join it")
        if value and not joint:
            raise ValueError("only a joint check (check_type joint) has joint departments")
        return value


class DrawCreate(DrawSpec):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "2026Q4 网吧 network-security draw 1",
                    "sector": "internet_cafe",
                    "inspector_units": ["network_security"],
                    "quota": {"percent": 5},
                    "team_size": 2,
                    "entropy_source": "drand mainnet round 12345678",
                    "period": "2026-Q4",
                    "due_date": "2026-12-31",
                    "checking_body": "network_security",
                }
            ]
        },
    )

    entropy_source: OneLine = Field(
        min_length=1,
        max_length=500,
        description=(
            "The public randomness that execution will use, named before it exists (e.g. a future beacon round)"
        ),
    )


class DrawExecute(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "external_entropy": "8f2a6c0e9d3b5a7f1e4c2b0a9d8e7f6c5b4a3928170f6e5d4c3b2a1908f7e6d5",
                }
            ]
        },
    )

    external_entropy: str = Field(
        max_length=4096,
        description=("The value the declared entropy_source produced (may be empty); the draw is bound to it for good"),
    )


class SelectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int
    entity_id: str
    stratum: str
    team: list[str]


class DrawSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    sector: str
    status: Literal["committed", "executed", "voided"]
    period: str | None
    due_date: date | None
    checking_body: str | None
    jurisdiction: str | None
    check_type: str
    joint_departments: list[str] | None
    plan_item_id: str | None
    rule_code: str | None
    risk_policy: str | None
    replaces: str | None
    replaced_by: str | None
    quotas: dict[str, int]
    team_size: int
    pool_size: int
    inspector_count: int
    entropy_source: str
    commitment_sha256: str
    created_at: datetime
    executed_at: datetime | None
    record_url: str


class DrawRead(DrawSummary):
    filters: dict[str, Any]
    quota_rule: dict[str, Any]
    commitment: str = Field(description="The §1 commitment text, published before execution")
    external_entropy: str | None
    seed: str | None
    rules_version: str | None
    risk_summary: dict[str, Any] | None = Field(description="Weighted and high-risk counts, extra quota per stratum")
    strata: dict[str, int] | None = Field(description="Pool size per stratum at the freeze")
    void_reason: str | None
    void_requested_by: str | None
    void_requested_at: datetime | None
    voided_by: str | None
    voided_at: datetime | None
    selections: list[SelectionRead] | None = Field(None, description="Targets and teams; null until executed")


class DrawList(BaseModel):
    items: list[DrawSummary]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at the end")


class RecordCandidate(BaseModel):
    entity_id: str
    stratum: str
    weight: int


class RecordInspector(BaseModel):
    inspector_id: str
    conflicts: list[str]


class DrawRecord(BaseModel):
    """draw-algorithm.md §3; the last four fields appear only once the draw has run."""

    algorithm: Literal["ssj-draw-v1"]
    draw_id: str
    commitment: str
    commitment_sha256: str
    pool: list[RecordCandidate]
    inspectors: list[RecordInspector]
    quotas: dict[str, int]
    team_size: int
    entropy_source: str
    server_secret: str | None = None
    external_entropy: str | None = None
    seed: str | None = None
    selections: list[SelectionRead] | None = None


class VoidRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "抽取前发现检查人员名录未同步最新资格变更，申请作废重抽"}]},
    )

    reason: str = Field(min_length=5, max_length=2000, description="Why the draw must not stand (published)")


class VoidApproval(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"entropy_source": "drand quicknet round 23460000"}]}
    )

    entropy_source: OneLine = Field(
        min_length=1, max_length=500, description="Public randomness, not yet known, for the replacement draw"
    )


class VoidResult(BaseModel):
    voided: DrawRead
    replacement: DrawRead
