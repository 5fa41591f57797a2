from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from notify import events, routing, webhooks

DeliveryStatus = Literal["pending", "delivered", "dead"]
Sector = Literal[routing.SECTORS]  # type: ignore[valid-type]
Outcome = Literal[routing.OUTCOMES]  # type: ignore[valid-type]
CheckType = Literal[routing.CHECK_TYPES]  # type: ignore[valid-type]
MAX_OVERLAP_SECONDS = 7 * 86_400


def _check(problem_of):  # type: ignore[no-untyped-def]
    def check(value: str) -> str:
        problem = problem_of(value)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


def _url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "must be an http:// or https:// URL"
    if not parts.hostname:
        return "must name a host"
    return None


def _event_type_problem(event_type: str) -> str | None:
    if event_type not in events.SUBSCRIBABLE:
        return f"not a routed event type ({', '.join(events.SUBSCRIBABLE)})"
    return None


WebhookUrl = Annotated[str, Field(max_length=2000), _check(_url_problem)]
WebhookSecret = Annotated[
    str,
    _check(webhooks.secret_problem),
    Field(description='Standard Webhooks secret: "whsec_" + base64 of 24–64 random bytes'),
]
EventType = Annotated[str, _check(_event_type_problem)]
DepartmentCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]


class DepartmentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"code": "emergency_management", "name_zh": "应急管理部门", "name_en": "Emergency management"}]
        },
    )

    code: DepartmentCode
    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)


class DepartmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_zh: str
    name_en: str


class DepartmentList(BaseModel):
    items: list[DepartmentRead]


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "department": "market_regulation",
                    "url": "https://amr.fushun.example.gov.cn/hooks/ssj",
                    "event_types": ["ssj.inspection.completed", "ssj.inspection.blacklisted"],
                }
            ]
        },
    )

    department: str = Field(min_length=1, max_length=40, description="Department code, see GET /v1/departments")
    url: WebhookUrl
    secret: WebhookSecret | None = Field(None, description="Omit it and notify generates one, shown once")
    event_types: list[EventType] = Field(
        default_factory=lambda: list(events.SUBSCRIBABLE),
        min_length=1,
        description="Event types this endpoint takes; default: every type rules may route to the department",
    )


class SubscriptionUpdate(BaseModel):
    """Any of the fields; what is left out stays as it is."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"enabled": False}, {"url": "https://amr.fushun.example.gov.cn/hooks/ssj-v2", "enabled": True}]
        },
    )

    enabled: bool | None = None
    url: WebhookUrl | None = None
    event_types: list[EventType] | None = Field(None, min_length=1)


class SubscriptionRead(BaseModel):
    """Never carries a secret: secrets are encrypted at rest and shown only when generated."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    department: str
    url: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    created_at: datetime
    secret_rotated_at: datetime | None
    previous_secret_expires_at: datetime | None = Field(
        description="Until then webhooks carry two signatures (old and new secret); null when no overlap"
    )


class SubscriptionCreated(SubscriptionRead):
    secret: str | None = Field(
        description="The generated signing secret, shown only this once; null when the caller supplied its own"
    )


class SubscriptionList(BaseModel):
    items: list[SubscriptionRead]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at the end")


class SecretRotation(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"overlap_seconds": 86400}, {}]})

    secret: WebhookSecret | None = Field(None, description="The new secret; omit it and notify generates one")
    overlap_seconds: int = Field(
        86_400,
        ge=0,
        le=MAX_OVERLAP_SECONDS,
        description="How long the old secret still signs too (both signatures in webhook-signature)",
    )


class Replay(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"since": "2026-11-26T00:00:00+08:00"}]})

    since: AwareDatetime = Field(description="Events notify received at or after this time (with a UTC offset)")


class ReplayResult(BaseModel):
    requeued: int = Field(description="Delivered or dead deliveries queued again, with their original webhook-id")
    created: int = Field(description="Events the subscription never had a delivery for, now queued (new webhook-id)")
    already_pending: int = Field(description="Deliveries that were still queued and are left as they are")


class RuleFields(BaseModel):
    event_types: list[EventType] = Field(min_length=1, description="Matched event types")
    sectors: list[Sector] | None = Field(None, min_length=1, description="Matched sectors; null: any")
    outcomes: list[Outcome] | None = Field(
        None, min_length=1, description="Matched outcome types (results only); null: any"
    )
    check_types: list[CheckType] | None = Field(None, min_length=1, description="Matched check types; null: any")
    departments: list[DepartmentCode] = Field(default_factory=list, description="Departments always notified")
    to_participants: bool = Field(False, description="Also notify the departments a joint check names")
    description_zh: str = Field(min_length=1, max_length=200)


class RuleCreate(RuleFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "R6",
                    "event_types": ["ssj.inspection.rectification_overdue"],
                    "sectors": ["blasting"],
                    "departments": ["work_safety"],
                    "description_zh": "爆破作业单位逾期未整改，通报安监部门",
                }
            ]
        },
    )

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,19}$")


class RuleRevision(RuleFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "event_types": ["ssj.inspection.completed"],
                    "sectors": ["security_service"],
                    "departments": ["market_regulation", "culture_enforcement"],
                    "description_zh": "保安服务业抽查结果通报工商和文化执法部门",
                },
                {
                    "event_types": ["ssj.inspection.completed"],
                    "sectors": ["security_service"],
                    "departments": ["market_regulation"],
                    "description_zh": "停用",
                    "active": False,
                },
            ]
        },
    )

    active: bool = Field(True, description="false retires the rule (as a new version, so history shows it)")


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    version: int
    event_types: list[str]
    sectors: list[str] | None
    outcomes: list[str] | None
    check_types: list[str] | None
    departments: list[str]
    to_participants: bool
    description_zh: str
    active: bool
    created_at: datetime | None
    created_by: str | None


class RuleList(BaseModel):
    items: list[RuleRead]


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="Also the webhook-id header: stable across retries and replays, for receiver dedup")
    event_id: str
    event_type: str
    department: str
    subscription_id: str
    rule_id: str
    rule_version: int
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None = Field(description="HTTP status of the last attempt; null if it got no response")
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempt: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    worker: str | None = Field(description="host:pid of the notify worker that made the attempt")


class DeliveryDetail(DeliveryRead):
    payload: dict[str, Any] = Field(description="The CloudEvent (structured JSON) sent as the body")
    attempt_log: list[AttemptRead]


class DeliveryList(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None
