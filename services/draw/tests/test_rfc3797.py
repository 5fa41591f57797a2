"""RFC 3797 selection against the RFC's own fully worked example (RFC 3797 §6)."""

import hashlib

import pytest

from draw.algorithm import DrawInputError
from draw.rfc3797 import canonical_source, canonical_value, key_string, rfc3797_team_seed, select

# RFC 3797 §6 "Fully Worked Example": a pool of 25 volunteers, three public sources (a single
# number, then 5 and 6 lottery numbers as drawn), and the key string the RFC derives from them.
RFC_SOURCES = ["9319", "2 5 12 8 10", "9 18 26 34 41 45"]
RFC_KEY = "9319./2.5.8.10.12./9.18.26.34.41.45./"
# The table of RFC 3797 §6: index (from 1), MD5 in hex, remaining pool ("div"), position selected.
# Copied from the RFC's table (as also reproduced by richsalz/ietf-rfc3797-code ref.results).
RFC_TABLE = [
    (1, "990DD0A5692A029A98B5E01AA28F3459", 25, 17),
    (2, "3691E55CB63FCC37914430B2F70B5EC6", 24, 7),
    (3, "FE814EDF564C190AC1D25753979990FA", 23, 2),
    (4, "1863CCACEB568C31D7DDBDF1D4E91387", 22, 16),
    (5, "F4AB33DF4889F0AF29C513905BE1D758", 21, 25),
    (6, "13EAEB529F61ACFB9A29D0BA3A60DE4A", 20, 23),
    (7, "992DB77C382CA2BDB9727001F3CDCCD9", 19, 8),
    (8, "63AB4258ECA922976811C7F55C383CE7", 18, 24),
    (9, "DFBC5AC97CED01B3A6E348E3CC63F40D", 17, 19),
    (10, "31CB111C4A4EBE9287CEAE16FE51B909", 16, 13),
    (11, "07FA46C122F164C215BBC72793B189A3", 15, 22),
    (12, "AC52F8D75CCBE2E61AFEB3387637D501", 14, 5),
    (13, "53306F73E14FC0B2FBF434218D25948E", 13, 18),
    (14, "B5D1403501A81F9A47318BE7893B347C", 12, 9),
    (15, "85B10B356AA06663EF1B1B407765100A", 11, 1),
    (16, "3269E6CE559ABD57E2BA6AAB495EB9BD", 10, 4),
]


def test_rfc_example_key_string():
    assert key_string(RFC_SOURCES) == RFC_KEY
    assert key_string([[9319], [2, 5, 12, 8, 10], ["9", "18", "26", "34", "41", "45"]]) == RFC_KEY


def test_rfc_example_digests():
    for index, md5_hex, _div, _selected in RFC_TABLE:
        prefix = (index - 1).to_bytes(2, "big")
        assert hashlib.md5(prefix + RFC_KEY.encode() + prefix).hexdigest().upper() == md5_hex


def test_rfc_example_selection():
    assert select(25, 16, RFC_SOURCES) == [selected for *_, selected in RFC_TABLE]
    # the ten the RFC's example NomCom actually seats: Lee, Doc, Mary, Charity, Kasczynski, ...
    assert select(25, 10, RFC_SOURCES) == [17, 7, 2, 16, 25, 23, 8, 24, 19, 13]


def test_fewer_draws_are_a_prefix_and_the_whole_pool_is_a_permutation():
    everyone = select(25, 25, RFC_SOURCES)
    assert sorted(everyone) == list(range(1, 26))
    assert all(select(25, k, RFC_SOURCES) == everyone[:k] for k in range(26))


def test_large_pools_draw_distinct_positions_in_range():
    picked = select(1_000_000, 2000, ["1 2 3"])
    assert len(set(picked)) == 2000 and all(1 <= p <= 1_000_000 for p in picked)


def test_selection_matches_a_literal_list_removal():
    key = key_string(["7 3", "12.5"]).encode()
    remaining, expected = list(range(1, 41)), []
    for i in range(40):
        prefix = i.to_bytes(2, "big")
        h = int.from_bytes(hashlib.md5(prefix + key + prefix).digest(), "big")
        expected.append(remaining.pop(h % len(remaining)))
    assert select(40, 40, ["7 3", "12.5"]) == expected


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("9319", "9319."),
        ("0009", "9."),
        ("0", "0."),
        ("000", "0."),
        (7, "7."),
        ("3.1400", "3.14"),  # a fraction keeps its period as separator and loses trailing zeros
        ("2.000", "2."),  # a fraction of zeros is no fraction
        ("0.50", "0.5"),  # a zero integer part keeps its single zero
        (".5", "0.5"),
        ("12.", "12."),
    ],
)
def test_values_are_written_as_rfc_3797_section_4_says(raw, canonical):
    assert canonical_value(raw) == canonical


def test_values_sort_numerically_not_as_text():
    assert canonical_source("10 9 100 0010 2.5 2.25") == "2.252.59.10.10.100./"
    assert canonical_source("2, 5, 12, 8, 10") == "2.5.8.10.12./"


@pytest.mark.parametrize("bad", ["-1", "1e5", "x", "1.2.3", "٣", "", " ", "."])
def test_bad_values_are_refused(bad):
    with pytest.raises(DrawInputError):
        key_string([bad])


@pytest.mark.parametrize(
    ("pool_size", "count", "field"),
    [(0, 0, "pool_size"), (5, 6, "count"), (5, -1, "count"), (100_000, 70_000, "count"), (True, 1, "pool_size")],
)
def test_bad_sizes_are_refused(pool_size, count, field):
    with pytest.raises(DrawInputError) as raised:
        select(pool_size, count, RFC_SOURCES)
    assert raised.value.field == field


def test_sources_must_be_a_list():
    with pytest.raises(DrawInputError):
        select(5, 1, "1 2 3")
    with pytest.raises(DrawInputError):
        select(5, 1, [])


def test_team_seed_is_sha256_of_the_key_string():
    assert rfc3797_team_seed(RFC_KEY) == hashlib.sha256(RFC_KEY.encode()).digest()
