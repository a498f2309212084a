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
from ..trace import Result, Step, Trace
from .common import Ctx


def rules(ctx: Ctx):
    found = ctx.view.cache.get("monitor_rules")
    if found is None:
        found = sorted((p for k, p in ctx.view.params.items() if k.startswith("monitor.")),
                       key=lambda p: p.value["order"])
        ctx.view.cache["monitor_rules"] = found
    return found


def monitor(ctx: Ctx, identity: str, selfpay: int, ytd_selfpay: int = 0) -> Result:
    trace = Trace()
    listed = monitor_list(ctx, identity, selfpay, ytd_selfpay, trace)
    return Result(None, identity, tuple(trace.steps), listed)


def monitor_list(ctx: Ctx, identity: str, selfpay: int, ytd_selfpay: int, trace: Trace) -> str:
    """:func:`monitor`'s answer (the list's name, "" for none), its explanation written to ``trace``."""
    applying = ctx.memo(("monitor", identity), _applying, ctx, identity)
    if applying is None:
        raise PolicyNotInForce(f"{ctx.region}的政策未规定因病返贫致贫监测线")
    for p, name, per_visit in applying:
        line, step = ctx.memo(("monitor.line", p.key), _line, ctx, p, name)  # resolved when first reached
        if step is not None:
            trace.append(step)
        value = selfpay if per_visit else ytd_selfpay + selfpay
        what = "本次自付" if per_visit else "年度累计自付"
        if value > line:
            trace.step(lambda: f"{what} {format_yuan(value)} 元超过 {format_yuan(line)} 元：纳入{name}", p.citation)
            return name
        trace.step(lambda v=value, ln=line, w=what: f"{w} {format_yuan(v)} 元未超过 {format_yuan(ln)} 元", p.citation)
    return ""


def _line(ctx: Ctx, p, name: str) -> tuple[int | None, Step | None]:
    """A monitoring line in fen and the step that resolved it (Ctx.money's)."""
    steps: list[Step] = []
    line = ctx.money(p, p.value["line"], steps, label=f"{name}线")
    return line, (steps[0] if steps else None)


def _applying(ctx: Ctx, identity: str) -> tuple | None:
    """The monitoring rules that apply to this identity, in order: (param, list name, per visit?); None when
    the region's policy has no monitoring line at all."""
    if not rules(ctx):
        return None
    mine = tags(ctx.view, identity)
    return tuple((p, p.key.split(".", 1)[1], p.value["basis"] == "visit") for p in rules(ctx)
                 if p.value["tag"] == "*" or p.value["tag"] in mine)


def heavy_burden(ctx: Ctx, identity: str, inpolicy_selfpay_12m: int) -> Result:
    """龙岩 龙政办规〔2022〕14号 二(一)1 第五类条件(1) and 二(七)3: the in-policy self-pay of the 12 months up to
    this settlement "达到或超过" (≥) the previous year's 居民人均可支配收入. A person with no identity of
    classes 1–4 is a 第五类（因病致贫重病患者）candidate — conditions (2) and (3) (family income and property)
    are for 民政 to verify; one who has an identity is on the heavy-burden warning list pushed to 民政 and
    乡村振兴. ``text``: the list name, or "" below the line."""
    p = ctx.view.get("heavy_burden.line")
    if p is None:
        raise PolicyNotInForce(f"{ctx.region}的政策未规定高额医疗费用负担预警线")
    steps: list[Step] = []
    line = ctx.money(p, steps=steps, label="高额医疗费用负担线")
    months = ctx.view.get("heavy_burden.months")
    span = months.value if months is not None else 12
    if inpolicy_selfpay_12m < line:
        steps.append(Step(lambda: f"前{span}个月政策范围内个人自付 {format_yuan(inpolicy_selfpay_12m)} 元未达到 "
                                  f"{format_yuan(line)} 元", p.citation))
        return Result(None, identity, tuple(steps), "")
    ordinary = identity in ("", "普通参保人")
    name = "第五类候选（因病致贫重病患者）" if ordinary else "高额医疗费用负担预警"
    steps.append(Step(lambda: f"前{span}个月政策范围内个人自付 {format_yuan(inpolicy_selfpay_12m)} 元达到 "
                              f"{format_yuan(line)} 元：列入{name}", p.citation))
    return Result(None, identity, tuple(steps), name)
