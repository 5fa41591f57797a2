"""Plain functions that build valid registry payloads."""

import itertools
from typing import Any

from registry.codes import CREDIT_CHARSET, credit_check_char

_serial = itertools.count(1)


def credit_code(n: int | None = None) -> str:
    n = next(_serial) if n is None else n
    body = "9121040" + "".join(CREDIT_CHARSET[(n // 31**i) % 31] for i in range(10))
    return body + credit_check_char(body)


def entity(**overrides: Any) -> dict[str, Any]:
    n = next(_serial)
    base = {
        "id": f"ENT-{n:05d}",
        "sector": "entertainment",
        "subtype": "venue",
        "name": f"娱乐场所{n}",
        "credit_code": credit_code(n),
        "division_code": "210402",
        "grade": "A",
    }
    return base | overrides


def inspector(**overrides: Any) -> dict[str, Any]:
    n = next(_serial)
    base = {"id": f"INS-{n:04d}", "name": f"检查员{n}", "unit": "county_public_order", "jurisdiction": "210402"}
    return base | overrides
