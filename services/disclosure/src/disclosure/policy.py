"""Per-sector publication policy, as the seed's §4 (随机抽查的结果运用) states it, kept as data.

- entertainment, special trades, security services: 抽查结果全部公开 — every result is published;
- blasting units: 抽查结果根据实际情况向社会公开 — case by case: the approver publishes or
  withholds, and must give the reason either way;
- fire safety: 随机抽查情况及查处结果要及时…向社会公布 — results *and penalties* are published;
- internet cafés: 向社会公众提供网吧及其相关信用情况 — published as credit information: the
  result, its penalties, and the café's blacklist listing (黑名单) with masked responsible people.

A sector this table does not know is treated like blasting: nobody publishes it by default."""

from dataclasses import asdict, dataclass
from typing import Any, Literal

Publication = Literal["all", "case_by_case"]


@dataclass(frozen=True)
class SectorPolicy:
    sector: str
    name_zh: str
    publication: Publication
    publishes_penalties: bool
    credit_information: bool
    basis: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


POLICIES: dict[str, SectorPolicy] = {
    p.sector: p
    for p in (
        SectorPolicy("entertainment", "娱乐场所", "all", False, False, "实施细则 四（一）：抽查结果全部公开"),
        SectorPolicy("special_trade", "特种行业", "all", False, False, "实施细则 四（一）：抽查结果全部公开"),
        SectorPolicy("security_service", "保安服务业", "all", False, False, "实施细则 四（一）：抽查结果全部公开"),
        SectorPolicy(
            "blasting", "爆破作业单位", "case_by_case", False, False, "实施细则 四（二）：根据实际情况向社会公开"
        ),
        SectorPolicy(
            "fire_safety", "单位履行消防安全职责", "all", True, False, "实施细则 四（三）：抽查情况及查处结果向社会公布"
        ),
        SectorPolicy(
            "internet_cafe", "网吧", "all", True, True, "实施细则 四（四）：向社会公众提供网吧及其相关信用情况；黑名单"
        ),
    )
}


def policy_for(sector: str) -> SectorPolicy:
    return POLICIES.get(sector) or SectorPolicy(sector, sector, "case_by_case", False, False, "未列入实施细则的行业")


def sector_name_zh(sector: str) -> str:
    return policy_for(sector).name_zh
