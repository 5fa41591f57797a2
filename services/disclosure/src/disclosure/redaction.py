"""What may not leave the building: personal identifiers removed from free text before it is
published. Pure functions, so they can be tested over many generated strings.

Removed: ID-card numbers, phone numbers, any other long digit run, and the names of private
persons — exactly where the name is known (the responsible people of a blacklisting), and by a
heuristic where text names someone by role (负责人张三 → 负责人张*). Entity names and unified
social credit codes are public by law (一公开) and are not touched; the inspection team never
reaches the public document at all."""

import re
from collections.abc import Iterable

ID_CARD_MARK = "[身份证号已隐去]"
PHONE_MARK = "[电话号码已隐去]"
NUMBER_MARK = "[号码已隐去]"
_DIGITS = frozenset("0123456789")

# Fullwidth digits and separators are folded first, so "１３８…" cannot slip past an ASCII pattern.
_FOLD = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "Ｘ": "X",
        "ｘ": "x",
        "－": "-",
        "（": "(",
        "）": ")",
        "＋": "+",
        "\u3000": " ",
    }
)
_ID_CARD = re.compile(r"[0-9]{17}[0-9Xx]")
_MOBILE = re.compile(r"(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}")
_LANDLINE = re.compile(r"(?:\(0[0-9]{2,3}\)|0[0-9]{2,3})[- ]?[0-9]{7,8}")
# Any run of 11+ digits: an ID number glued to a phone number, a bank account, a mobile.
_LONG_RUN = re.compile(r"[0-9]{11,}")
_SHAPES = (_ID_CARD, _MOBILE, _LANDLINE, _LONG_RUN)

COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "宇文", "长孙")
# Common surnames that are rarely ordinary words right after a role word: 于, 高, 向, 方, 金 … are
# left out, since "负责人高度重视" must not become "负责人高*重视". Known names are masked anyway.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡杜叶"
    "程苏魏吕丁沈姚卢姜崔钟谭陆汪范廖贾夏韦付邹孟熊秦邱尹薛闫段雷侯陶黎贺顾毛郝龚邵钱"
    "覃戴莫孔汤"
)
_ROLES = (
    "法定代表人|法人代表|主要负责人|负责人|经营者|业主|店长|老板|网管|安全员|保安员|爆破员|保管员|管理员|"
    "值班员|收银员|服务员|从业人员|上网人员|当事人|联系人|举报人|姓名|名叫"
)
# A role word, optional "为/是/：", then a surname and one or two more characters, stopping before
# words that usually follow a name (已, 未, 在, 称 …); 张某 is already anonymous and stays.
_STOP = "某已未在于的对和与及等称说为是无不有将因被把现均也都并所经擅私拒自到"
_ROLE_NAME = re.compile(
    rf"(?P<role>{_ROLES})(?P<sep>[：:\s]*(?:为|是)?[：:\s]*)"
    rf"(?P<name>(?:{'|'.join(COMPOUND_SURNAMES)}|[{_SURNAMES}])[^\W\d{_STOP}a-zA-Z_]{{1,2}})"
)


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """Out to the whole digit run, so no fragment of a number is left beside the mark."""
    while start > 0 and text[start - 1] in _DIGITS:
        start -= 1
    while end < len(text) and text[end] in _DIGITS:
        end += 1
    if end < len(text) and text[end] in "Xx" and text[end - 1] in _DIGITS:
        end += 1
    return start, end


def _spans(text: str) -> list[tuple[int, int]]:
    """Every occurrence of every shape, overlapping ones included, merged: a number written
    inside or across another cannot survive because the first match hid its start."""
    spans = []
    for shape in _SHAPES:
        match = shape.search(text)
        while match:
            spans.append(_widen(text, match.start(), match.end()))
            match = shape.search(text, match.start() + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _mark(found: str) -> str:
    if _ID_CARD.fullmatch(found):
        return ID_CARD_MARK
    if _MOBILE.fullmatch(found) or _LANDLINE.fullmatch(found):
        return PHONE_MARK
    return NUMBER_MARK


def redact_numbers(text: str) -> str:
    folded = text.translate(_FOLD)
    out, done = [], 0
    for start, end in _spans(folded):
        out += [folded[done:start], _mark(folded[start:end])]
        done = end
    return "".join([*out, folded[done:]])


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧阳*: the surname stays, the rest (and its length) does not."""
    name = name.strip()
    if not name:
        return ""
    surname = next((s for s in COMPOUND_SURNAMES if name.startswith(s) and len(name) > len(s)), name[0])
    return surname + "*"


def _known_names(text: str, names: Iterable[str]) -> str:
    for name in sorted({n.strip() for n in names if len(n.strip()) >= 2}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    return text


def _by_role(match: re.Match[str]) -> str:
    return match.group("role") + match.group("sep") + mask_name(match.group("name"))


def redact_text(text: str | None, names: Iterable[str] = ()) -> str:
    """Free text with ID-card numbers (GB 11643), mainland phone numbers and any other run of
    11+ digits replaced by marks that say what was there, and private persons' names masked."""
    if not text:
        return ""
    return _ROLE_NAME.sub(_by_role, _known_names(redact_numbers(text), names))


def public_findings(findings: list[dict], names: Iterable[str] = ()) -> list[dict]:
    """Item code and result as recorded; the note only after redaction."""
    return [
        {"item_code": f["item_code"], "result": f["result"], "note": redact_text(f.get("note"), names)}
        for f in findings
    ]


def public_outcome(outcome: dict, names: Iterable[str] = ()) -> dict:
    return {
        "type": outcome["type"],
        "rectification_deadline": outcome.get("rectification_deadline"),
        "note": redact_text(outcome.get("note"), names),
    }
