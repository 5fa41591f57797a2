"""Bearer credentials of registered calling systems, with scopes."""

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.problems import ProblemError
from shared.settings import CallerConfig

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="CallerToken",
    description="Bearer token of a registered calling system (make run writes one to var/dev-token).",
)


@dataclass(frozen=True)
class Caller:
    name: str
    scopes: frozenset[str]


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, "unauthorized", "Authentication required", detail, headers={"WWW-Authenticate": "Bearer"})


def identify(token: str, callers: list[CallerConfig]) -> Caller | None:
    digest = token_sha256(token)
    for caller in callers:
        if hmac.compare_digest(digest, caller.token_sha256):
            return Caller(caller.name, frozenset(caller.scopes))
    return None


def require_scopes(*scopes: str) -> Callable[..., Awaitable[Caller]]:
    """Dependency factory: 401 without a known credential, 403 without every scope."""

    async def dependency(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Security(bearer_scheme),
    ) -> Caller:
        if credentials is None:
            raise _unauthorized("send Authorization: Bearer <token>")
        caller = identify(credentials.credentials, request.app.state.settings.registered_callers())
        if caller is None:
            raise _unauthorized("the bearer token is not registered")
        missing = [s for s in scopes if s not in caller.scopes]
        if missing:
            raise ProblemError(
                403, "forbidden", "Missing scope", f"caller {caller.name!r} lacks scope {', '.join(missing)}"
            )
        request.state.caller = caller.name
        return caller

    dependency.__name__ = "require_" + "_".join(s.replace(":", "_") for s in scopes)
    return dependency
