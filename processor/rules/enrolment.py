"""参保与资助 — who counts for a year's subsidy, how the subsidy reaches the person, when the
identity's benefits start, and the enrolment targets.

龙岩 龙政办规〔2022〕14号 二(二): "相关待遇从认定之日次月起执行；认定前个人当年已参保的，不再资助参保"
(``enrol.benefit_from_next_month``, ``enrol.no_subsidy_if_enrolled_before``).
西秀 区医保发〔2021〕40号 一(三): the subsidy of a person who paid only the part left after it goes to the
fund; of one who paid the whole contribution, to the person's 一卡通 (``enrol.subsidy_route``).
Targets: 资助对象 应保尽保 (``enrol.subsidised_target``: 西秀 一(一), 龙岩 二(二), 赣州 37号 三(四)) and the
province's 常住人口 target (``enrol.coverage_target``: 赣医保发〔2021〕13号 一, 95%).

The subsidy amount itself is :func:`processor.rules.subsidy.subsidy` (through Engine.subsidy: highest
identity); the waiting period is :func:`processor.rules.waiting.benefit_start`. Nothing here repeats them.
"""
from __future__ import annotations

from datetime import date
from typing import NamedTuple

from ..book import Citation
from ..money import format_yuan
from .common import Ctx

FUND = "划入医保基金"
CARD = "打入一卡通"
NONE = "无资助"
UNDECIDED = "待核对"


class Route(NamedTuple):
    route: str            # FUND / CARD / NONE / UNDECIDED
    text: str             # the step, in Chinese
    citation: Citation | None


def contribution(ctx: Ctx) -> int:
    """The year's individual contribution (个人缴费标准) in fen: the same value the subsidy rule uses."""
    p = ctx.view.require("contribution", f" {ctx.year} 年度个人缴费标准")
    return ctx.money(p)


def counts_for_subsidy(ctx: Ctx, recognised: date, ended: date | None, paid_on: date | None) -> tuple[bool, str]:
    """Does an identity recognised on ``recognised`` (ended on ``ended``) count for the subsidy of the
    year whose contribution was paid on ``paid_on`` (None: not paid yet)? Returns (counts, reason).

    - ended before the payment: no longer that identity when enrolling;
    - recognised after the payment: counts (the subsidy is then refunded, 西秀 一(三)), except where
      ``enrol.no_subsidy_if_enrolled_before`` (龙岩 二(二)) says it does not."""
    if paid_on is None:
        return True, ""
    if ended is not None and ended < paid_on:
        return False, f"身份已于 {ended} 取消，早于缴费日 {paid_on}"
    if recognised > paid_on:
        rule = ctx.view.get("enrol.no_subsidy_if_enrolled_before")
        if rule is not None and rule.value:
            return False, f"认定日 {recognised} 前个人当年已参保（缴费日 {paid_on}），不再资助参保〔{rule.citation}〕"
    return True, ""


def identity_benefit_from(ctx: Ctx, recognised: date) -> tuple[date, Citation | None]:
    """The first day of the identity's benefits: the recognition date, or where
    ``enrol.benefit_from_next_month`` (龙岩 二(二)) the first day of the next month."""
    rule = ctx.view.get("enrol.benefit_from_next_month")
    if rule is not None and rule.value:
        y, m = (recognised.year + 1, 1) if recognised.month == 12 else (recognised.year, recognised.month + 1)
        return date(y, m, 1), rule.citation
    return recognised, None


def route(ctx: Ctx, subsidy: int, paid: int, contrib: int) -> Route:
    """How ``subsidy`` (fen) reaches a person who paid ``paid`` of the contribution ``contrib``."""
    if subsidy <= 0:
        return Route(NONE, "不享受资助参保", None)
    due = contrib - subsidy
    rule = ctx.view.get("enrol.subsidy_route")
    cite = rule.citation if rule is not None else None
    if paid <= due:
        return Route(FUND, f"个人只缴应缴部分 {format_yuan(paid)} 元：资助 {format_yuan(subsidy)} 元划入医保基金"
                           "（代缴请款）", cite)
    if paid >= contrib:
        if rule is not None and rule.value == "fund_or_card":
            return Route(CARD, f"个人已全额缴费 {format_yuan(paid)} 元：资助 {format_yuan(subsidy)} 元打入“一卡通”", cite)
        return Route(UNDECIDED, f"个人已全额缴费 {format_yuan(paid)} 元：{ctx.region}的政策未规定资助退付方式，请核对", None)
    return Route(UNDECIDED, f"个人缴费 {format_yuan(paid)} 元介于应缴 {format_yuan(due)} 元与缴费标准 "
                            f"{format_yuan(contrib)} 元之间，请核对", cite)


class Targets(NamedTuple):
    subsidised: object   # Decimal rate or None
    subsidised_cite: Citation | None
    overall: object      # Decimal rate or None
    overall_cite: Citation | None


def targets(ctx: Ctx) -> Targets:
    s = ctx.view.get("enrol.subsidised_target")
    o = ctx.view.get("enrol.coverage_target")
    return Targets(s.value if s else None, s.citation if s else None, o.value if o else None, o.citation if o else None)
