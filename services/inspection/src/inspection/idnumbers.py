"""Resident identity card numbers (GB 11643-1999): 17 digits and an ISO 7064 MOD 11-2 check character.

Blacklists name real people and bar them from an industry, so a mistyped number must be caught
at entry, not discovered when the wrong person is refused at a café's counter."""

import re
from datetime import date

_SHAPE = re.compile(r"^[1-9]\d{5}(?P<birth>\d{8})\d{3}[0-9X]$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_character(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def id_number_error(value: str) -> str | None:
    """None if `value` is a well-formed 18-character number, else why it is not."""
    match = _SHAPE.match(value)
    if match is None:
        return "must be 18 characters: 17 digits and a check digit or X (GB 11643)"
    birth = match["birth"]
    try:
        born = date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        return f"birth date {birth} is not a calendar date"
    if born.year < 1900:
        return f"birth date {birth} is before 1900"
    if value[17] != check_character(value[:17]):
        return f"check digit is {value[17]}, GB 11643 gives {check_character(value[:17])}"
    return None
