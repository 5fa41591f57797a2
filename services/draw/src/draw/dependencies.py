from typing import Annotated

from fastapi import Depends, Request

from draw import service
from draw.clients import RegistryClient
from draw.models import Draw
from draw.rules import RuleTable
from draw.signing import Signer
from shared.auth import Caller, require_scopes
from shared.db import SessionDep

CommitCaller = Annotated[Caller, Depends(require_scopes("draw:commit"))]
ExecuteCaller = Annotated[Caller, Depends(require_scopes("draw:execute"))]
VoidCaller = Annotated[Caller, Depends(require_scopes("draw:void"))]
# Plans and compliance are internal: they name units to be criticised (通报批评).
ReadCaller = Annotated[Caller, Depends(require_scopes("draw:read"))]


def _registry(request: Request) -> RegistryClient:
    return request.app.state.registry


def _signer(request: Request) -> Signer:
    return request.app.state.signer


def _rules(request: Request) -> RuleTable:
    return request.app.state.rules


def counties(request: Request) -> list[str]:
    return list(request.app.state.settings.counties)


async def valid_draw(draw_id: str, session: SessionDep) -> Draw:
    """404 before the handler runs, for the read routes."""
    return await service.get_draw(session, draw_id)


RegistryDep = Annotated[RegistryClient, Depends(_registry)]
SignerDep = Annotated[Signer, Depends(_signer)]
RulesDep = Annotated[RuleTable, Depends(_rules)]
CountiesDep = Annotated[list[str], Depends(counties)]
ValidDraw = Annotated[Draw, Depends(valid_draw)]
