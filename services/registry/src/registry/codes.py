"""National code checks: unified social credit code (GB 32100-2015), ID-card numbers
(GB 11643-1999) and the administrative divisions of Fushun (GB/T 2260, 2104xx)."""

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

FUSHUN_DIVISIONS = {
    "210400": "抚顺市",
    "210402": "新抚区",
    "210403": "东洲区",
    "210404": "望花区",
    "210411": "顺城区",
    "210421": "抚顺县",
    "210422": "新宾满族自治县",
    "210423": "清原满族自治县",
}


def credit_code_problem(code: str) -> str | None:
    """None if valid, else why not."""
    if len(code) != 18:
        return "must be 18 characters"
    if any(ch not in CREDIT_CHARSET for ch in code):
        return "contains a character outside GB 32100-2015 (I, O, S, V, Z and lowercase are not used)"
    total = sum(CREDIT_CHARSET.index(ch) * w for ch, w in zip(code[:17], CREDIT_WEIGHTS, strict=True))
    expected = CREDIT_CHARSET[(31 - total % 31) % 31]
    if code[17] != expected:
        return f"check digit is {code[17]!r}, GB 32100-2015 gives {expected!r}"
    return None


def credit_check_char(first17: str) -> str:
    total = sum(CREDIT_CHARSET.index(ch) * w for ch, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def id_card_problem(number: str) -> str | None:
    if len(number) != 18 or not number[:17].isdigit():
        return "must be 17 digits and a check character"
    expected = ID_CHECK[sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True)) % 11]
    if number[17].upper() != expected:
        return f"check character is {number[17]!r}, GB 11643-1999 gives {expected!r}"
    return None


def division_problem(code: str) -> str | None:
    if code not in FUSHUN_DIVISIONS:
        return f"{code!r} is not a Fushun county or district code (2104xx, GB/T 2260)"
    return None
