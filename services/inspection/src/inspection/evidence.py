"""Evidence files, stored content-addressed under their SHA-256 in a local directory. Findings
and events carry only the digests; the bytes never leave this service except by download here."""

import asyncio
import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from inspection import audit, service
from inspection.exceptions import EvidenceNotFound
from inspection.models import Evidence
from inspection.service import Officer
from shared.problems import InvalidField, ProblemError


class EvidenceStore:
    """`<root>/<first two hex digits>/<sha256>`, written atomically, checked on every read."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def _put(self, data: bytes, sha256: str) -> None:
        target = self.path(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)

    async def put(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        await asyncio.to_thread(self._put, data, sha256)
        return sha256

    async def get(self, sha256: str) -> bytes:
        """The stored bytes; a file that no longer hashes to its name is refused, not served."""
        data = await asyncio.to_thread(self.path(sha256).read_bytes)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ProblemError(500, "evidence-altered", "Evidence file altered", f"stored file {sha256} changed")
        return data


async def upload(
    session: AsyncSession,
    *,
    inspection_id: str,
    data: bytes,
    filename: str,
    content_type: str,
    officer: Officer,
    store: EvidenceStore,
    now: datetime,
) -> Evidence:
    """Store the file and attach it to the inspection; the same bytes twice are one file."""
    inspection = await service.team_inspection(session, inspection_id, officer)
    if not data:
        raise InvalidField("body", "an evidence file cannot be empty")
    sha256 = await store.put(data)
    existing = await session.get(Evidence, (inspection.id, sha256))
    if existing is not None:
        return existing
    row = Evidence(
        inspection_id=inspection.id,
        sha256=sha256,
        filename=filename,
        content_type=content_type,
        size_bytes=len(data),
        inspector_id=officer.inspector_id,
        uploaded_at=now,
    )
    session.add(row)
    entry = audit.entry(
        inspection.id,
        "evidence_uploaded",
        officer.caller,
        now,
        officer.inspector_id,
        sha256=sha256,
        filename=filename,
        size_bytes=len(data),
    )
    await audit.log(session, entry)
    await session.flush()
    return row


async def evidence_of(session: AsyncSession, inspection_id: str) -> list[Evidence]:
    query = select(Evidence).where(Evidence.inspection_id == inspection_id).order_by(Evidence.uploaded_at)
    return list((await session.scalars(query)).all())


async def download(
    session: AsyncSession, store: EvidenceStore, inspection_id: str, sha256: str
) -> tuple[Evidence, bytes]:
    row = await session.get(Evidence, (inspection_id, sha256))
    if row is None:
        raise EvidenceNotFound(inspection_id, sha256)
    return row, await store.get(sha256)
