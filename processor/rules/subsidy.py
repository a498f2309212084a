"""资助参保 — the yearly enrolment subsidy: 全额 / 定额 / a percentage of the contribution with a floor.

赣州 赣市医保字〔2021〕37号 二(二) and 赣医保发〔2021〕13号 二(四); 西秀 区医保发〔2021〕40号 一(三)、二(二);
龙岩 龙政办规〔2022〕14号 二(二); 阳城 阳医保发〔2022〕2号 一.
"""
from __future__ import annotations

from ..errors import PolicyNotInForce
from ..identities import ORDINARY
from ..money import format_yuan, round_fen
from ..trace import Result, Step
from .common import Ctx, pct


def subsidy(ctx: Ctx, identity: str) -> Result:
    view = ctx.view
    year = ctx.year
    steps: list[Step] = []
    if identity == ORDINARY:
        return Result(0, identity, (Step("普通参保人：个人全额缴费，不享受资助参保"),))
    p = view.get(f"subsidy.{identity}")
    if p is None:
        raise PolicyNotInForce(f"{ctx.region} {year}年度的政策未规定“{identity}”的资助参保")
    method = p.value["method"]
    if method == "none":
        return Result(0, identity, (Step(f"{identity}：不享受资助参保", p.citation),))
    if method == "fixed":
        amount = ctx.money(p, p.value["amount"], steps, label=f"{identity}定额资助")
        return Result(amount, identity, tuple(steps) + (Step(f"{year}年度资助参保：{format_yuan(amount)} 元"),))
    contribution = _contribution(ctx, steps)
    if method == "full":
        steps.append(Step(f"{identity}：全额资助个人缴费 {format_yuan(contribution)} 元", p.citation))
        return Result(contribution, identity, tuple(steps))
    # percent, with an optional floor, never above the contribution itself
    rate = p.value["rate"]
    amount = round_fen(contribution * rate)
    steps.append(Step(f"{identity}：个人缴费 {format_yuan(contribution)} × {pct(rate)} = {format_yuan(amount)} 元", p.citation))
    floor_v = p.value.get("floor")
    if floor_v is not None:
        floor = ctx.money(p, floor_v)
        if amount < floor:
            amount = min(floor, contribution)
            steps.append(Step(f"低于 {format_yuan(floor)} 元，按 {format_yuan(amount)} 元资助", p.citation))
    steps.append(Step(f"{year}年度资助参保：{format_yuan(amount)} 元"))
    return Result(amount, identity, tuple(steps))


def _contribution(ctx: Ctx, steps: list) -> int:
    p = ctx.view.require("contribution", f" {ctx.year} 年度个人缴费标准")
    return ctx.money(p, steps=steps, label=f"{ctx.year}年度个人缴费标准")
