from typing import Annotated

from fastapi import Depends

from shared.auth import Caller, require_scopes

ReadCaller = Annotated[Caller, Depends(require_scopes("disclosure:read"))]
ApproveCaller = Annotated[Caller, Depends(require_scopes("disclosure:approve"))]
