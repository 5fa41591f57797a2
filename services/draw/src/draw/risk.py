"""Risk intensification (加大抽查力度), policy `risk-v1`: registry risk signals become draw weights
and extra quota. Pure and versioned: a draw records the policy it used, and the weights it
produced are part of the committed pool, so the commitment binds them before any randomness.

The seed asks for more checks of entities with many complaints (投诉举报多), on the
abnormal-operation list (经营异常名录), with serious violations (严重违法违规), penalties
(行政处罚), fires (火灾事故) or serious hidden hazards (严重隐患). Policy `risk-v1`:

| signal | points |
|---|---|
| complaints in the last 12 months >= 3 / >= 10 | 2 / 4 |
| on the abnormal-operation list | 3 |
| serious violations >= 1 | 4 |
| administrative penalties >= 1 | 2 |
| fires >= 1 | 4 |
| serious hidden hazards >= 1 | 3 |

weight = 1 + points (so 1..22, inside §1's 1..1000): a weight-w entity enters a sampling draw as
if it were w ordinary ones (Efraimidis–Spirakis). Extra quota: a stratum sampled by ratio (the
seed's "不低于5%") draws its base quota times (1 + the share of high-risk entities, weight >= 5),
rounded up and never more than the stratum. Coverage rules draw everybody already, and explicit
per-stratum counts are the operator's own choice: neither gets extra quota.

The registry's `risk` object is read defensively: a missing or unreadable signal counts as none,
so an entity without risk data has weight 1. Counts may come as numbers, booleans, lists (one per
event) or objects with a `count`; the flag `abnormal_list` counts as well.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

POLICY = "risk-v1"
NONE = "none"
POLICIES = (POLICY, NONE)
HIGH_RISK_WEIGHT = 5
MAX_WEIGHT = 1000
# The registry serves {kind: {"count": n, "last_date": …}} with the kinds in singular; the
# other spellings are accepted so a source's own naming does not silently weigh nothing.
SIGNALS: dict[str, tuple[str, ...]] = {
    "complaints": ("complaint", "complaints_12m", "complaints"),
    "abnormal_list": ("abnormal_list", "abnormal_operation"),
    "serious_violations": ("serious_violation", "serious_violations"),
    "penalties": ("penalty", "penalties"),
    "fires": ("fire", "fires"),
    "hidden_hazards": ("hidden_hazard", "hidden_hazards"),
}


def _count(value: object) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return max(0, value)
    if isinstance(value, float) and math.isfinite(value):
        return max(0, int(value))
    if isinstance(value, list | tuple):
        return len(value)
    if isinstance(value, Mapping):
        for key in ("count", "total", "active", "value"):
            if key in value:
                return _count(value[key])
    return 0


def signals(risk: object, flags: Mapping[str, Any] | None = None) -> dict[str, int]:
    """The six signal counts, zero where the registry says nothing readable."""
    found = dict.fromkeys(SIGNALS, 0)
    source = risk if isinstance(risk, Mapping) else {}
    for name, aliases in SIGNALS.items():
        for alias in aliases:
            if alias in source:
                found[name] = _count(source[alias])
                break
    if flags and flags.get("abnormal_list") is True:
        found["abnormal_list"] = max(found["abnormal_list"], 1)
    return found


def points(counts: Mapping[str, int]) -> int:
    complaints = counts.get("complaints", 0)
    total = 4 if complaints >= 10 else 2 if complaints >= 3 else 0
    total += 3 if counts.get("abnormal_list", 0) else 0
    total += 4 if counts.get("serious_violations", 0) else 0
    total += 2 if counts.get("penalties", 0) else 0
    total += 4 if counts.get("fires", 0) else 0
    total += 3 if counts.get("hidden_hazards", 0) else 0
    return total


def weight(risk: object, flags: Mapping[str, Any] | None = None, policy: str = POLICY) -> int:
    """The entity's §1 weight under `policy` (1 under "none" or without risk data)."""
    if policy == NONE or (not risk and not (flags and flags.get("abnormal_list") is True)):
        return 1
    return min(MAX_WEIGHT, 1 + points(signals(risk, flags)))


def extra_quota(base: int, size: int, high_risk: int, policy: str = POLICY) -> int:
    """How many more a ratio-sampled stratum draws for its high-risk members, within the stratum."""
    if policy == NONE or size == 0:
        return 0
    return max(0, min(size - base, math.ceil(base * high_risk / size)))
