"""The audit log's Merkle tree against published RFC 6962 / RFC 9162 test vectors.

Vectors copied from transparency-dev/merkle (Apache-2.0):
- proof/verify_test.go at commit 02194e9afb6c1d95b5381350007963aa70fff472: `leaves`, `roots`,
  `inclusionProofs` and `consistencyProofs` (the RFC 6962 reference vectors; in `inclusionProofs`
  the first number is the 1-based leaf, the second the tree size);
- rfc6962/rfc6962_test.go at commit 78493b07ef9b552e3379abf9e23d4da26fbe797c: the empty tree,
  empty leaf, leaf and node hashes.
RFC 9162 §2.1 defines the same tree (leaf H(0x00 || d), node H(0x01 || l || r)).
"""

import hashlib
import random

import pytest

from draw import merkle

LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657")] + [
    bytes.fromhex("606162636465666768696a6b6c6d6e6f")
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        2,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
HASHED = [merkle.leaf_hash(leaf) for leaf in LEAVES]


def _hex(values: list[bytes]) -> list[str]:
    return [v.hex() for v in values]


def test_the_hasher_vectors():
    assert merkle.EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle.leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert merkle.leaf_hash(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    node = merkle.node_hash(b"N123", b"N456")
    assert node.hex() == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_every_prefix_and_the_frontier_agree(size):
    assert merkle.root(HASHED[:size]).hex() == ROOTS[size - 1]
    frontier = merkle.Frontier()
    for leaf in HASHED[:size]:
        frontier.append(leaf)
    assert frontier.size == size and frontier.root().hex() == ROOTS[size - 1]
    assert merkle.Frontier.from_json(frontier.to_json()).root() == frontier.root()


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION)
def test_inclusion_proofs_match_and_verify(leaf, size, proof):
    assert _hex(merkle.inclusion_proof(leaf - 1, HASHED[:size])) == proof
    root = bytes.fromhex(ROOTS[size - 1])
    path = [bytes.fromhex(p) for p in proof]
    assert merkle.verify_inclusion(leaf - 1, size, HASHED[leaf - 1], path, root)


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION[1:])
def test_corrupted_inclusion_proofs_fail(leaf, size, proof):
    """The probes of verify_test.go's corruptInclusionProof."""
    index, root = leaf - 1, bytes.fromhex(ROOTS[size - 1])
    path, some = [bytes.fromhex(p) for p in proof], hashlib.sha256(b"some").digest()
    probes = [
        (index - 1, size, HASHED[index], path, root),
        (index + 1, size, HASHED[index], path, root),
        (index ^ 2, size, HASHED[index], path, root),
        (index, size * 2, HASHED[index], path, root),
        (index, size // 2, HASHED[index], path, root),
        (index, size, b"WrongLeaf", path, root),
        (index, size, HASHED[index], path, merkle.EMPTY_ROOT),
        (index, size, HASHED[index], [*path, b""], root),
        (index, size, HASHED[index], [*path, root], root),
        (index, size, HASHED[index], [b"", *path], root),
        (index, size, HASHED[index], path[:-1], root),
        (index, size, HASHED[index], [path[0], some, *path[1:]], root),
    ]
    for i in range(len(path)):
        flipped = list(path)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((index, size, HASHED[index], flipped, root))
    for probe in probes:
        assert not merkle.verify_inclusion(*probe), probe


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY)
def test_consistency_proofs_match_and_verify(first, second, proof):
    assert _hex(merkle.consistency_proof(first, HASHED[:second])) == proof
    old, new = bytes.fromhex(ROOTS[first - 1]), bytes.fromhex(ROOTS[second - 1])
    path = [bytes.fromhex(p) for p in proof]
    assert merkle.verify_consistency(first, second, old, new, path)
    if path:
        assert not merkle.verify_consistency(first, second, new, old, path)
        assert not merkle.verify_consistency(first, second, old, new, path[:-1])
        assert not merkle.verify_consistency(first - 1, second, old, new, path)
        assert not merkle.verify_consistency(first, second, old, new, [*path, old])
        assert not merkle.verify_consistency(first, second, old, new, [path[0], *path])


def test_trivial_consistency_cases():
    one, two = b"don't care 1", b"don't care 2"
    assert merkle.verify_consistency(0, 0, one, one, []) and merkle.verify_consistency(0, 1, one, two, [])
    assert not merkle.verify_consistency(1, 1, one, two, [])
    assert not merkle.verify_consistency(2, 1, one, two, [])
    assert not merkle.verify_consistency(1, 2, one, two, [])
    assert not merkle.verify_consistency(1, 1, merkle.EMPTY_ROOT, merkle.EMPTY_ROOT, [merkle.EMPTY_ROOT])


def test_every_proof_of_a_larger_tree_verifies():
    rng = random.Random(9162)
    leaves = [merkle.leaf_hash(rng.randbytes(8)) for _ in range(77)]
    roots = [merkle.root(leaves[:n]) for n in range(78)]
    for size in range(1, 78):
        for index in range(size):
            assert merkle.verify_inclusion(
                index, size, leaves[index], merkle.inclusion_proof(index, leaves[:size]), roots[size]
            )
        for old in range(1, size + 1):
            proof = merkle.consistency_proof(old, leaves[:size])
            assert merkle.verify_consistency(old, size, roots[old], roots[size], proof)
