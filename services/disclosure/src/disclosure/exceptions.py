"""Domain errors of the disclosure service, each carrying its HTTP status."""

from shared.problems import Conflict, InvalidField, ProblemError


class NotPending(Conflict):
    """Approval and rejection are one-way decisions on a pending result."""

    def __init__(self, result_id: str, status: str) -> None:
        super().__init__(
            f"result-{status}",
            f"result {result_id!r} is already {status}; only pending results can be approved or rejected",
            field="status",
        )


class NotPublished(Conflict):
    """Corrections, withdrawals and appeals follow a publication; a withdrawal is final."""

    def __init__(self, result_id: str, status: str, action: str) -> None:
        super().__init__(
            f"result-{status}",
            f"result {result_id!r} is {status}; only a published result can get a {action}",
            field="status",
        )


class InvolvedOfficer(ProblemError):
    """双随机: whoever inspected may not approve, correct or judge an appeal on the same result."""

    def __init__(self, caller: str, result_id: str, team: list[str]) -> None:
        super().__init__(
            403,
            "involved-officer",
            "Caller took part in the inspection",
            f"caller {caller!r} was on the inspection team of result {result_id!r} ({', '.join(team)}); "
            "an officer not involved in the inspection must decide",
            field="caller",
        )


class PolicyForbids(InvalidField):
    """A decision the sector's publication policy (seed §4) does not allow."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(field, detail, slug="publication-policy")


class AppealRefused(ProblemError):
    def __init__(self, status: int, slug: str, detail: str, *, field: str | None = None) -> None:
        super().__init__(status, slug, "Appeal refused", detail, field=field)


class AppealDecided(Conflict):
    def __init__(self, appeal_id: str, status: str) -> None:
        super().__init__(
            f"appeal-{status}", f"appeal {appeal_id!r} is already {status}; it can be decided once", field="status"
        )
