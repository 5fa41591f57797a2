"""Demo registries for `make run`: a few dozen entities per sector and inspectors for every unit."""

import random
from typing import Any

from registry.codes import FUSHUN_DIVISIONS, credit_check_char

DISTRICTS = sorted(code for code in FUSHUN_DIVISIONS if code != "210400")
SECTORS: dict[str, dict[str, Any]] = {
    "entertainment": {"subtypes": ["venue"], "noun": "娱乐会所", "grades": ["A", "B", "C"]},
    "special_trade": {"subtypes": ["hotel", "seal_engraving", "pawn"], "noun": "商贸有限公司"},
    "security_service": {"subtypes": ["company", "training", "armed_escort"], "noun": "保安服务有限公司"},
    "blasting": {"subtypes": ["commercial", "non_commercial"], "noun": "爆破工程有限公司"},
    "fire_safety": {"subtypes": ["unit"], "noun": "实业有限公司"},
    "internet_cafe": {"subtypes": ["cafe"], "noun": "网络会所"},
}
UNITS = [
    "city_public_order",
    "county_public_order",
    "police_station",
    "fire_supervision",
    "network_security",
    "blasting_supervision",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"


def credit_code(serial: int) -> str:
    body = "91210400" + f"MA{serial:07d}"
    return body + credit_check_char(body)


def entities(per_sector: int = 30, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows, serial = [], 0
    for sector, spec in SECTORS.items():
        for i in range(per_sector):
            serial += 1
            row: dict[str, Any] = {
                "id": f"{sector[:3].upper()}-{i + 1:04d}",
                "sector": sector,
                "subtype": spec["subtypes"][i % len(spec["subtypes"])],
                "name": f"抚顺市{rng.choice('新东望顺清华兴盛')}{rng.choice('达鑫源泰福安')}{spec['noun']}{i + 1}",
                "credit_code": credit_code(serial),
                "division_code": DISTRICTS[i % len(DISTRICTS)],
            }
            if sector == "entertainment":
                row["grade"] = spec["grades"][i % 3]
            if sector == "fire_safety":
                row["flags"] = {"key_unit": i % 3 == 0, "crowded_place": i % 2 == 0}
            if sector == "internet_cafe":
                row["flags"] = {"abnormal_list": i % 10 == 0}
            rows.append(row)
    return rows


def inspectors(per_district: int = 2) -> list[dict[str, Any]]:
    """Every unit staffed in every county and district, plus city-level officers (210400): county
    plans draw teams of two inside each jurisdiction, city plans from the city's own officers."""
    rows: list[dict[str, Any]] = []
    for u, unit in enumerate(UNITS):
        for division in [*DISTRICTS, "210400"]:
            for i in range(per_district):
                n = len(rows)
                rows.append(
                    {
                        "id": f"INS-{u + 1}-{division[-2:]}-{i + 1}",
                        "unit": unit,
                        "jurisdiction": division,
                        "name": f"{SURNAMES[n % len(SURNAMES)]}警官{u + 1}{division[-2:]}{i + 1}",
                        "qualification_expires_date": "2029-12-31",
                        "conflicts": ["ENT-0001"] if n == 0 else [],
                    }
                )
    return rows
