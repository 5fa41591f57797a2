from typing import Annotated

from fastapi import Depends, Request

from draw import service
from draw.clients import RegistryClient
from draw.models import Draw
from shared.auth import Caller, require_scopes
from shared.db import SessionDep

CommitCaller = Annotated[Caller, Depends(require_scopes("draw:commit"))]
ExecuteCaller = Annotated[Caller, Depends(require_scopes("draw:execute"))]


def _registry(request: Request) -> RegistryClient:
    return request.app.state.registry


async def valid_draw(draw_id: str, session: SessionDep) -> Draw:
    """404 before the handler runs, for the read routes."""
    return await service.get_draw(session, draw_id)


RegistryDep = Annotated[RegistryClient, Depends(_registry)]
ValidDraw = Annotated[Draw, Depends(valid_draw)]
