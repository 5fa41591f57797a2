from typing import Annotated

from fastapi import Depends

from shared.auth import Caller, require_scopes

ReadCaller = Annotated[Caller, Depends(require_scopes("registry:read"))]
WriteCaller = Annotated[Caller, Depends(require_scopes("registry:write"))]
