"""Waiting period (待遇享受等待期): from which day a newly enrolled person's benefits start.

江西 赣医保发〔2021〕13号 二(二)、三: enrolment in the collection period (2021-10-01 to 2022-03-31) or in a
listed special case → no waiting period; otherwise 90 days from the payment date. 赣州
赣市医保字〔2021〕37号 三(四)2: persons eligible for subsidised enrolment have none.
西秀 区医保发〔2021〕40号 一(二): the four special groups have none, benefits from the payment date.
"""
from __future__ import annotations

from datetime import date, timedelta

from ..errors import InputError, PolicyNotInForce
from ..trace import Result, Step
from .common import Ctx

SUBSIDISED = "资助参保对象"


def benefit_start(ctx: Ctx, identity: str, paid_on: date, case: str = "") -> Result:
    """The first day of benefits for a person who paid on ``paid_on``.

    ``ctx`` is the policy of the benefit year the payment buys: the payment date's, or for a payment
    in the collection period before the benefit year starts, that year's first day (see Engine)."""
    view = ctx.view
    period = view.get("waiting.collection_period")
    # paying in the collection period for the next benefit year: no benefit before that year starts
    earliest = paid_on
    if period is not None and period.value[0] <= paid_on <= period.value[1]:
        earliest = max(paid_on, date(period.value[1].year, 1, 1))
    groups = view.get("waiting.exempt_groups")
    if groups is not None and identity in groups.value:
        return _result(identity, earliest, Step(f"{identity}：不设待遇享受等待期，自缴费之日起享受", groups.citation))
    cases = view.get("waiting.exempt_cases")
    if not case and cases is not None and SUBSIDISED in cases.value:
        # A listed case "资助参保对象" covers every identity the policy in force subsidises
        # (e.g. 孤儿 and the 参照定额资助 groups of 赣医保发〔2021〕13号 二(四)), not only the
        # groups named in waiting.exempt_groups.
        p = view.get(f"subsidy.{identity}")
        if p is not None and p.value["method"] != "none":
            return _result(identity, earliest, Step(f"{identity}属{SUBSIDISED}（{p.citation}）：不设待遇享受等待期",
                                                   cases.citation))
    if case:
        if cases is None or case not in cases.value:
            allowed = "、".join(cases.value) if cases else "无"
            raise InputError(f"未知的免等待期情形：{case[:20]}（可用：{allowed}）")
        return _result(identity, earliest, Step(f"{case}：不设待遇享受等待期", cases.citation))
    days = view.get("waiting.days")
    if period is None or days is None:
        raise PolicyNotInForce(f"{ctx.region}在 {paid_on} 的政策未规定待遇享受等待期")
    start, end = period.value
    if start <= paid_on <= end:
        first = max(paid_on, date(end.year, 1, 1))
        return _result(identity, first, Step(f"集中征缴期（{start}至{end}）内参保：不设等待期，待遇自 {first} 起",
                                              period.citation))
    first = paid_on + timedelta(days=days.value)
    return _result(identity, first, Step(f"集中征缴期外参保：自缴费之日起 {days.value} 日等待期，待遇自 {first} 起",
                                         days.citation))


def _result(identity, first: date, step: Step) -> Result:
    return Result(None, identity, (step,), first.isoformat())
