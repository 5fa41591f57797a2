"""The redaction is a pure function: tested over many generated strings, no database."""

import random
import re

import pytest

from disclosure.redaction import (
    ID_CARD_MARK,
    NUMBER_MARK,
    PHONE_MARK,
    mask_name,
    public_findings,
    public_outcome,
    redact_text,
)

from .factories import id_number, landline, mobile

# The shapes that must never reach the public, as the brief states them (Unicode \d included).
FORBIDDEN = [re.compile(r"\d{17}[\dXx]"), re.compile(r"1[3-9]\d{9}"), re.compile(r"0\d{2,3}-\d{7,8}")]
FILLER = [*"检查发现该场所负责人联系方式如下备注：，。；、（）() -+abcXx0123456789", "１", "３", "８", "\n"]
FULLWIDTH = str.maketrans({str(i): chr(0xFF10 + i) for i in range(10)})


def _secret(rng: random.Random) -> str:
    kind = rng.choice(["id", "id", "mobile", "mobile+86", "mobile-spaced", "landline", "landline-paren"])
    if kind == "id":
        number = id_number(rng)
        return number if rng.random() < 0.7 else number.lower()
    if kind == "mobile+86":
        return rng.choice(["+86", "86", "+86 "]) + mobile(rng)
    if kind == "mobile-spaced":
        m = mobile(rng)
        sep = rng.choice([" ", "-"])
        return f"{m[:3]}{sep}{m[3:7]}{sep}{m[7:]}"
    if kind == "landline-paren":
        area, number = landline(rng).split("-")
        return f"({area}){number}"
    return landline(rng) if kind == "landline" else mobile(rng)


def _filler(rng: random.Random) -> str:
    return "".join(rng.choice(FILLER) for _ in range(rng.randrange(0, 6)))


def _digits(secret: str) -> str:
    return re.sub(r"[^0-9Xx]", "", secret.translate({0xFF10 + i: str(i) for i in range(10)}))


@pytest.mark.parametrize("seed", range(20))
def test_no_id_number_or_phone_survives_in_generated_notes(seed):
    rng = random.Random(seed)
    for _ in range(250):
        secrets = [_secret(rng) for _ in range(rng.randrange(1, 4))]
        if rng.random() < 0.3:
            secrets = [s.translate(FULLWIDTH) for s in secrets]
        text = _filler(rng) + "".join(s + _filler(rng) for s in secrets)
        out = redact_text(text)
        for pattern in FORBIDDEN:
            assert not pattern.search(out), (text, out)
        joined = re.sub(r"[ ()+-]", "", out)
        for secret in secrets:
            tail = _digits(secret)[-7:]  # not even the subscriber part or the birth date survives
            assert tail not in joined, (text, out)


def test_marks_say_what_was_removed_and_the_rest_stays():
    rng = random.Random(7)
    person, phone, office = id_number(rng), mobile(rng), "0413-7654321"
    out = redact_text(f"负责人张某，身份证{person}，电话{phone}，办公室{office}。整改已完成。")
    assert out == f"负责人张某，身份证{ID_CARD_MARK}，电话{PHONE_MARK}，办公室{PHONE_MARK}。整改已完成。"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "消防通道堵塞",
        "检查日期 2026-11-20，复查 2026-12-01",
        "整改期限30日",
        "统一社会信用代码91210400MA0ABCDE1X",
        "房间号 1203，座机分机 8012",
        "共 12 台电脑，其中 3 台无实名登记",
    ],
)
def test_ordinary_text_is_unchanged(text):
    assert redact_text(text) == text


def test_a_mobile_glued_to_an_id_number_leaves_no_fragment():
    rng = random.Random(3)
    phone, person = mobile(rng), id_number(rng)
    assert redact_text(f"电话身份证{phone}{person}。") == f"电话身份证{NUMBER_MARK}。"


def test_none_is_empty():
    assert redact_text(None) == ""


def test_public_findings_keep_code_and_result_and_redact_the_note():
    number = id_number(random.Random(1))
    findings = [
        {
            "item_code": "internet_cafe.real_name",
            "result": "non_compliant",
            "note": f"上网人员使用他人身份证{number}登记",
            "evidence": "secret",
        }
    ]
    assert public_findings(findings) == [
        {
            "item_code": "internet_cafe.real_name",
            "result": "non_compliant",
            "note": f"上网人员使用他人身份证{ID_CARD_MARK}登记",
        }
    ]


def test_public_outcome_redacts_the_note():
    outcome = {"type": "rectification_ordered", "rectification_deadline": "2026-12-31", "note": "联系13912345678"}
    assert public_outcome(outcome) == {
        "type": "rectification_ordered",
        "rectification_deadline": "2026-12-31",
        "note": f"联系{PHONE_MARK}",
    }


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("张三丰", "张*"), ("欧阳娜娜", "欧阳*"), ("李", "李*"), ("  ", "")]
)
def test_masked_names_keep_only_the_surname(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("负责人张三未在场", "负责人张*未在场"),
        ("经营者：欧阳娜娜称不知情", "经营者：欧阳*称不知情"),
        ("网管为王小二，安全员李明已整改", "网管为王*，安全员李*已整改"),
        ("负责人张某到场", "负责人张某到场"),  # already anonymous
        ("法定代表人或者主要负责人履行治安责任", "法定代表人或者主要负责人履行治安责任"),
        ("负责人高度重视，立即整改", "负责人高度重视，立即整改"),
    ],
)
def test_people_named_by_role_are_masked(text, expected):
    assert redact_text(text) == expected


def test_known_names_are_masked_wherever_they_appear_and_redaction_is_idempotent():
    text = "张三丰在现场，电话13912345678；张三未到。赵六说明情况。"
    once = redact_text(text, names=["张三丰", "张三", "赵六"])
    assert once == f"张*在现场，电话{PHONE_MARK}；张*未到。赵*说明情况。"
    assert redact_text(once, names=["张三丰", "张三", "赵六"]) == once
