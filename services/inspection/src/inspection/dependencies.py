from typing import Annotated

from fastapi import Depends

from inspection import service
from inspection.models import Inspection
from shared.auth import Caller, require_scopes
from shared.db import SessionDep

ReadCaller = Annotated[Caller, Depends(require_scopes("inspection:read"))]
RecordCaller = Annotated[Caller, Depends(require_scopes("inspection:record"))]


async def valid_inspection(inspection_id: str, session: SessionDep) -> Inspection:
    """404 before the handler runs, so handlers only see inspections that exist."""
    return await service.get_inspection(session, inspection_id)


ValidInspection = Annotated[Inspection, Depends(valid_inspection)]
