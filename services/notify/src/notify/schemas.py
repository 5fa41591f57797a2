from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from notify import events, webhooks

DeliveryStatus = Literal["pending", "delivered", "dead"]


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
        return f"not a subscribable event type ({', '.join(events.SUBSCRIBABLE)})"
    return None


WebhookUrl = Annotated[str, Field(max_length=2000), _check(_url_problem)]
WebhookSecret = Annotated[
    str,
    _check(webhooks.secret_problem),
    Field(description='Standard Webhooks secret: "whsec_" + base64 of 24–64 random bytes'),
]
EventType = Annotated[str, _check(_event_type_problem)]


class DepartmentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "emergency_management",
                    "name_zh": "应急管理部门",
                    "name_en": "Emergency management",
                }
            ]
        },
    )

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
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
                    "event_types": ["ssj.inspection.completed"],
                }
            ]
        },
    )

    department: str = Field(min_length=1, max_length=40, description="Department code, see GET /v1/departments")
    url: WebhookUrl
    secret: WebhookSecret | None = Field(None, description="Omit it and notify generates one, shown once")
    event_types: list[EventType] = Field(default_factory=lambda: [events.INSPECTION_COMPLETED], min_length=1)


class SubscriptionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"enabled": False}]})

    enabled: bool


class SubscriptionRead(BaseModel):
    """Never carries the secret: it is encrypted at rest and shown only when generated."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    department: str
    url: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    created_at: datetime


class SubscriptionCreated(SubscriptionRead):
    secret: str | None = Field(
        description="The generated signing secret, shown only this once; null when the caller supplied its own"
    )


class SubscriptionList(BaseModel):
    items: list[SubscriptionRead]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at the end")


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    version: int
    sectors: list[str] | None = Field(description="Matching sectors; null matches any sector")
    outcomes: list[str] | None = Field(description="Matching outcome types; null matches any outcome")
    departments: list[str]
    description_zh: str
    active: bool


class RuleList(BaseModel):
    items: list[RuleRead]


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="Also the webhook-id header: stable across retries, for receiver dedup")
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


class DeliveryDetail(DeliveryRead):
    payload: dict[str, Any] = Field(description="The CloudEvent (structured JSON) sent as the body")
    attempt_log: list[AttemptRead]


class DeliveryList(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None
