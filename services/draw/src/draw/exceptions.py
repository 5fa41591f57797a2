"""Domain errors of the draw service, each carrying its HTTP status and stable problem type."""

from shared.problems import Conflict, NotFound, ProblemError


class DrawNotFound(NotFound):
    def __init__(self, draw_id: str) -> None:
        super().__init__("draw", draw_id)


class RegistryUnavailable(ProblemError):
    """The registry could not be reached: the pools cannot be frozen now, nothing was stored."""

    def __init__(self, detail: str) -> None:
        super().__init__(503, "registry-unavailable", "Registry unavailable", detail + "; nothing was stored, retry")


class RegistryFailed(ProblemError):
    """The registry answered, but not with something the pools can be frozen from."""

    def __init__(self, detail: str) -> None:
        super().__init__(502, "registry-error", "Registry error", detail + "; nothing was stored")


class ReRollRefused(Conflict):
    """§4: a draw runs once; other entropy after the fact would be a re-roll."""

    def __init__(self, draw_id: str) -> None:
        super().__init__(
            "re-roll-refused",
            f"draw already executed; re-rolling is refused ({draw_id} ran with "
            "different external_entropy; void it and commit a new draw instead)",
            field="external_entropy",
        )


class NoInspectorLeft(ProblemError):
    """§2 fails the draw rather than put a recused inspector on a team."""

    def __init__(self, entity_id: str) -> None:
        detail = (
            f"no eligible inspector for {entity_id}: every inspector of the frozen pool is recused "
            "from it or already on its team; the draw stays committed and must be voided"
        )
        super().__init__(
            422,
            "no-eligible-inspector",
            "Draw cannot assign a team",
            detail,
            errors=[{"field": "entity_id", "message": f"{entity_id}: no eligible inspector"}],
        )
