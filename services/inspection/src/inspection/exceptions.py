"""Domain errors of the inspection service, each carrying its HTTP status and stable problem type."""

from typing import Any

from shared.problems import Conflict, ProblemError


class NotOnTeam(ProblemError):
    """Only the drawn team acts on an inspection: anyone else is refused, whatever their scopes."""

    def __init__(self, inspector_id: str, inspection_id: str, team: list[str]) -> None:
        super().__init__(
            403,
            "not-on-team",
            "Not on this inspection's team",
            f"inspector {inspector_id!r} is not on the team of {inspection_id} ({', '.join(team)})",
        )


class NotYourIdentity(ProblemError):
    def __init__(self, caller: str, claimed: str) -> None:
        super().__init__(
            403,
            "inspector-not-bound",
            "Credential not bound to this inspector",
            f"the credential of {caller!r} may not act as inspector {claimed!r} (X-Inspector-Id)",
            field="X-Inspector-Id",
        )


class AlreadyCompleted(Conflict):
    def __init__(self, inspection_id: str, completed_at: object) -> None:
        super().__init__(
            "inspection-completed",
            f"inspection {inspection_id} was completed at {completed_at}; completed inspections cannot "
            "change: submit a correction (a new version, with a reason) instead",
            field="status",
        )


class NotCompleted(Conflict):
    def __init__(self, inspection_id: str) -> None:
        super().__init__(
            "inspection-not-completed",
            f"inspection {inspection_id} has no confirmed result to correct yet",
            field="status",
        )


class TeamTooSmall(Conflict):
    """The two-officer rule (执法人员不得少于两人) cannot be met by a team of one."""

    def __init__(self, inspection_id: str) -> None:
        super().__init__(
            "two-officer-rule",
            f"inspection {inspection_id} has a team of one; a result needs two officers to confirm it",
            field="team",
        )


class Rejected(ProblemError):
    """422 naming the first offending field, with every error listed."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        first = errors[0]
        super().__init__(
            422,
            "validation",
            "Request failed validation",
            f"{first['field']}: {first['message']}",
            field=first["field"],
            errors=errors,
        )


class DrawUnavailable(ProblemError):
    def __init__(self, detail: str) -> None:
        super().__init__(503, "draw-unavailable", "Draw service unavailable", detail + "; nothing was changed, retry")


class DrawFailed(ProblemError):
    """The draw service answered, but not with a substitute: its problem is passed on."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(status, "substitute-refused", "The draw service drew no substitute", detail)


class EvidenceNotFound(ProblemError):
    def __init__(self, inspection_id: str, sha256: str) -> None:
        super().__init__(404, "not-found", "evidence not found", f"inspection {inspection_id} has no evidence {sha256}")
