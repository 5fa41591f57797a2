import base64
from typing import Any

from fastapi import APIRouter, Depends, Query

from draw import audit
from draw.audit_schemas import AuditPublicKey, ConsistencyProof, DrawAuditEntries, InclusionProof, TreeHeadRead
from draw.dependencies import SignerDep
from draw.signing import key_id
from shared.db import SessionDep
from shared.limits import RATE_LIMITED, rate_limited

MAX_SIZE = 2**62  # sizes and indexes are BIGINT in the database
router = APIRouter(
    prefix="/public/v1/audit",
    tags=["audit log"],
    dependencies=[Depends(rate_limited("audit"))],
    responses=RATE_LIMITED,
)


@router.get("/public-key", response_model=AuditPublicKey, summary="The key that signs the audit log's tree heads")
async def get_public_key(signer: SignerDep) -> Any:
    """Ed25519, raw 32 bytes in base64; `ssj audit verify --key` takes this value. Pin it out of band."""
    return {
        "origin": signer.origin,
        "algorithm": "ed25519",
        "public_key": base64.b64encode(signer.public_key).decode(),
        "key_id": key_id(signer.origin, signer.public_key).hex(),
    }


@router.get(
    "/tree-head",
    response_model=TreeHeadRead,
    summary="The signed tree head (签名树头) of the audit log: latest, or at a given size",
)
async def get_tree_head(
    session: SessionDep,
    tree_size: int | None = Query(None, ge=1, le=MAX_SIZE, description="A past size; default the latest"),
) -> Any:
    """RFC 9162 Merkle tree over every commit, execution and void; signed as a C2SP checkpoint note."""
    return audit.head_view(await audit.tree_head(session, tree_size))


@router.get(
    "/inclusion-proof",
    response_model=InclusionProof,
    summary="Inclusion proof (包含证明): an entry, its audit path and the signed head it leads to",
)
async def get_inclusion_proof(
    session: SessionDep,
    leaf_index: int = Query(ge=0, le=MAX_SIZE, description="The entry's position in the log (from 0)"),
    tree_size: int | None = Query(None, ge=1, le=MAX_SIZE, description="Prove against this size; default the latest"),
) -> Any:
    """Check offline: leaf hash = SHA-256(0x00 || data), the path per RFC 9162 §2.1.3.2 gives the head's
    root, and the head's signature verifies (`ssj audit verify`)."""
    return await audit.inclusion(session, leaf_index, tree_size)


@router.get(
    "/consistency-proof",
    response_model=ConsistencyProof,
    summary="Consistency proof (一致性证明): the log at `first` is a prefix of the log at `second`",
)
async def get_consistency_proof(
    session: SessionDep,
    first: int = Query(ge=1, le=MAX_SIZE, description="The older tree size"),
    second: int | None = Query(None, ge=1, le=MAX_SIZE, description="The newer tree size; default the latest"),
) -> Any:
    """RFC 9162 §2.1.4: proves nothing logged at `first` was changed or removed later."""
    return await audit.consistency(session, first, second)


@router.get(
    "/draws/{draw_id}",
    response_model=DrawAuditEntries,
    summary="A draw's audit entries: its commit, execution and void, with their leaf indexes",
)
async def get_draw_entries(draw_id: str, session: SessionDep) -> Any:
    entries = await audit.entries_of(session, draw_id)
    return {
        "draw_id": draw_id,
        "entries": [
            {"leaf_index": e.leaf_index, "kind": e.kind, "data": e.data, "leaf_hash": e.leaf_hash} for e in entries
        ],
    }
