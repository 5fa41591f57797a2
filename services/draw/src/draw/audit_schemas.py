"""Pydantic I/O of the public audit log endpoints (all hashes lowercase hex)."""

from pydantic import BaseModel, Field


class AuditPublicKey(BaseModel):
    origin: str
    algorithm: str
    public_key: str = Field(description="Raw Ed25519 public key, base64")
    key_id: str = Field(description="Signed-note key id: SHA-256(origin || 0x0A || 0x01 || key)[:4], hex")


class TreeHeadRead(BaseModel):
    origin: str
    tree_size: int
    root_hash: str
    timestamp: int = Field(description="Milliseconds since the Unix epoch")
    signature: str = Field(description="Ed25519 over the checkpoint body, base64")
    checkpoint: str = Field(description="The signed note: origin, size, base64 root, `timestamp <ms>`, signature")


class InclusionProof(BaseModel):
    leaf_index: int
    tree_size: int
    data: str = Field(description="The entry: canonical JSON (sorted keys, no spaces), UTF-8")
    leaf_hash: str
    proof: list[str]
    tree_head: TreeHeadRead


class ConsistencyProof(BaseModel):
    first: int
    second: int
    proof: list[str]
    first_tree_head: TreeHeadRead
    second_tree_head: TreeHeadRead


class AuditEntryRead(BaseModel):
    leaf_index: int
    kind: str
    data: str
    leaf_hash: str


class DrawAuditEntries(BaseModel):
    draw_id: str
    entries: list[AuditEntryRead]
