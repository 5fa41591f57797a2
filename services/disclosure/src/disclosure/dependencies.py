"""Caller identity, the service clock and date rules, as Annotated dependencies.

The clock lives on app.state so tests can move time (deadlines, appeal periods) without sleeping."""

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from disclosure.workdays import Deadlines
from shared.auth import Caller, require_scopes

ReadCaller = Annotated[Caller, Depends(require_scopes("disclosure:read"))]
ApproveCaller = Annotated[Caller, Depends(require_scopes("disclosure:approve"))]


def _now(request: Request) -> datetime:
    return request.app.state.clock()


def _rules(request: Request) -> Deadlines:
    return request.app.state.deadlines


Now = Annotated[datetime, Depends(_now)]
Rules = Annotated[Deadlines, Depends(_rules)]
