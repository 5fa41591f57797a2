"""What a release shows the public, built once and frozen: pure functions, no I/O.

Every release but a withdrawal carries the result's complete public state (entity identity,
sector, redacted findings and outcome, penalties where the sector publishes them, statements of
dismissed appeals), so the current compiled view is simply the latest release, and a feed reader
can treat each item as a full snapshot. A withdrawal is a tombstone; once a result is withdrawn
every earlier release of it is shown as a tombstone too. The team and entity id never enter."""

from datetime import datetime
from typing import Any

from disclosure import redaction
from disclosure.policy import policy_for

KINDS_ZH = {
    "original": "首次公开",
    "correction": "更正",
    "penalty": "处罚信息",
    "statement": "申诉说明",
    "withdrawal": "撤回",
}
OUTCOMES_ZH = {
    "no_issues": "未发现问题",
    "rectification_ordered": "责令限期整改",
    "penalty_warning": "警告",
    "penalty_fine": "罚款",
    "suspension": "责令停业整顿",
    "licence_revoked": "吊销许可证件",
    "criminal_referral": "移送追究刑事责任",
    "listed_supervision": "提请政府挂牌督办",
    "blacklisted": "列入黑名单",
}
RESTRICTIONS_ZH = {"internet_access": "上网行为限制", "industry_ban": "行业禁入"}
FINDINGS_ZH = {"compliant": "符合", "non_compliant": "不符合", "not_applicable": "不适用"}
CONTENT_FIELDS = (
    "entity",
    "sector_name_zh",
    "disclosure_basis",
    "completed_at",
    "outcome",
    "outcome_zh",
    "rectification_deadline",
    "outcome_note",
    "findings",
    "penalties",
    "statements",
)


def penalty(sanction: Any, names: list[str]) -> dict[str, Any]:
    return {
        "sanction": sanction.sanction,
        "sanction_zh": OUTCOMES_ZH.get(sanction.sanction, sanction.sanction),
        "fine_yuan": float(sanction.fine_yuan) if sanction.fine_yuan is not None else None,
        "note": redaction.redact_text(sanction.note, names),
        "decided_at": sanction.decided_at.isoformat(),
    }


def statement(appeal: Any, names: list[str]) -> dict[str, Any]:
    """A dismissed appeal's statement, published beside the result in the entity's own words."""
    return {
        "appeal_id": appeal.id,
        "statement": redaction.redact_text(appeal.statement, names),
        "filed_at": appeal.filed_at.isoformat(),
        "dismissed_at": appeal.decided_at.isoformat() if appeal.decided_at else None,
    }


def _header(result: Any, *, release: int, kind: str, refers_to: int | None, reason: str | None, at: datetime) -> dict:
    return {
        "result_id": result.id,
        "release": release,
        "kind": kind,
        "kind_zh": KINDS_ZH[kind],
        "refers_to": refers_to,
        "reason": redaction.redact_text(reason) if reason else None,
        "published_at": at.isoformat(),
        "withdrawn": kind == "withdrawal",
    }


def release_document(
    result: Any,
    *,
    release: int,
    kind: str,
    refers_to: int | None,
    reason: str | None,
    published_at: datetime,
    penalties: list[dict[str, Any]],
    statements: list[dict[str, Any]],
) -> dict[str, Any]:
    """The frozen content of a release (a tombstone for a withdrawal)."""
    head = _header(result, release=release, kind=kind, refers_to=refers_to, reason=reason, at=published_at)
    if kind == "withdrawal":
        return head | dict.fromkeys(CONTENT_FIELDS)
    entity, outcome, policy = result.entity, result.public_outcome, policy_for(result.sector)
    return head | {
        "entity": {
            "name": redaction.redact_numbers(entity["name"]),
            "credit_code": entity["credit_code"],
            "sector": result.sector,
        },
        "sector_name_zh": policy.name_zh,
        "disclosure_basis": policy.basis,
        "completed_at": result.completed_at.isoformat(),
        "outcome": outcome["type"],
        "outcome_zh": OUTCOMES_ZH.get(outcome["type"], outcome["type"]),
        "rectification_deadline": outcome.get("rectification_deadline"),
        "outcome_note": outcome.get("note", ""),
        "findings": result.public_findings,
        "penalties": penalties if policy.publishes_penalties else [],
        "statements": statements,
    }


def as_shown(content: dict[str, Any], *, withdrawn: bool) -> dict[str, Any]:
    """A release as the public sees it now: once the result is withdrawn, only its tombstone."""
    if not withdrawn or content["withdrawn"]:
        return content
    return content | {"withdrawn": True} | dict.fromkeys(CONTENT_FIELDS)


def public_person(person: dict[str, Any]) -> dict[str, str]:
    """A blacklisted person as published: masked name and role, never the ID number."""
    return {"name": redaction.mask_name(str(person.get("name", ""))), "role": redaction.redact_text(person.get("role"))}


def blacklist_document(entry: Any, *, release: int, kind: str, at: datetime) -> dict[str, Any]:
    return {
        "entry_id": entry.id,
        "release": release,
        "kind": kind,
        "kind_zh": {"listed": "列入黑名单", "lifted": "期满移出黑名单"}[kind],
        "published_at": at.isoformat(),
        "entity": {
            "name": redaction.redact_numbers(entry.entity["name"]),
            "credit_code": entry.entity["credit_code"],
            "sector": entry.entity.get("sector"),
        },
        "persons": entry.public_persons,
        "restrictions": entry.restrictions,
        "restrictions_zh": [RESTRICTIONS_ZH.get(r, r) for r in entry.restrictions],
        "listed_at": entry.listed_at.isoformat(),
        "until": entry.until.isoformat(),
    }
