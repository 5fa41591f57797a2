"""Signed tree heads of the audit log: Ed25519 over a C2SP tlog-checkpoint, as a signed note.

The checkpoint body is three lines (origin, tree size in decimal, base64 root hash) plus one
extension line, `timestamp <unix ms>`; the signature line is `— <origin> base64(key id || sig)`
where the key id is the first 4 bytes of SHA-256(origin || 0x0A || 0x01 || public key), as
signed notes define it for Ed25519. Anyone holding the public key can check a head offline.

The key comes from settings (DRAW_AUDIT_SIGNING_KEY, base64 of the 32-byte Ed25519 seed) or a
key file; a missing key file is generated (chmod 600) so `make run` works out of the box —
production sets the key and keeps it out of the repository.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

log = logging.getLogger("ssj.draw.audit")
ED25519 = b"\x01"


def checkpoint_body(origin: str, size: int, root: bytes, timestamp_ms: int) -> str:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\ntimestamp {timestamp_ms}\n"


def key_id(origin: str, public_key: bytes) -> bytes:
    return hashlib.sha256(origin.encode() + b"\n" + ED25519 + public_key).digest()[:4]


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey
    origin: str

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def sign(self, size: int, root: bytes, timestamp_ms: int) -> dict[str, Any]:
        """The tree head as served: the numbers, and the signed note that binds them."""
        body = checkpoint_body(self.origin, size, root, timestamp_ms)
        signature = self.private_key.sign(body.encode())
        stamp = base64.b64encode(key_id(self.origin, self.public_key) + signature).decode()
        return {
            "origin": self.origin,
            "tree_size": size,
            "root_hash": root.hex(),
            "timestamp": timestamp_ms,
            "signature": base64.b64encode(signature).decode(),
            "checkpoint": f"{body}\n\u2014 {self.origin} {stamp}\n",
        }


def verify_tree_head(head: object, public_key_b64: str) -> str | None:
    """None if `head` is signed by the key, else the first reason it is not."""
    try:
        if not isinstance(head, dict):
            return "tree head must be a JSON object"
        root = bytes.fromhex(str(head["root_hash"]))
        size, stamp, origin = head["tree_size"], head["timestamp"], head["origin"]
        if type(size) is not int or type(stamp) is not int or size < 0 or len(root) != 32:
            return "tree head: tree_size and timestamp must be integers, root_hash 32 bytes of hex"
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64, validate=True))
        body = checkpoint_body(str(origin), size, root, stamp)
        public.verify(base64.b64decode(str(head["signature"]), validate=True), body.encode())
    except InvalidSignature:
        return "tree head signature does not verify with this public key"
    except (KeyError, ValueError, TypeError) as error:
        return f"tree head could not be read ({type(error).__name__}: {error})"
    return None


def _from_b64(text: str, where: str) -> Ed25519PrivateKey:
    try:
        seed = base64.b64decode(text.strip(), validate=True)
        return Ed25519PrivateKey.from_private_bytes(seed)
    except ValueError:
        raise ValueError(f"{where} must be base64 of a 32-byte Ed25519 seed") from None


def _generate(key_file: Path) -> None:
    """Written aside, then linked into place: two processes starting together end up with one
    key, and neither ever reads a half-written file."""
    key_file.parent.mkdir(parents=True, exist_ok=True)
    raw = Ed25519PrivateKey.generate().private_bytes_raw()
    aside = key_file.with_name(f".{key_file.name}.{os.getpid()}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(base64.b64encode(raw).decode() + "\n")
    try:
        os.link(aside, key_file)
        log.warning("generated a development audit signing key at %s; production must set its own", key_file)
    except FileExistsError:
        pass
    finally:
        aside.unlink()


def load_signer(key: str | None, key_file: Path | None, origin: str) -> Signer:
    """The configured key, else the key file, generated on first use."""
    if key:
        return Signer(_from_b64(key, "DRAW_AUDIT_SIGNING_KEY"), origin)
    if key_file is None:
        raise ValueError("set DRAW_AUDIT_SIGNING_KEY or DRAW_AUDIT_SIGNING_KEY_FILE: tree heads must be signed")
    if not key_file.exists():
        _generate(key_file)
    return Signer(_from_b64(key_file.read_text(encoding="utf-8"), str(key_file)), origin)
