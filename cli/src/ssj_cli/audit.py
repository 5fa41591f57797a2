"""`ssj audit verify`: check the draw service's audit log offline — signed tree heads (Ed25519),
inclusion proofs and consistency proofs (RFC 9162) — from saved files or fetched ones.

Nothing the server sends is trusted: leaf hashes are recomputed from the entries' data, roots
from the proofs, and heads must carry a signature by the pinned public key (--key).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import httpx

from draw import merkle
from draw.signing import verify_tree_head


class Invalid(Exception):
    pass


def _hashes(values: object, what: str) -> list[bytes]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise Invalid(f"{what} must be a list of hex hashes")
    try:
        return [bytes.fromhex(v) for v in values]
    except ValueError:
        raise Invalid(f"{what} holds something that is not hex") from None


def check_head(head: object, key: str) -> dict[str, Any]:
    reason = verify_tree_head(head, key)
    if reason:
        raise Invalid(reason)
    assert isinstance(head, dict)
    return head


def check_inclusion(proof: dict[str, Any], head: dict[str, Any]) -> None:
    """The entry's data hashes to a leaf that the path leads from, to the signed head's root."""
    try:
        index, data = int(proof["leaf_index"]), str(proof["data"])
    except (KeyError, TypeError, ValueError):
        raise Invalid("inclusion proof needs leaf_index and data") from None
    leaf = merkle.leaf_hash(data.encode())
    path = _hashes(proof.get("proof"), f"inclusion proof of leaf {index}")
    if not merkle.verify_inclusion(index, head["tree_size"], leaf, path, bytes.fromhex(head["root_hash"])):
        raise Invalid(f"leaf {index} is not in the signed tree of size {head['tree_size']}")


def check_consistency(proof: dict[str, Any], old: dict[str, Any], new: dict[str, Any]) -> None:
    path = _hashes(proof.get("proof"), "consistency proof")
    old_root, new_root = bytes.fromhex(old["root_hash"]), bytes.fromhex(new["root_hash"])
    if not merkle.verify_consistency(old["tree_size"], new["tree_size"], old_root, new_root, path):
        raise Invalid(f"the log of size {old['tree_size']} is not a prefix of the log of size {new['tree_size']}")


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise Invalid(f"cannot read {path}: {error}") from None


def _get(http: httpx.Client, path: str, **params: Any) -> Any:
    try:
        response = http.get(path, params=params)
    except httpx.HTTPError as error:
        raise Invalid(f"GET {path}: {error}") from None
    if response.status_code != 200:
        raise Invalid(f"GET {path}: HTTP {response.status_code} {response.text[:200]}")
    return response.json()


def _online(http: httpx.Client, key: str, old_head: dict[str, Any] | None, entries: list[int]) -> list[str]:
    head = check_head(_get(http, "/public/v1/audit/tree-head"), key)
    done = [f"tree head: size {head['tree_size']}, root {head['root_hash']}"]
    with click.progressbar(entries, label="inclusion proofs", file=sys.stderr) as bar:
        for index in bar:
            proof = _get(http, "/public/v1/audit/inclusion-proof", leaf_index=index, tree_size=head["tree_size"])
            check_inclusion(proof, head)
    done.append(f"{len(entries)} inclusion proofs")
    if old_head is not None:
        proof = _get(http, "/public/v1/audit/consistency-proof", first=old_head["tree_size"], second=head["tree_size"])
        check_consistency(proof, old_head, head)
        done.append(f"consistent with the earlier head of size {old_head['tree_size']}")
    return done


def _offline(
    key: str, head_file: Path, old_head: dict[str, Any] | None, files: tuple[Path, ...], consistency: Path | None
) -> list[str]:
    head = check_head(_read(head_file), key)
    for path in files:
        check_inclusion(_read(path), head)
    done = [f"tree head: size {head['tree_size']}, root {head['root_hash']}", f"{len(files)} inclusion proofs"]
    if consistency is not None:
        if old_head is None:
            raise Invalid("--consistency needs --old-head")
        check_consistency(_read(consistency), old_head, head)
        done.append(f"consistent with the earlier head of size {old_head['tree_size']}")
    return done


@click.group("audit")
def audit() -> None:
    """The draw audit log (审计日志): signed tree heads and Merkle proofs."""


@audit.command("verify")
@click.option("--key", envvar="SSJ_AUDIT_KEY", required=True, help="The log's Ed25519 public key (base64), pinned.")
@click.option("--head", "head_file", type=click.Path(dir_okay=False, path_type=Path), help="A saved tree head.")
@click.option("--inclusion", "inclusions", multiple=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--old-head", type=click.Path(dir_okay=False, path_type=Path), help="An earlier saved tree head.")
@click.option("--consistency", type=click.Path(dir_okay=False, path_type=Path), help="A saved consistency proof.")
@click.option("--url", envvar="SSJ_DRAW_URL", help="Fetch head and proofs from this draw service instead.")
@click.option("--entry", "entries", multiple=True, type=int, help="With --url: prove these leaf indexes.")
@click.option("--all-entries", is_flag=True, help="With --url: prove every entry of the log.")
def verify(
    key: str,
    head_file: Path | None,
    inclusions: tuple[Path, ...],
    old_head: Path | None,
    consistency: Path | None,
    url: str | None,
    entries: tuple[int, ...],
    all_entries: bool,
) -> None:
    """Check signed tree heads and proofs; exit 0 if all hold, 1 with the first reason otherwise.
    Offline: --head plus --inclusion/--consistency files. Online: --url (the checks still run here)."""
    try:
        old = check_head(_read(old_head), key) if old_head else None
        if head_file is not None:
            done = _offline(key, head_file, old, inclusions, consistency)
        elif url:
            with httpx.Client(base_url=url, timeout=60) as http:
                size = check_head(_get(http, "/public/v1/audit/tree-head"), key)["tree_size"]
                done = _online(http, key, old, list(range(size)) if all_entries else list(entries))
        else:
            raise click.UsageError("give --head (offline) or --url (online)")
    except Invalid as problem:
        click.echo(f"invalid: {problem}", err=True)
        sys.exit(1)
    click.echo("valid: " + "; ".join(done))
