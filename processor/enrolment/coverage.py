"""参保率 by 乡镇 and 村 (pandas group-by): 应参保, 已参保, 合理未参保, 未参保, 参保率 =
(已参保 + 合理未参保) ÷ 应参保, against the subsidised groups' target (应保尽保, 100%) and the province's
常住人口 target where a document gives one (赣医保发〔2021〕13号 一: 95%)."""
from __future__ import annotations

from decimal import Decimal

import pandas as pd

from ..rules.enrolment import Targets
from .assess import ENROLLED, REASONABLE, UNENROLLED, PersonYear

STATUSES = (ENROLLED, REASONABLE, UNENROLLED)


def table(years: list[PersonYear]) -> pd.DataFrame:
    frame = pd.DataFrame({"township": [py.person.township or "（未填乡镇）" for py in years],
                          "village": [py.person.village or "（未填村）" for py in years],
                          "status": [py.status for py in years]})
    counts = (frame.groupby(["township", "village", "status"]).size().unstack("status", fill_value=0)
              .reindex(columns=list(STATUSES), fill_value=0).astype("int64"))
    return counts


def _rate(done: int, total: int) -> Decimal:
    # exact to 4 decimal places (0.00% shown), half-up
    return (Decimal(done) / Decimal(total)).quantize(Decimal("0.0001"), "ROUND_HALF_UP") if total else Decimal(0)


def rows(years: list[PersonYear], targets: Targets):
    counts = table(years)
    basis = "；".join(f"{what}：{c}" for what, c in (("资助对象目标", targets.subsidised_cite),
                                                   ("全省目标", targets.overall_cite)) if c)

    def line(town, village, e, r, u):
        total = e + r + u
        rate = _rate(e + r, total)
        target = targets.subsidised
        need = int((target * total).to_integral_value(rounding="ROUND_CEILING")) if target is not None else 0
        met = "" if target is None else ("达标" if e + r >= need else f"未达标（差 {need - e - r} 人）")
        return (town, village, total, e, r, u, rate, target, met, targets.overall, basis)

    for town, part in counts.groupby(level=0, sort=True):
        for (_t, village), c in part.iterrows():
            yield line(town, village, *(int(c[s]) for s in STATUSES))
        s = part.sum()
        yield line(town, "小计", *(int(s[x]) for x in STATUSES))
    s = counts.sum()
    yield line("合计", "", *(int(s[x]) for x in STATUSES))
