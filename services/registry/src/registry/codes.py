"""National code checks: unified social credit code (GB 32100-2015), ID-card numbers
(GB 11643-1999) and the administrative divisions of Fushun (GB/T 2260, 2104xx)."""

from datetime import date

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CHARS = frozenset(CREDIT_CHARSET)
CREDIT_VALUE = {ch: i for i, ch in enumerate(CREDIT_CHARSET)}
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# Imports check codes by the hundred thousand, so both weighted sums are one int() call in C.
# The credit weights are 3**i mod 31, so sum(value_i * 3**i) is the reversed code read as a
# number in base 34 (34 = 3 mod 31), once each character is spelled as the digit of its value.
# The ID weights are 2**(17 - i) mod 11, so their sum is twice the 17 digits read in base 13
# (13 = 2 mod 11). test_rules holds both to the weight tables above.
_AS_DIGIT = str.maketrans({ch: "0123456789ABCDEFGHIJKLMNOPQRSTU"[v] for ch, v in CREDIT_VALUE.items()})

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
    if not CREDIT_CHARS.issuperset(code):
        return "contains a character outside GB 32100-2015 (I, O, S, V, Z and lowercase are not used)"
    expected = credit_check_char(code[:17])
    if code[17] != expected:
        return f"check digit is {code[17]!r}, GB 32100-2015 gives {expected!r}"
    return None


def credit_check_char(first17: str) -> str:
    """GB 32100-2015: 31 - (sum of value x weight) mod 31, as a character of the code set."""
    return CREDIT_CHARSET[-int(first17[::-1].translate(_AS_DIGIT), 34) % 31]


def id_check_char(first17: str) -> str:
    """GB 11643-1999 (ISO 7064 MOD 11-2)."""
    return ID_CHECK[2 * int(first17, 13) % 11]


def id_card_problem(number: str) -> str | None:
    """GB 11643-1999: 6-digit area, 8-digit birth date, 3-digit serial, ISO 7064 MOD 11-2 check."""
    if len(number) != 18 or not (number.isascii() and number[:17].isdigit()):
        return "must be 17 digits and a check character"
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return f"birth date {number[6:14]} is not a calendar date"
    if born.year < 1900:
        return f"birth date {number[6:14]} is before 1900"
    expected = id_check_char(number[:17])
    if number[17].upper() != expected:
        return f"check character is {number[17]!r}, GB 11643-1999 gives {expected!r}"
    return None


# Validators for the schema: one call per field (batches check them by the hundred thousand).
# registry/_checks.c answers yes or no in C (built by `make install`; optional); the reasons,
# and the answers where it is not built, come from the checks above.
try:
    from registry._checks import credit_code_ok, id_number_ok
except ImportError:  # pragma: no cover - only where the C module could not be built

    def credit_code_ok(code: str) -> bool:
        return credit_code_problem(code) is None

    def id_number_ok(number: str) -> bool:
        return id_card_problem(number) is None


def checked_credit_code(code: str) -> str:
    if not credit_code_ok(code):
        raise ValueError(credit_code_problem(code))
    return code


def checked_id_number(number: str) -> str:
    """Upper-cased (a lowercase x is read as X), then checked."""
    number = number.upper()
    if not id_number_ok(number):
        raise ValueError(id_card_problem(number))
    return number


def checked_division(code: str) -> str:
    if code not in FUSHUN_DIVISIONS:
        raise ValueError(division_problem(code))
    return code


def division_problem(code: str) -> str | None:
    if code not in FUSHUN_DIVISIONS:
        return f"{code!r} is not a Fushun county or district code (2104xx, GB/T 2260)"
    return None


def mask_id_number(number: str | None) -> str | None:
    """What reads may show of a legal representative's ID number: area code and check character."""
    if not number:
        return None
    return number[:6] + "*" * 11 + number[-1]
