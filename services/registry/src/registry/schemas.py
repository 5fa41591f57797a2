from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from registry import codes

Sector = Literal["entertainment", "special_trade", "security_service", "blasting", "fire_safety", "internet_cafe"]
Unit = Literal[
    "city_public_order",
    "county_public_order",
    "police_station",
    "fire_supervision",
    "network_security",
    "blasting_supervision",
]
RiskKind = Literal["complaint", "abnormal_list", "serious_violation", "penalty", "fire", "hidden_hazard"]
Ident = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$",
        description="Stable id from the source system (no spaces, TAB or LF)",
    ),
]


CreditCode = Annotated[
    str,
    AfterValidator(codes.checked_credit_code),
    Field(description="统一社会信用代码 (GB 32100-2015, check digit verified)"),
]
DivisionCode = Annotated[
    str,
    AfterValidator(codes.checked_division),
    Field(description="行政区划代码 of a Fushun county or district (2104xx)"),
]
IdCardNumber = Annotated[
    str,
    AfterValidator(codes.checked_id_number),
    Field(description="法定代表人身份证号 (GB 11643-1999, birth date and check character verified)"),
]


class EntityIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "ENT-0001",
                    "sector": "entertainment",
                    "subtype": "venue",
                    "name": "抚顺金色年华KTV有限公司",
                    "credit_code": "91210400MA0XXXXXX0",
                    "division_code": "210402",
                    "grade": "B",
                    "flags": {"lodging": False},
                    "legal_rep_name": "王某某",
                    "legal_rep_id_number": "210402198001010018",
                    "established_date": "2015-06-01",
                }
            ]
        },
    )

    id: Ident
    sector: Sector
    subtype: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    credit_code: CreditCode
    division_code: DivisionCode
    grade: Literal["A", "B", "C"] | None = Field(None, description="治安分级 A/B/C, entertainment only")
    flags: dict[str, bool] = Field(
        default_factory=dict, description="Sector flags; in this batch API a flag left out counts as false"
    )
    active: bool = True
    legal_rep_name: str | None = Field(None, min_length=1, max_length=50, description="法定代表人")
    legal_rep_id_number: IdCardNumber | None = None
    address: str | None = Field(None, max_length=200)
    established_date: date | None = Field(None, description="成立/开业日期")
    closed_date: date | None = Field(None, description="注销/停业日期; inactive from this day")


class EntityBatch(BaseModel):
    entities: list[EntityIn] = Field(min_length=1)


class RiskSummary(BaseModel):
    count: int
    last_date: date


class RiskSignalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    occurred_date: date
    ended_date: date | None
    origin: str = Field(description="`source:<system>` or `inspection`")
    ref: str
    detail: dict[str, Any]


class EntityRead(BaseModel):
    id: str
    sector: str
    subtype: str
    name: str
    credit_code: str
    division_code: str
    grade: str | None
    flags: dict[str, bool]
    active: bool
    version: int
    legal_rep_name: str | None = None
    legal_rep_id_masked: str | None = Field(None, description="Area code and check character only")
    address: str | None = None
    established_date: date | None = None
    closed_date: date | None = None
    source: str | None = Field(None, description="Where the current version came from: a source system, api, import")
    seq: int = Field(0, description="Change number of this version")
    risk: dict[str, RiskSummary] = Field(
        default_factory=dict, description="Risk signals in force, by kind (complaints: last 12 months)"
    )


class EntityDetail(EntityRead):
    risk_signals: list[RiskSignalRead] = Field(default_factory=list, description="Every signal on record, with dates")


class EntityList(BaseModel):
    items: list[EntityRead]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at the end")
    snapshot: int = Field(description="Change number these pages are read at; pass it back to read the same state")


class EntityVersionRead(EntityRead):
    change: str = Field(description="created, updated, deactivated or migrated")
    changed_at: datetime
    superseded_seq: int | None
    run_id: str | None


class EntityHistory(BaseModel):
    items: list[EntityVersionRead] = Field(description="Oldest first")


class BatchResult(BaseModel):
    inserted: int
    updated: int
    unchanged: int


class Qualification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=40, description="e.g. law_enforcement (执法资格), fire_inspection")
    number: str | None = Field(None, max_length=40)
    expires_date: date = Field(description="Valid through this day; ineligible from the next")


class ConflictDeclaration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entity_id: Ident
    reason: str = Field(min_length=1, max_length=200, description="回避事由, e.g. relative is the legal representative")
    declared_date: date | None = None


class InspectorIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "INS-001",
                    "name": "张警官",
                    "unit": "county_public_order",
                    "unit_name": "新抚分局治安大队",
                    "jurisdiction": "210402",
                    "qualifications": [
                        {"kind": "law_enforcement", "number": "LN2104001", "expires_date": "2028-12-31"}
                    ],
                    "conflict_details": [{"entity_id": "ENT-0003", "reason": "近亲属任法定代表人"}],
                }
            ]
        },
    )

    id: Ident
    name: str = Field(min_length=1, max_length=100)
    unit: Unit
    unit_name: str | None = Field(None, max_length=100, description="The concrete unit, e.g. 顺城分局治安大队")
    jurisdiction: DivisionCode
    qualification_expires_date: date | None = Field(
        None, description="Valid through this day; defaults to the earliest qualification's expiry"
    )
    qualifications: list[Qualification] = Field(default_factory=list)
    active: bool = True
    conflicts: list[Ident] = Field(default_factory=list, description="Entity ids this officer is recused from (回避)")
    conflict_details: list[ConflictDeclaration] = Field(default_factory=list)


class InspectorBatch(BaseModel):
    inspectors: list[InspectorIn] = Field(min_length=1)


class InspectorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    unit: str
    jurisdiction: str
    qualification_expires_date: date | None
    active: bool
    conflicts: list[str]
    version: int
    unit_name: str | None = None
    qualifications: list[dict[str, Any]] = Field(default_factory=list)
    conflict_details: list[dict[str, Any]] = Field(default_factory=list)
    source: str | None = None
    seq: int = 0


class InspectorVersionRead(InspectorRead):
    change: str = Field(description="created, updated, deactivated or migrated")
    changed_at: datetime
    superseded_seq: int | None
    run_id: str | None


class InspectorHistory(BaseModel):
    items: list[InspectorVersionRead] = Field(description="Oldest first")


class InspectorList(BaseModel):
    items: list[InspectorRead]
    next_cursor: str | None
    snapshot: int = Field(description="Change number these pages are read at")


class RunCounts(BaseModel):
    inserted: int
    updated: int
    unchanged: int
    deactivated: int
    rejected: int = Field(description="Records (rows) refused; each reason is in the run's errors")


class SyncRunRead(BaseModel):
    id: str
    source: str = Field(description="A source system, or `import` for a bulk import")
    mode: str = Field(description="full (with vanish detection), incremental, or import")
    status: str = Field(description="queued, running, succeeded or failed")
    trigger: str = Field(description="api, schedule or import")
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    pages_done: int
    records_seen: int
    records_total: int | None = Field(description="Records the source says it lists, when it says")
    resumes: int = Field(description="Times the run was taken over after a crash and resumed")
    since: str | None
    watermark: str | None
    error: str | None
    counts: RunCounts


class RowError(BaseModel):
    row: int | None = Field(description="CSV: spreadsheet row (header = 1); JSON: list index; sync: record position")
    source_ref: str | None = Field(None, description="The record's id in its source, when readable")
    field: str
    reason: str


class RunError(RowError):
    raw: str | None = Field(None, description="The record as received (JSON, truncated)")


class RunErrorList(BaseModel):
    items: list[RunError]
    next_cursor: str | None
    total: int


class SyncRunList(BaseModel):
    items: list[SyncRunRead]
    next_cursor: str | None


class SyncRunDetail(SyncRunRead):
    errors: list[RunError] = Field(description="The first 100 rejected records; all at /v1/sync-runs/{id}/errors")
    errors_total: int


class ImportReport(SyncRunRead):
    errors: list[RowError] = Field(description="The first 1000 errors; all of them at /v1/sync-runs/{id}/errors")
    errors_total: int


class SyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"mode": "full"}]})

    mode: Literal["full", "incremental"] = Field(
        "full",
        description="full: the whole listing, and whatever is missing is deactivated; "
        "incremental: only what changed (since-style sources) or the listing without vanish detection",
    )


class SourceRead(BaseModel):
    name: str
    title_zh: str
    paging: str
    encoding: str
    incremental: bool = Field(description="The source can list only what changed since a watermark")
    configured: bool
    url: str | None
    every_minutes: float | None
    full_every_hours: float | None
    active_run: str | None
    last_run: SyncRunRead | None


class SourceList(BaseModel):
    items: list[SourceRead]


class Snapshot(BaseModel):
    snapshot: int = Field(description="The current change number: pass it as ?snapshot= to read this state later")
