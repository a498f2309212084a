"""因病返贫/致贫 monitoring — which list a person's self-pay puts them on.

赣州 赣市医保字〔2021〕37号 三(六): yearly cumulative self-pay above 50% (脱贫人口 → 因病返贫监测) or
100% (any rural resident → 因病致贫监测) of the previous year's provincial rural income.
西秀 区医保发〔2021〕40号 一(五)、二(八): one visit's self-pay above 4,000 (低收入人口) or 10,000 (others).
Lines are "超过" (strictly above).
"""
from __future__ import annotations

from ..errors import PolicyNotInForce
from ..identities import tags
from ..money import format_yuan
from ..trace import Result, Step
from .common import Ctx


def rules(ctx: Ctx):
    found = ctx.view.cache.get("monitor_rules")
    if found is None:
        found = sorted((p for k, p in ctx.view.params.items() if k.startswith("monitor.")),
                       key=lambda p: p.value["order"])
        ctx.view.cache["monitor_rules"] = found
    return found


def monitor(ctx: Ctx, identity: str, selfpay: int, ytd_selfpay: int = 0) -> Result:
    found = rules(ctx)
    if not found:
        raise PolicyNotInForce(f"{ctx.region}的政策未规定因病返贫致贫监测线")
    mine = tags(ctx.view, identity)
    steps: list[Step] = []
    for p in found:
        rule = p.value
        if rule["tag"] != "*" and rule["tag"] not in mine:
            continue
        name = p.key.split(".", 1)[1]
        line = ctx.money(p, rule["line"], steps, label=f"{name}线")
        value = selfpay if rule["basis"] == "visit" else ytd_selfpay + selfpay
        what = "本次自付" if rule["basis"] == "visit" else "年度累计自付"
        if value > line:
            steps.append(Step(lambda: f"{what} {format_yuan(value)} 元超过 {format_yuan(line)} 元：纳入{name}", p.citation))
            return Result(None, identity, tuple(steps), name)
        steps.append(Step(lambda v=value, ln=line, w=what: f"{w} {format_yuan(v)} 元未超过 {format_yuan(ln)} 元", p.citation))
    return Result(None, identity, tuple(steps), "")
