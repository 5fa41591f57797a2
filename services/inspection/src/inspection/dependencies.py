from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from inspection import service
from inspection.clients import DrawClient
from inspection.evidence import EvidenceStore
from inspection.exceptions import NotYourIdentity
from inspection.models import Inspection
from inspection.service import Officer
from shared.auth import Caller, require_scopes
from shared.db import SessionDep

TEAM_ONLY: dict[int | str, dict[str, Any]] = {
    403: {"description": "missing scope, or the acting officer (X-Inspector-Id / caller name) is not on the team"},
    404: {"description": "no such inspection"},
}
ReadCaller = Annotated[Caller, Depends(require_scopes("inspection:read"))]
RecordCaller = Annotated[Caller, Depends(require_scopes("inspection:record"))]


async def valid_inspection(inspection_id: str, session: SessionDep) -> Inspection:
    """404 before the handler runs, so handlers only see inspections that exist."""
    return await service.get_inspection(session, inspection_id)


async def acting_officer(
    request: Request,
    caller: RecordCaller,
    x_inspector_id: Annotated[
        str | None,
        Header(
            description="The officer acting, for credentials bound to several (INSPECTION_INSPECTOR_BINDINGS); "
            "otherwise the caller's registered name is the inspector id",
            max_length=64,
        ),
    ] = None,
) -> Officer:
    """Each confirmation must come from a distinct officer, so identity is the credential's, not the body's."""
    bound = request.app.state.settings.inspector_bindings.get(caller.name)
    if bound is None:
        bound = [caller.name]
    if x_inspector_id is None:
        if len(bound) != 1 or bound[0] == "*":
            raise NotYourIdentity(caller.name, "(none: send X-Inspector-Id)")
        return Officer(caller.name, bound[0])
    if x_inspector_id not in bound and "*" not in bound:
        raise NotYourIdentity(caller.name, x_inspector_id)
    return Officer(caller.name, x_inspector_id)


def _clock(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


def _draw(request: Request) -> DrawClient:
    return request.app.state.draw


def _evidence(request: Request) -> EvidenceStore:
    return request.app.state.evidence


ValidInspection = Annotated[Inspection, Depends(valid_inspection)]
ActingOfficer = Annotated[Officer, Depends(acting_officer)]
Now = Annotated[datetime, Depends(_clock)]
DrawDep = Annotated[DrawClient, Depends(_draw)]
EvidenceDep = Annotated[EvidenceStore, Depends(_evidence)]
