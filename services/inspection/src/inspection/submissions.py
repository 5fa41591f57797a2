"""What officers submit: findings, outcomes, corrections, recusals and re-inspections.
Shapes only; whether a submission agrees with its inspection is rules.py's business."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from inspection.idnumbers import id_number_error
from inspection.schemas import Department

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
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of an uploaded evidence file")]


def _valid_id_number(value: str) -> str:
    error = id_number_error(value)
    if error:
        raise ValueError(error)
    return value


IdNumber = Annotated[
    str, Field(description="居民身份证号码 (GB 11643), check digit verified"), AfterValidator(_valid_id_number)
]


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _unique(values: list[str], what: str) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} listed twice")


class FindingIn(_Form):
    item_code: str = Field(max_length=80, description="A `code` from this inspection's checklist")
    result: Result
    note: str = Field("", max_length=2000)
    evidence: list[Sha256] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        _unique(self.evidence, "an evidence digest")
        return self


class Person(_Form):
    name: str = Field(min_length=1, max_length=50)
    id_number: IdNumber
    role: Literal["owner", "legal_representative", "manager", "security_officer", "staff"]


class Blacklist(_Form):
    """黑名单: the café and these people, restricted until a date (上网行为限制、行业禁入)."""

    until: date = Field(description="Last day of the restrictions; after today")
    restrictions: list[Literal["internet_access", "industry_ban"]] = Field(min_length=1)
    persons: list[Person] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        _unique(list(self.restrictions), "a restriction")
        _unique([p.id_number for p in self.persons], "an id_number")
        return self


class CreditEntry(_Form):
    """A line in the social credit record (社会信用记录) or network credit file (网络信用档案)."""

    file: Literal["social_credit", "network_credit"]
    person: Person | None = Field(None, description="Staff member; null for the café itself")
    note: str = Field(min_length=1, max_length=500)


class OutcomeIn(_Form):
    type: OutcomeType = Field(description="Every type but no_issues needs a non_compliant finding")
    rectification_deadline: date | None = Field(
        None, description="限期整改 deadline, after today; required for rectification_ordered"
    )
    note: str = Field("", max_length=2000)
    fine_yuan: Decimal | None = Field(
        None, gt=0, le=100_000_000, decimal_places=2, description="罚款 in yuan; required for penalty_fine only"
    )
    hazard: str | None = Field(
        None, min_length=1, max_length=2000, description="The major fire hazard (重大火灾隐患); listed_supervision only"
    )
    blacklist: Blacklist | None = Field(None, description="Required for blacklisted (internet cafés) only")
    credit_entries: list[CreditEntry] = Field(default_factory=list, max_length=50, description="Internet cafés only")


class JointMember(_Form):
    department: Department
    name: str = Field(min_length=1, max_length=50)


_EXAMPLE: dict[str, Any] = {
    "findings": [
        {"item_code": "internet_cafe.base_data", "result": "compliant"},
        {"item_code": "internet_cafe.shared_login", "result": "compliant"},
        {
            "item_code": "internet_cafe.real_name",
            "result": "non_compliant",
            "note": "3 台机器未实名登记",
            "evidence": ["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
        },
        {"item_code": "internet_cafe.harmful_info", "result": "not_applicable"},
    ],
    "outcome": {"type": "rectification_ordered", "rectification_deadline": "2026-12-20", "note": "责令十日内整改"},
}


class ResultIn(_Form):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    findings: list[FindingIn] = Field(description="Exactly one finding per checklist item")
    outcome: OutcomeIn
    joint_members: list[JointMember] = Field(
        default_factory=list, max_length=50, description="Joint checks: who took part for each named department"
    )


class CorrectionIn(ResultIn):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [_EXAMPLE | {"reason": "整改期限录入错误，更正为12月20日"}]}
    )

    reason: str = Field(min_length=1, max_length=1000, description="Why the confirmed result is corrected")


class ConfirmIn(_Form):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"draft_sha256": "3a7bd3e2…"}]})

    draft_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="The `draft.sha256` you reviewed")


class RecusalIn(_Form):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "被检查单位负责人系本人表兄"}]}
    )

    reason: str = Field(min_length=1, max_length=500, description="The conflict (回避事由); kept internal")


class ReinspectionIn(_Form):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"rectified": True, "note": "实名登记系统已整改到位"}]}
    )

    rectified: bool = Field(description="Whether the ordered items are now in order")
    note: str = Field("", max_length=2000)
    evidence: list[Sha256] = Field(default_factory=list, max_length=50)
