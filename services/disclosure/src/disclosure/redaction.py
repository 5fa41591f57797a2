"""What may not leave the building: personal identifiers removed from free text before it is
published. Pure functions, so they can be tested over many generated strings.

Entity names and unified social credit codes are public by law (一公开) and are not touched
here; the inspection team never reaches the public document at all."""

import re

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


def redact_text(text: str | None) -> str:
    """Free text with ID-card numbers (GB 11643), mainland phone numbers and any other run of
    11+ digits replaced by marks that say what was there."""
    if not text:
        return ""
    folded = text.translate(_FOLD)
    out, done = [], 0
    for start, end in _spans(folded):
        out += [folded[done:start], _mark(folded[start:end])]
        done = end
    return "".join([*out, folded[done:]])


def public_findings(findings: list[dict]) -> list[dict]:
    """Item code and result as recorded; the note only after redaction."""
    return [{"item_code": f["item_code"], "result": f["result"], "note": redact_text(f.get("note"))} for f in findings]


def public_outcome(outcome: dict) -> dict:
    return {
        "type": outcome["type"],
        "rectification_deadline": outcome.get("rectification_deadline"),
        "note": redact_text(outcome.get("note")),
    }
