"""The tamper-evident audit log (draw-algorithm.md §4): every commit, execution and void is a leaf
of an RFC 9162 Merkle tree, appended in the same transaction as the change it records, and every
tree size gets a signed tree head. Proofs are computed from the stored leaf hashes."""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from draw import merkle
from draw.algorithm import Selection
from draw.models import AuditEntry, TreeHead
from draw.signing import Signer
from shared.db import is_postgres
from shared.problems import InvalidField, NotFound

COMMITTED, EXECUTED, VOIDED = "draw.committed", "draw.executed", "draw.voided"
_APPEND_LOCK = 0x55A7D0A0  # pg advisory lock key: appends to the one log run one at a time


def canonical(data: dict[str, Any]) -> str:
    """The leaf's data: JSON with sorted keys and no spaces, UTF-8 — one text per fact."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def selections_sha256(selections: list[Selection]) -> str:
    """SHA-256 of one `position TAB entity_id TAB stratum TAB team LF` line per selection (team
    joined by ","): what the execution entry binds, recomputable from the public record."""
    text = "".join(f"{s.position}\t{s.entity_id}\t{s.stratum}\t{','.join(s.team)}\n" for s in selections)
    return hashlib.sha256(text.encode()).hexdigest()


async def _latest(session: AsyncSession) -> TreeHead | None:
    return await session.scalar(select(TreeHead).order_by(TreeHead.tree_size.desc()).limit(1))


async def append(session: AsyncSession, signer: Signer, *, kind: str, draw_id: str, data: dict[str, Any]) -> AuditEntry:
    """Add one leaf and sign the new head. Flushes; the caller's transaction commits both with
    the change they record, or neither."""
    if is_postgres(session):
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK})
    head = await _latest(session)
    frontier = merkle.Frontier.from_json(head.frontier if head else None)
    now = datetime.now(UTC)
    body = canonical({"kind": kind, "draw_id": draw_id, "at": now.isoformat()} | data)
    leaf = merkle.leaf_hash(body.encode())
    entry = AuditEntry(
        leaf_index=frontier.size, kind=kind, draw_id=draw_id, data=body, leaf_hash=leaf.hex(), created_at=now
    )
    frontier.append(leaf)
    signed = signer.sign(frontier.size, frontier.root(), int(now.timestamp() * 1000))
    session.add(entry)
    session.add(
        TreeHead(
            tree_size=signed["tree_size"],
            root_hash=signed["root_hash"],
            timestamp=signed["timestamp"],
            origin=signed["origin"],
            signature=signed["signature"],
            checkpoint=signed["checkpoint"],
            frontier=frontier.to_json(),
        )
    )
    await session.flush()
    return entry


def head_view(head: TreeHead) -> dict[str, Any]:
    return {
        "origin": head.origin,
        "tree_size": head.tree_size,
        "root_hash": head.root_hash,
        "timestamp": head.timestamp,
        "signature": head.signature,
        "checkpoint": head.checkpoint,
    }


async def tree_head(session: AsyncSession, size: int | None = None) -> TreeHead:
    head = await _latest(session) if size is None else await session.get(TreeHead, size)
    if head is None:
        if size is None:
            raise NotFound("tree head", "latest (the log is empty)")
        raise NotFound("tree head", str(size))
    return head


async def _leaf_hashes(session: AsyncSession, size: int) -> list[bytes]:
    query = select(AuditEntry.leaf_hash).where(AuditEntry.leaf_index < size).order_by(AuditEntry.leaf_index)
    return [bytes.fromhex(h) for h in (await session.scalars(query)).all()]


async def inclusion(session: AsyncSession, leaf_index: int, size: int | None) -> dict[str, Any]:
    """The entry, the signed head of `size` (default: latest) and the audit path between them."""
    head = await tree_head(session, size)
    if leaf_index >= head.tree_size:
        raise InvalidField("leaf_index", f"{leaf_index} is not in a tree of {head.tree_size} leaves")
    entry = await session.get(AuditEntry, leaf_index)
    assert entry is not None
    proof = merkle.inclusion_proof(leaf_index, await _leaf_hashes(session, head.tree_size))
    return {
        "leaf_index": leaf_index,
        "tree_size": head.tree_size,
        "data": entry.data,
        "leaf_hash": entry.leaf_hash,
        "proof": [p.hex() for p in proof],
        "tree_head": head_view(head),
    }


async def consistency(session: AsyncSession, first: int, second: int | None) -> dict[str, Any]:
    new = await tree_head(session, second)
    if not 1 <= first <= new.tree_size:
        raise InvalidField("first", f"must be from 1 to the newer tree's size {new.tree_size}")
    old = await tree_head(session, first)
    proof = merkle.consistency_proof(first, await _leaf_hashes(session, new.tree_size))
    return {
        "first": first,
        "second": new.tree_size,
        "proof": [p.hex() for p in proof],
        "first_tree_head": head_view(old),
        "second_tree_head": head_view(new),
    }


async def entries_of(session: AsyncSession, draw_id: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.draw_id == draw_id).order_by(AuditEntry.leaf_index)
    return list((await session.scalars(query)).all())
