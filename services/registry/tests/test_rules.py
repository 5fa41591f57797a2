"""The pure core: national code checks, spreadsheet values, and each source's wire format mapped
to our fields (no database, no network)."""

import random
import re
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from registry import bulk, codes
from registry.imports import BadFile, csv_row, decode, parse_csv
from registry.rules import validate_row
from registry.schemas import EntityIn
from registry.sources import explosives, fire, hotel, market, netcafe, security
from registry.sources.http import SourceClient
from registry.store import ENTITY_CONTENT, digest, entity_digest

from .factories import credit_code, entity, id_number


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("91210400MA0XWJ0G27", "check digit"),  # one character changed
        ("91210400MA0XWJ0G2", "18 characters"),
        ("91210400MA0XWJ0GI7", "outside GB 32100-2015"),
        ("91210400ma0xwj0g27", "outside GB 32100-2015"),
    ],
)
def test_credit_code_problems(code, problem):
    assert problem in (codes.credit_code_problem(code) or "")


def test_credit_codes_with_every_check_character_are_valid():
    found = {credit_code(n)[-1] for n in range(2000)}
    assert found == set(codes.CREDIT_CHARSET)
    assert all(codes.credit_code_problem(credit_code(n)) is None for n in range(2000))
    assert codes.credit_code_problem("91350100M000100Y43") is None  # a published example


def test_check_characters_match_the_standards_weighted_sums():
    """codes.py computes both sums with one int() call; here they are the standards' own formulas."""
    rng = random.Random(7)
    for _ in range(20_000):
        body = "".join(rng.choice(codes.CREDIT_CHARSET) for _ in range(17))
        total = sum(codes.CREDIT_VALUE[ch] * w for ch, w in zip(body, codes.CREDIT_WEIGHTS, strict=True))
        assert codes.credit_check_char(body) == codes.CREDIT_CHARSET[(31 - total % 31) % 31]
        digits = "".join(rng.choice("0123456789") for _ in range(17))
        total = sum(int(d) * w for d, w in zip(digits, codes.ID_WEIGHTS, strict=True))
        assert codes.id_check_char(digits) == codes.ID_CHECK[total % 11]
    assert "17 digits" in (codes.id_card_problem("１１０１０５１９４９１２３１００２X") or "")  # full-width digits


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("11010519491231002X", None),  # the standard's own example
        ("11010519491231002x", None),  # lower-case x is read as X (and stored upper-case)
        ("110105194912310021", "check character is '1'"),
        ("110105194913310028", "not a calendar date"),
        ("110105189912310021", "before 1900"),
        ("11010519491231002", "17 digits"),
    ],
)
def test_id_card_problems(number, problem):
    found = codes.id_card_problem(number)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_the_schema_validators_accept_exactly_what_the_problem_checks_accept():
    rng = random.Random(3)
    numbers = ["11010519491231002X", "11010519491231002x", "110105194913310028", "110105189912310021"]
    codes_ = ["91350100M000100Y43", "91350100M000100Y4", "91350100m000100Y43"]
    for _ in range(3000):
        born = f"{rng.randint(1890, 2020)}{rng.randint(1, 13):02d}{rng.randint(1, 31):02d}"
        numbers.append(id_number(f"210402{born}{rng.randint(0, 999):03d}"))
        body = "".join(rng.choice(codes.CREDIT_CHARSET) for _ in range(17))
        codes_.append(body + rng.choice([codes.credit_check_char(body), rng.choice(codes.CREDIT_CHARSET)]))
        numbers.append(numbers[-1][:17] + rng.choice("0123456789Xx"))
    for checked, problem, values in (
        (codes.checked_id_number, lambda v: codes.id_card_problem(v.upper()), numbers),
        (codes.checked_credit_code, codes.credit_code_problem, codes_),
        (codes.checked_division, codes.division_problem, ["210402", "210400", "210101", ""]),
    ):
        for value in values:
            reason = problem(value)
            if reason is None:
                assert checked(value) == (value.upper() if checked is codes.checked_id_number else value)
            else:
                with pytest.raises(ValueError, match=re.escape(reason)):
                    checked(value)


