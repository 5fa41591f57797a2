"""RFC 9457 problem+json errors: one exception type, one set of handlers."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:ssj:problem:"
log = logging.getLogger("ssj.problems")


class ProblemError(Exception):
    """A domain error that knows its HTTP status and stable problem type."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str | None = None,
        *,
        field: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail
        self.field, self.errors, self.headers = field, errors, headers


class NotFound(ProblemError):
    def __init__(self, what: str, ident: str) -> None:
        super().__init__(404, "not-found", f"{what} not found", f"{what} {ident!r} does not exist")


class Conflict(ProblemError):
    def __init__(self, slug: str, detail: str, *, field: str | None = None) -> None:
        super().__init__(409, slug, "Conflict with the current state", detail, field=field)


class InvalidField(ProblemError):
    def __init__(self, field: str, detail: str, *, slug: str = "validation") -> None:
        super().__init__(
            422,
            slug,
            "Request failed validation",
            f"{field}: {detail}",
            field=field,
            errors=[{"field": field, "message": detail}],
        )


def problem_response(problem: ProblemError, request: Request) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + problem.slug,
        "title": problem.title,
        "status": problem.status,
        "instance": request.url.path,
    }
    if problem.detail:
        body["detail"] = problem.detail
    if problem.field:
        body["field"] = problem.field
    if problem.errors:
        body["errors"] = problem.errors
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")] or [str(loc[-1])]
    path = ""
    for part in parts:
        path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
    return path


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(exc, request)


def _error_entry(error: dict[str, Any]) -> dict[str, str]:
    if error["type"] == "json_invalid":
        return {"field": "body", "message": f"not valid JSON ({(error.get('ctx') or {}).get('error', 'decode error')})"}
    return {"field": _field_path(tuple(error["loc"])), "message": error["msg"].removeprefix("Value error, ")}


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [_error_entry(e) for e in exc.errors()]
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    problem = ProblemError(
        422,
        "validation",
        "Request failed validation",
        f"{first['field']}: {first['message']}",
        field=first["field"],
        errors=errors,
    )
    return problem_response(problem, request)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug = {
        401: "unauthorized",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        413: "too-large",
        429: "rate-limited",
    }.get(exc.status_code, "http-error")
    problem = ProblemError(exc.status_code, slug, str(exc.detail), None, headers=dict(exc.headers or {}) or None)
    return problem_response(problem, request)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s", request.url.path)
    return problem_response(ProblemError(500, "internal", "Internal server error"), request)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)
