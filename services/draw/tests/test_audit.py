"""The audit log through the API: every commit and execution is a leaf, every head is signed, and
every proof the service serves checks out offline — and stops checking out when data is altered."""

import asyncio
import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, update

from draw import merkle
from draw.models import AuditEntry, Draw
from draw.signing import verify_tree_head

from .conftest import SIGNING_KEY
from .factories import C, commit, execute, plan, venues_and_team

pytestmark = pytest.mark.integration
PUBLIC_KEY = base64.b64encode(
    Ed25519PrivateKey.from_private_bytes(base64.b64decode(SIGNING_KEY)).public_key().public_bytes_raw()
).decode()


def _proof(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


async def test_heads_inclusion_and_consistency_proofs_verify(client, registry):
    await venues_and_team(registry)
    first = await commit(client)
    await execute(client, first["id"])
    second = await commit(client)
    key = (await client.get("/public/v1/audit/public-key")).json()
    assert key["public_key"] == PUBLIC_KEY and key["algorithm"] == "ed25519"
    head = (await client.get("/public/v1/audit/tree-head")).json()
    assert head["tree_size"] == 3 and verify_tree_head(head, PUBLIC_KEY) is None
    assert head["checkpoint"].startswith(f"{head['origin']}\n3\n") and "\n\n\u2014 " in head["checkpoint"]
    kinds = []
    for index in range(3):
        proof = (await client.get("/public/v1/audit/inclusion-proof", params={"leaf_index": index})).json()
        leaf = merkle.leaf_hash(proof["data"].encode())
        assert leaf.hex() == proof["leaf_hash"] and proof["tree_head"] == head
        assert merkle.verify_inclusion(index, 3, leaf, _proof(proof["proof"]), bytes.fromhex(head["root_hash"]))
        kinds.append((json.loads(proof["data"])["kind"], json.loads(proof["data"])["draw_id"]))
    assert kinds == [("draw.committed", first["id"]), ("draw.executed", first["id"]), ("draw.committed", second["id"])]
    committed = json.loads(
        (await client.get("/public/v1/audit/inclusion-proof", params={"leaf_index": 0})).json()["data"]
    )
    assert (
        committed["commitment_sha256"] == first["commitment_sha256"] and committed["commitment"] == first["commitment"]
    )
    for old in (1, 2, 3):
        c = (await client.get("/public/v1/audit/consistency-proof", params={"first": old})).json()
        old_head = c["first_tree_head"]
        assert verify_tree_head(old_head, PUBLIC_KEY) is None and old_head["tree_size"] == old
        assert merkle.verify_consistency(
            old, 3, bytes.fromhex(old_head["root_hash"]), bytes.fromhex(head["root_hash"]), _proof(c["proof"])
        )


async def test_an_altered_entry_no_longer_proves_against_the_signed_head(client, registry, sessionmaker):
    await venues_and_team(registry)
    draw = await commit(client)
    await commit(client)
    head = (await client.get("/public/v1/audit/tree-head")).json()
    async with sessionmaker() as s, s.begin():
        forged = json.dumps({"kind": "draw.committed", "draw_id": draw["id"], "commitment_sha256": "0" * 64})
        await s.execute(update(AuditEntry).where(AuditEntry.leaf_index == 0).values(data=forged))
    proof = (await client.get("/public/v1/audit/inclusion-proof", params={"leaf_index": 0})).json()
    leaf = merkle.leaf_hash(proof["data"].encode())
    assert not merkle.verify_inclusion(0, 2, leaf, _proof(proof["proof"]), bytes.fromhex(head["root_hash"]))
    forged_head = head | {"root_hash": "00" * 32}
    assert verify_tree_head(forged_head, PUBLIC_KEY) == "tree head signature does not verify with this public key"


async def test_a_refused_commit_logs_nothing_and_bad_queries_are_named(client, registry, sessionmaker):
    await venues_and_team(registry)
    assert (await client.get("/public/v1/audit/tree-head")).status_code == 404
    refused = await client.post("/v1/draws", json=plan(team_size=9), headers=C)
    assert refused.status_code == 422
    async with sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(AuditEntry)) == 0
    await commit(client)
    beyond = await client.get("/public/v1/audit/inclusion-proof", params={"leaf_index": 1})
    assert beyond.status_code == 422 and beyond.json()["field"] == "leaf_index"
    assert (await client.get("/public/v1/audit/tree-head", params={"tree_size": 7})).status_code == 404
    too_new = await client.get("/public/v1/audit/consistency-proof", params={"first": 2})
    assert too_new.status_code == 422 and too_new.json()["field"] == "first"


async def test_concurrent_executions_append_one_leaf_each(durable, registry):
    """Six draws executed at once append six leaves, one after the other (the registry fixture
    shares one connection, so the commits themselves run in turn)."""
    client, sessionmaker = durable
    await venues_and_team(registry)
    draws = [await commit(client, title=f"concurrent {n}") for n in range(6)]
    answers = await asyncio.gather(*(execute(client, d["id"], f"entropy {d['id']}") for d in draws))
    assert {a.status_code for a in answers} == {200}
    async with sessionmaker() as s:
        entries = (await s.scalars(select(AuditEntry).order_by(AuditEntry.leaf_index))).all()
        ids = set((await s.scalars(select(Draw.id))).all())
    assert [e.leaf_index for e in entries] == list(range(12))
    assert {d["id"] for d in draws} <= {e.draw_id for e in entries} <= ids
    head = (await client.get("/public/v1/audit/tree-head")).json()
    assert head["tree_size"] == len(entries)
    assert merkle.root([bytes.fromhex(e.leaf_hash) for e in entries]).hex() == head["root_hash"]