def test_the_c_checks_say_yes_exactly_when_the_python_checks_find_nothing():
    """registry/_checks.c (built by make install) against credit_code_problem and id_card_problem,
    on random codes, their one-character mutations and the calendar's edges."""
    from registry import _checks

    rng = random.Random(11)
    numbers = ["11010519491231002X", "11010519491231002x", "\ud800" * 18, "１１０１０５１９４９１２３１００２X", ""]
    credit = ["91350100M000100Y43", "91350100m000100Y43", "\ud800" * 18, "ＡＢ" * 9, "91350100M000100Y4"]
    for year in ("0000", "1899", "1900", "1904", "2000", "2023", "2024", "2100", "9999"):
        for month_day in ("0229", "0230", "0131", "0132", "0100", "0001", "1231", "1301", "0431"):
            numbers.append(id_number(f"210402{year}{month_day}123"))
    for _ in range(6000):
        born = f"{rng.randint(1880, 2030)}{rng.randint(0, 13):02d}{rng.randint(0, 32):02d}"
        number = id_number(f"210402{born}{rng.randint(0, 999):03d}")
        at = rng.randrange(18)
        numbers += [number, number[:at] + rng.choice("0123456789Xx a-") + number[at + 1 :], number + "1"]
        body = "".join(rng.choice(codes.CREDIT_CHARSET) for _ in range(17))
        code = body + codes.credit_check_char(body)
        at = rng.randrange(18)
        credit += [code, code[:at] + rng.choice(codes.CREDIT_CHARSET + "IOSVZa-") + code[at + 1 :], code[:17]]
    assert sum(_checks.id_number_ok(n) for n in numbers) > 3000  # both answers are well represented
    assert sum(_checks.credit_code_ok(c) for c in credit) > 3000
    for number in numbers:
        assert _checks.id_number_ok(number) == (codes.id_card_problem(number) is None), number
    for code in credit:
        assert _checks.credit_code_ok(code) == (codes.credit_code_problem(code) is None), code
    with pytest.raises(TypeError):
        _checks.credit_code_ok(None)
    assert codes.credit_code_ok is _checks.credit_code_ok and codes.id_number_ok is _checks.id_number_ok


def test_divisions_are_fushun_counties_and_districts():
    assert codes.division_problem("210411") is None and codes.division_problem("210400") is None
    assert "not a Fushun" in (codes.division_problem("210101") or "")  # 沈阳和平区
    assert codes.mask_id_number("11010519491231002X") == "110105***********X"


def test_the_schema_accepts_a_lowercase_x_and_stores_it_upper_case():
    row, problems = validate_row(entity(legal_rep_id_number="11010519491231002x", flags={"lodging": False}))
    assert problems == [] and row is not None and row.legal_rep_id_number == "11010519491231002X"


def test_strict_rows_need_the_sector_flags_the_batch_api_does_not():
    venue = entity()
    assert validate_row(venue, strict=False)[1] == []
    assert validate_row(venue, strict=True)[1] == [("flags.lodging", "required for entertainment (yes or no)")]
    late = entity(flags={"lodging": True}, established_date="2020-01-01", closed_date="2019-01-01")
    assert validate_row(late)[1] == [("closed_date", "2019-01-01 is before the established date 2020-01-01")]


def test_digests_ignore_flag_order_and_provenance():
    a = entity(flags={"lodging": True})
    assert digest(a | {"source": "hotel"}, ENTITY_CONTENT) == digest(a | {"source": "api"}, ENTITY_CONTENT)
    assert digest(a, ENTITY_CONTENT) != digest(a | {"name": "other"}, ENTITY_CONTENT)


def test_bulk_records_carry_the_same_digests_as_the_row_by_row_path():
    """bulk.from_models shares flag sets across rows; each digest must still be entity_digest's."""
    flag_sets = [{}, {"key_unit": True, "crowded_place": False}, {"crowded_place": False, "key_unit": True}]
    flag_sets += [{"key_unit": True, "crowded_place": True}, {"key_unit": True, "crowded_place": False}]
    rows = [
        entity(
            id=f"D-{n}",
            sector="fire_safety",
            subtype="unit",
            grade=None,
            flags=flags,
            name="单位",
            credit_code="91350100M000100Y43",
        )
        for n, flags in enumerate(flag_sets * 3)
    ]
    items = [EntityIn.model_validate(row) for row in rows]
    records = list(bulk.from_models(items))
    assert [r[-1] for r in records] == [entity_digest(e.__dict__) for e in items]
    assert records[1][-1] != records[3][-1]  # different flags, different digests
    assert records[1][1 + ENTITY_CONTENT.index("flags") + 1] == '{"key_unit":true,"crowded_place":false}'
    by_id = {r[1]: r[-1] for r in records}
    assert by_id["D-1"] == by_id["D-2"] != by_id["D-0"]  # flag order never matters


def test_spreadsheet_words():
    row = csv_row(
        7, {"id": "A", "sector": "网吧", "subtype": "网吧", "abnormal_list": "是", "established_date": "20200131"}
    )
    assert row.problems == []
    assert row.raw == {
        "id": "A",
        "sector": "internet_cafe",
        "subtype": "cafe",
        "established_date": date(2020, 1, 31),
        "flags": {"abnormal_list": True},
    }
    bad = csv_row(8, {"id": "B", "lodging": "也许", "closed_date": "2020-02-30"})
    assert bad.problems == [
        ("flags.lodging", "'也许' is not yes/no (是/否, Y/N, 1/0)"),
        ("closed_date", "'2020-02-30' is not a date (YYYY-MM-DD or YYYYMMDD)"),
    ]


