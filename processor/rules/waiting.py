"""Waiting period (待遇享受等待期): from which day a newly enrolled person's benefits start.

江西 赣医保发〔2021〕13号 二(二)、三: paying in the collection period (2021-10-01 to 2022-03-31) buys the
benefit year 2022-01-01 to 2022-12-31 — from its first day, even when the payment falls after it;
the listed special cases have no waiting period; otherwise 90 days from the payment date.
赣州 赣市医保字〔2021〕37号 三(四)2: persons eligible for subsidised enrolment have none (while their
subsidy lasts); 三(四)3: 跨区域参保关系转移接续 and 非因个人原因停保断保 have none.
西秀 区医保发〔2021〕40号 一(一)、一(二)、二(一): the named groups have none, benefits from the payment date.

How the 90 days are counted (民法典 第二百零一条: "开始的当日不计入，自下一日开始计算"): the payment day
does not count, the 90 days are the 90 days after it, and benefits start the day after they end,
i.e. payment date + 91 days.
"""
from __future__ import annotations

from datetime import date, timedelta

from ..errors import InputError, PolicyNotInForce
from ..trace import Result, Step
from .common import Ctx

SUBSIDISED = "资助参保对象"
GROUP = "waiting.exempt_group."
CASE = "waiting.exempt_case."


def exempt_cases(view) -> list[str]:
    """The special cases (情形) in force that have no waiting period, in the documents' order."""
    return [k[len(CASE):] for k in view.params if k.startswith(CASE)]


def benefit_start(ctx: Ctx, identity: str, paid_on: date, case: str = "") -> Result:
    """The first day of benefits for a person who paid on ``paid_on``.

    ``ctx`` is the policy of the benefit year the payment buys: the payment date's, or for a payment
    in the collection period before the benefit year starts, that year's first day (see Engine)."""
    view = ctx.view
    period = view.get("waiting.collection_period")
    in_period = period is not None and period.value[0] <= paid_on <= period.value[1]
    # 13号 二(二): a payment in the collection period buys the whole benefit year, from its first day
    earliest = date(period.value[1].year, 1, 1) if in_period else paid_on
    if in_period:
        start, end = period.value
        return _result(identity, earliest, Step(
            f"集中征缴期（{start}至{end}）内参保：待遇享受期为 {earliest.year} 年全年，待遇自 {earliest} 起",
            period.citation))
    p_group = view.get(GROUP + identity)
    if p_group is not None and p_group.value:
        return _result(identity, earliest, Step(f"{identity}：不设待遇享受等待期，自缴费之日起享受", p_group.citation))
    if not case:
        step = _subsidised(ctx, identity)
        if step is not None:
            return _result(identity, earliest, step)
    if case:
        p_case = view.get(CASE + case)
        if p_case is None or not p_case.value:
            allowed = "、".join(exempt_cases(view)) or "无"
            raise InputError(f"未知的免等待期情形：{case[:20]}（{ctx.region} {paid_on} 可用：{allowed}）")
        return _result(identity, earliest, Step(f"{case}：不设待遇享受等待期", p_case.citation))
    days = view.get("waiting.days")
    if period is None or days is None:
        raise PolicyNotInForce(f"{ctx.region}在 {paid_on} 的政策未规定{identity}的待遇享受等待期")
    first = paid_on + timedelta(days=days.value + 1)
    return _result(identity, first, Step(
        f"集中征缴期外参保：缴费当日不计入，自次日起 {days.value} 日等待期（民法典第二百零一条），"
        f"待遇自 {first} 起", days.citation))


def _subsidised(ctx: Ctx, identity: str) -> Step | None:
    """37号 三(四)2 / 13号 三 "资助参保对象": no waiting period for an identity subsidised on this day.

    Derived from the subsidy itself, so the exemption ends with the subsidy (the transition groups
    of 37号 二(二)3 after 2025-12-31) and covers every subsidised identity (孤儿, the 参照定额 groups,
    高校大学生 of 13号 二(四)), not a list that could drift from it."""
    view = ctx.view
    rule = view.get("waiting.exempt_subsidised")
    rule = rule if rule is not None and rule.value else view.get(CASE + SUBSIDISED)
    if rule is None or not rule.value:
        return None
    p = view.get(f"subsidy.{identity}")
    if p is None or p.value["method"] == "none":
        return None
    return Step(f"{identity}属{SUBSIDISED}（{p.citation}）：不设待遇享受等待期", rule.citation)


def _result(identity, first: date, step: Step) -> Result:
    return Result(None, identity, (step,), first.isoformat())
