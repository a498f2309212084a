"""倾斜救助 — after the three tiers, a share of the year's remaining in-policy self-pay above a line.

赣州 赣市医保字〔2021〕37号 二(三)3(4) (75% above 100% of the previous-year income, cap 50,000;
referral 四(八)). 龙岩 龙政办规〔2022〕14号 二(五) and 阳城 阳医保发〔2022〕2号 四: by application, no
amount. 西秀 区医保发〔2021〕40号: not provided.
"""
from __future__ import annotations

from ..errors import InputError, PolicyNotInForce
from ..money import format_yuan, share_of
from ..trace import Result, Step, Trace
from .common import Ctx, above_line, pct, within_cap

ON_APPLICATION = "依申请"


def tilt(ctx: Ctx, identity: str, remaining: int, ytd_remaining: int = 0, ytd_tilt: int = 0,
         referral: bool = True, beyond_cap: int | None = None) -> Result:
    """``remaining``: this claim's in-policy self-pay after the three tiers (counted toward the line);
    ``beyond_cap``: the part of it beyond the annual 医疗救助 cap (where the policy restricts 倾斜救助 to
    such costs, ``tilt.scope``: 赣市医保字〔2021〕37号 二(三)3(4)); see rules.assistance.beyond_cap."""
    trace = Trace()
    pay = tilt_fen(ctx, identity, remaining, ytd_remaining, ytd_tilt, referral, beyond_cap, trace)
    return Result(pay, identity, tuple(trace.steps), ON_APPLICATION if pay is None else "")


def tilt_fen(ctx: Ctx, identity: str, remaining: int, ytd_remaining: int, ytd_tilt: int, referral: bool,
             beyond_cap: int | None, trace: Trace) -> int | None:
    """:func:`tilt`'s amount (None: 依申请, no amount), its explanation written to ``trace``."""
    terms = ctx.memo(("tilt", identity, referral), _terms, ctx, identity, referral)
    if terms.__class__ is Result:  # 依申请, or not for this identity (or not referred): no claim changes it
        trace.extend(terms.steps)
        return terms.fen
    p_line, p_rate, p_cap, line, cap, scope, prefix = terms
    trace.extend(prefix)
    above = above_line(ytd_remaining, remaining, line)
    if scope is not None:
        if beyond_cap is None:
            raise InputError(f"{ctx.region}倾斜救助只救助超出医疗救助年度限额的费用：请填写本次超出限额的个人自付"
                             f"（未用完限额时填 0）〔{scope.citation}〕")
        if beyond_cap > remaining:
            raise InputError("超出医疗救助限额的个人自付不能大于三重制度后个人自付")
        if beyond_cap == 0:
            trace.step("本次没有超出医疗救助年度限额的个人自付（限额未用完或不设限额）：倾斜救助 0 元", scope.citation)
            return 0
    eligible = above if scope is None else min(above, beyond_cap)
    raw = share_of(eligible, p_rate.value)
    trace.step(lambda: f"三重制度后年度累计自付：此前 {format_yuan(ytd_remaining)} + 本次 {format_yuan(remaining)}；"
                       f"超过起点的本次部分 {format_yuan(above)} 元", p_line.citation)
    if scope is not None:
        trace.step(lambda: f"其中超出医疗救助年度限额的部分 {format_yuan(beyond_cap)} 元：取两者重叠 "
                           f"{format_yuan(eligible)} 元", scope.citation)
    trace.step(lambda: f"{format_yuan(eligible)} × {pct(p_rate.value)} = {format_yuan(raw)} 元", p_rate.citation)
    pay = within_cap(raw, cap, ytd_tilt, "倾斜救助")
    if pay < raw:
        trace.step(lambda: f"年度限额剩余 {format_yuan(cap - ytd_tilt)} 元：本次按限额支付", p_cap.citation)
    if trace.explains:  # a step of text alone: the batch (trace.Citations) keeps only citations
        trace.step(lambda: f"本次倾斜救助 {format_yuan(pay)} 元")
    return pay


def _terms(ctx: Ctx, identity: str, referral: bool):
    """What :func:`tilt_fen` reads from the policy and the settings for one identity (nothing of a claim):
    the answer itself where it is the same for every claim (a :class:`Result`), else the line, rate and cap
    with the steps that resolved them. Computed once per policy version and settings (Ctx.memo)."""
    view = ctx.view
    mode = view.get("tilt.mode")
    if mode is None or mode.value == "undefined":
        cite = f"（{mode.citation.doc}）" if mode else ""
        raise PolicyNotInForce(f"{ctx.region}的政策未规定倾斜救助{cite}")
    if mode.value == "on_application":
        return Result(None, identity, (Step("倾斜救助依申请办理，文件未规定计算标准", mode.citation),))
    groups = view.require("tilt.groups", "倾斜救助对象")
    if identity not in groups.value:
        return Result(0, identity, (Step(f"{identity}不属于倾斜救助对象：0 元", groups.citation),))
    need = view.get("tilt.referral_required")
    if need is not None and need.value and not referral:
        return Result(0, identity, (Step("未按规定转诊：不享受倾斜救助", need.citation),))
    p_line, p_rate, p_cap = (view.require(k, "倾斜救助") for k in ("tilt.line", "tilt.rate", "tilt.cap"))
    steps: list[Step] = []
    line = ctx.money(p_line, steps=steps, label="倾斜救助起点")
    cap = ctx.money(p_cap, steps=steps, label="倾斜救助年度限额")
    return p_line, p_rate, p_cap, line, cap, view.get("tilt.scope"), tuple(steps)
