"""Domain errors of the draw service, each carrying its HTTP status and stable problem type."""

from shared.problems import Conflict, InvalidField, NotFound, ProblemError


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


class DrawVoided(Conflict):
    """A voided draw never runs; its replacement does."""

    def __init__(self, draw_id: str, replacement: str | None) -> None:
        instead = f"; execute its replacement {replacement}" if replacement else ""
        super().__init__("draw-voided", f"draw {draw_id} was voided and cannot be executed{instead}")


class VoidConflict(Conflict):
    """A void request that the draw's state does not allow (already voided, already requested, none yet)."""

    def __init__(self, detail: str) -> None:
        super().__init__("void-conflict", detail)


class SecondPersonRequired(ProblemError):
    """§4: a void needs a reason and a second person's approval; one caller cannot do both."""

    def __init__(self, draw_id: str, caller: str) -> None:
        super().__init__(
            403,
            "second-person-required",
            "A second person must approve the void",
            f"{caller!r} requested the void of {draw_id}; another caller with scope draw:void must approve it",
        )


class UnknownRule(ProblemError):
    def __init__(self, field: str, code: str, known: list[str]) -> None:
        super().__init__(
            422,
            "unknown-rule",
            "Unknown rule",
            f"{field}: no rule {code!r} in the rule table (rules: {', '.join(known)})",
            field=field,
            errors=[{"field": field, "message": f"no rule {code!r}"}],
        )


class EmptyPool(InvalidField):
    """No active entity matches the plan: nothing to draw (for a rule's county, nothing to check)."""

    def __init__(self, sector: str) -> None:
        super().__init__("sector", f"no active {sector} entity matches the filters: the pool is empty")