def test_file_level_problems():
    with pytest.raises(BadFile, match="not valid utf-8 at byte 0"):
        decode("抚顺".encode("gbk"), "utf-8")
    with pytest.raises(BadFile, match="not supported"):
        decode(b"a", "latin-1")
    assert decode("\ufeffid".encode(), "utf-8") == "id"
    rows = parse_csv('id,sector,subtype,name,credit_code,division_code\r\nA,b,c,"d, e",f,g\r\n', row_offset=5000)
    assert rows[0].row == 5002 and rows[0].raw["name"] == "d, e"


def test_hotel_records_map_and_report_their_problems():
    raw = {
        "lgbm": "LG1",
        "lgmc": "宾馆",
        "tyshxydm": credit_code(),
        "ssxq": "210402",
        "kyrq": "2019023",
        "jyzt": "07",
        "bbh": 4,
        "xzcf": [{"cfrq": "20260102", "cfwh": "No.1"}],
    }
    record = hotel.to_record(raw, 3)
    assert (record.item_id, record.source_version, record.row) == ("HTL-LG1", "4", 3)
    assert record.problems == [
        ("established_date", "kyrq: '2019023' is not a YYYYMMDD date"),
        ("active", "jyzt: unknown code '07' (known: 01, 02)"),
    ]
    assert [(s.kind, s.occurred_date, s.ref) for s in record.signals] == [("penalty", date(2026, 1, 2), "xzcf:No.1")]


def test_each_source_maps_its_codes():
    assert security.to_record({"orgId": "B1", "orgType": "WZSY"}, 1).fields["subtype"] == "armed_escort"
    assert explosives.to_record({"DWBH": "M1", "YYXZ": "2"}, 1).fields["subtype"] == "non_commercial"
    stall = market.to_record({"zch": "Z1", "hylb": "KZ", "sfzs": ""}, 1).fields
    assert (stall["sector"], stall["subtype"], stall["flags"]) == ("special_trade", "seal_engraving", {})
    cafe = netcafe.to_record({"wbbh": "W1", "jyyc": "1", "jyycrq": "20260301", "tsrq": "20260101,20260101"}, 1)
    assert cafe.fields["flags"] == {"abnormal_list": True}
    assert sorted(s.ref for s in cafe.signals) == ["jyyc:20260301", "tsrq:20260101:1", "tsrq:20260101:2"]


def test_a_ragged_fire_row_is_one_rejected_record_not_a_failed_page():
    header = ",".join(fire.FLAG_COLUMNS.values())
    content = f"单位编号,单位名称,{header}\r\nXF1,甲,是,否,否,否\r\nXF2,乙,是,否,否,否,多余\r\n".encode("gbk")
    first, second = fire.parse_page(content, "units", 2)
    assert first.fields["flags"] == {
        "key_unit": True,
        "crowded_place": False,
        "public_gathering": False,
        "flammable_explosive": False,
    }
    assert (second.item_id, second.row, second.problems) == (
        "FIRE-XF2",
        3,
        [("row", "7 fields where the header has 6")],
    )


def test_retry_after_as_seconds_or_as_a_date():
    client = SourceClient(httpx.AsyncClient(), max_wait=60)
    assert client._retry_after(httpx.Response(429, headers={"Retry-After": "7"}), 0) == 7
    assert client._retry_after(httpx.Response(429, headers={"Retry-After": "3600"}), 0) == 60
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= client._retry_after(httpx.Response(429, headers={"Retry-After": when}), 0) <= 30
    assert client._retry_after(httpx.Response(429), 2) == 2.0  # no header: back off


def test_the_id_numbers_the_factories_make_are_valid():
    assert codes.id_card_problem(id_number()) is None


def test_the_fakes_are_deterministic_for_a_seed():
    from registry.fakes import hotel as fake_hotel
    from registry.fakes.population import Population

    def listing(seed: int, day: int) -> list[dict]:  # type: ignore[type-arg]
        population = Population("hotel", seed, 40, fake_hotel.make)
        population.advance(day)
        return [fake_hotel.render(population, m) for m in population.visible()]

    assert listing(7, 0) == listing(7, 0) and listing(7, 8) == listing(7, 8)
    assert listing(7, 0) != listing(8, 0)
    assert len(listing(7, 8)) != len(listing(7, 0))  # a week later some closed, some opened
