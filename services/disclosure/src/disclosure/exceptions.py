"""Domain errors of the disclosure service, each carrying its HTTP status."""

from shared.problems import Conflict


class NotPending(Conflict):
    """Approval and rejection are one-way decisions on a pending result."""

    def __init__(self, result_id: str, status: str) -> None:
        super().__init__(
            f"result-{status}",
            f"result {result_id!r} is already {status}; only pending results can be approved or rejected",
            field="status",
        )
