"""Evidence files (证据材料): upload raw bytes, list, download; stored under their SHA-256."""

import base64
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response

from inspection import evidence
from inspection.dependencies import TEAM_ONLY, ActingOfficer, EvidenceDep, Now, ReadCaller, ValidInspection
from inspection.schemas import EvidenceRead
from shared.db import SessionDep

router = APIRouter(tags=["evidence"])
BINARY_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The file's bytes, as they are (photo, scan, video); its Content-Type is kept",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/inspections/{inspection_id}/evidence",
    response_model=EvidenceRead,
    status_code=201,
    summary="Upload an evidence file (证据材料); findings then cite it by its SHA-256",
    responses=TEAM_ONLY | {422: {"description": "empty body or bad filename"}},
    openapi_extra=BINARY_BODY,
)
async def upload_evidence(
    inspection_id: str,
    request: Request,
    session: SessionDep,
    officer: ActingOfficer,
    store: EvidenceDep,
    now: Now,
    filename: Annotated[str, Query(min_length=1, max_length=255, pattern=r"^[^/\\\x00]+$")] = "evidence",
) -> Any:
    """Send the file as the request body. The answer's `sha256` is what a finding's `evidence`
    list names; only that digest ever travels in events. The same bytes twice are one file."""
    row = await evidence.upload(
        session,
        inspection_id=inspection_id,
        data=await request.body(),
        filename=filename,
        content_type=request.headers.get("content-type", "application/octet-stream")[:100],
        officer=officer,
        store=store,
        now=now,
    )
    return EvidenceRead.model_validate(row)


@router.get(
    "/inspections/{inspection_id}/evidence",
    response_model=list[EvidenceRead],
    summary="List an inspection's evidence files with their SHA-256 digests",
)
async def list_evidence(_: ReadCaller, inspection: ValidInspection, session: SessionDep) -> Any:
    return await evidence.evidence_of(session, inspection.id)


@router.get(
    "/inspections/{inspection_id}/evidence/{sha256}",
    response_class=Response,
    summary="Download one evidence file, checked against its SHA-256 before it is served",
    responses={200: {"content": {"application/octet-stream": {}}}, 404: {"description": "no such file here"}},
)
async def download_evidence(
    sha256: str, _: ReadCaller, inspection: ValidInspection, session: SessionDep, store: EvidenceDep
) -> Response:
    row, data = await evidence.download(session, store, inspection.id, sha256)
    digest = base64.b64encode(bytes.fromhex(row.sha256)).decode()
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}",
        "Repr-Digest": f"sha-256=:{digest}:",
    }
    return Response(content=data, media_type=row.content_type, headers=headers)
