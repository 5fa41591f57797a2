"""Pydantic shapes of the public API (一公开): what anyone may read, and the appeal form."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from disclosure.schemas import FindingResult

Kind = Literal["original", "correction", "penalty", "statement", "withdrawal"]


class PublicEntity(BaseModel):
    name: str
    credit_code: str = Field(description="统一社会信用代码")
    sector: str


class PublicFinding(BaseModel):
    item_code: str
    result: FindingResult
    note: str = Field(description="Redacted: ID-card and phone numbers and private persons' names removed")


class Penalty(BaseModel):
    sanction: str
    sanction_zh: str
    fine_yuan: float | None
    note: str
    decided_at: datetime


class Statement(BaseModel):
    appeal_id: str
    statement: str = Field(description="The inspected entity's statement (申诉说明), redacted")
    filed_at: datetime
    dismissed_at: datetime | None


class ReleaseContent(BaseModel):
    """One release as published. Content fields are null on a tombstone (`withdrawn`)."""

    result_id: str
    release: int
    kind: Kind
    kind_zh: str
    refers_to: int | None = Field(description="The earlier release this one corrects, supplements or withdraws")
    reason: str | None = Field(description="Public reason of a correction or withdrawal")
    published_at: datetime
    withdrawn: bool = Field(description="A tombstone: the result was withdrawn, its content is gone")
    entity: PublicEntity | None
    sector_name_zh: str | None
    disclosure_basis: str | None = Field(description="The seed clause under which this sector's results are public")
    completed_at: datetime | None
    outcome: str | None
    outcome_zh: str | None
    rectification_deadline: date | None
    outcome_note: str | None
    findings: list[PublicFinding] | None
    penalties: list[Penalty] | None = Field(description="Only for sectors whose results publish penalties (消防, 网吧)")
    statements: list[Statement] | None


class FeedItem(ReleaseContent):
    position: int | None = Field(description="Place in the public feed; null for the moment before sequencing")


class FeedPage(BaseModel):
    items: list[FeedItem]
    next: str = Field(description="Always present; on the last page it is where new items will appear")


class CreditEntry(BaseModel):
    entry_id: str
    status: Literal["listed", "lifted"]
    restrictions: list[str]
    restrictions_zh: list[str]
    persons: list[dict[str, str]] = Field(description="Masked names (张*) and roles only")
    until: date


class ResultReleases(BaseModel):
    """GET /public/v1/results/{id}: every release, and the current compiled view."""

    result_id: str
    status: Literal["published", "withdrawn"]
    current: ReleaseContent = Field(description="The compiled view: the latest release (a tombstone if withdrawn)")
    credit: list[CreditEntry] | None = Field(description="Internet cafés only: blacklist listings (信用信息)")
    releases: list[FeedItem]


class SearchItem(BaseModel):
    result_id: str
    status: Literal["published", "withdrawn"]
    entity: PublicEntity
    sector_name_zh: str
    outcome: str
    outcome_zh: str
    completed_at: datetime
    latest_release: int
    url: str


class SearchPage(BaseModel):
    items: list[SearchItem]
    next_cursor: str | None = Field(description="Pass as ?cursor= (with the same filters) for the next page")


class BlacklistItem(BaseModel):
    entry_id: str
    status: Literal["listed", "lifted"]
    entity: PublicEntity
    persons: list[dict[str, str]] = Field(description="Responsible people: masked name (张*) and role")
    restrictions: list[str]
    restrictions_zh: list[str]
    listed_at: datetime
    until: date = Field(description="The last day of the listing period")
    lifted_at: datetime | None
    releases: list[dict[str, Any]]


class BlacklistPage(BaseModel):
    items: list[BlacklistItem]
    next_cursor: str | None


class AppealIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"appeal_code": "K7QM-2XRD-9PHT", "statement": "我单位已于检查当日完成整改，请予复核。"}]
        },
    )

    appeal_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=40)] = Field(
        description="申诉码: printed on the inspection result notice the entity received"
    )
    statement: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)] = Field(
        description="The entity's statement; published (redacted) beside the result if the appeal is dismissed"
    )


class AppealFiled(BaseModel):
    appeal_id: str
    result_id: str
    status: Literal["filed"]
    filed_at: datetime
    appeal_deadline: date = Field(description="The last day appeals against this result were accepted")


class PolicyRead(BaseModel):
    sector: str
    name_zh: str
    publication: Literal["all", "case_by_case"]
    publishes_penalties: bool
    credit_information: bool
    basis: str
