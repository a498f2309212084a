"""大病保险 — annual deductible, bands and cap on the year's in-policy cost left after 基本医保;
the tilt for named groups (deductible −50%, +5 points, no cap).

赣州 赣市医保字〔2021〕37号 二(三)2 (tilt lost without referral: 四(八)); 西秀 区医保发〔2021〕40号 一(四);
龙岩 龙政办规〔2022〕14号 二(三) (explicit tilted bands); 阳城 阳医保发〔2022〕2号 三.

One claim's payment is the growth of the capped cumulative payment: pay = R(min(F(A+a), cap)) −
R(min(F(A), cap)), with F the banded payment on the year's total A and R the half-up rounding
to the fen. A year's claims therefore add up exactly to the yearly formula, and the cap needs
no separate year-to-date payment figure.
"""
from __future__ import annotations

import math
from decimal import Decimal

from ..identities import ORDINARY
from ..money import format_yuan, round_fen, round_ratio
from ..trace import Result, Step, Trace
from .common import Ctx, pct, points

Bands = tuple[tuple[int | None, Decimal], ...]  # (upper bound in fen or None, rate)


def critical(ctx: Ctx, identity: str, amount: int, ytd_amount: int = 0, referral: bool = True) -> Result:
    trace = Trace()
    pay = critical_fen(ctx, identity, amount, ytd_amount, referral, trace)
    return Result(pay, identity, tuple(trace.steps))


def critical_fen(ctx: Ctx, identity: str, amount: int, ytd_amount: int, referral: bool, trace: Trace) -> int:
    """:func:`critical`'s amount, its explanation written to ``trace`` (the batch passes trace.Citations)."""
    deductible, bands, cap, cap_cite, prefix, fractions = ctx.memo(("critical", identity, referral), _terms, ctx,
                                                                    identity, referral)
    total = ytd_amount + amount
    before = _paid(ytd_amount, deductible, fractions, cap)
    after = _paid(total, deductible, fractions, cap)
    pay = after - before
    trace.extend(prefix)
    if trace.explains:  # steps of text alone: the batch (trace.Citations) keeps only citations
        trace.step(lambda: f"年度累计进入大病的费用：此前 {format_yuan(ytd_amount)} + 本次 {format_yuan(amount)}"
                           f" = {format_yuan(total)} 元")
        trace.step(lambda: "分段：" + _describe(deductible, bands))
    if cap is not None and after >= cap:
        trace.step(lambda: f"已达年度最高支付限额 {format_yuan(cap)} 元", cap_cite)
    if trace.explains:
        trace.step(lambda: f"年度累计支付 {format_yuan(after)} − 此前 {format_yuan(before)}"
                           f" = 本次大病保险 {format_yuan(pay)} 元")
    return pay


def _terms(ctx: Ctx, identity: str, referral: bool):
    """Deductible, bands and cap for one identity (they depend on the policy and settings only)."""
    view = ctx.view
    steps: list[Step] = []
    p_ded = view.require("critical.deductible", "大病保险起付线")
    p_bands = view.require("critical.bands", "大病保险支付比例")
    p_cap = view.require("critical.cap", "大病保险封顶线")
    if not _tilted(ctx, identity, referral, steps):
        if identity != ORDINARY:
            steps.insert(0, Step(f"{identity}：按普通参保人计算大病保险", p_ded.citation))
        deductible = ctx.money(p_ded, steps=steps, label="起付线")
        bands = _resolve_bands(ctx, p_bands, steps)
        cap = ctx.money(p_cap, steps=steps, label="年度最高支付限额")
        return deductible, bands, cap, p_cap.citation, tuple(steps), _fractions(bands)
    deductible, bands, cap, cap_cite = _tilt_terms(ctx, p_ded, p_bands, steps)
    return deductible, bands, cap, cap_cite, tuple(steps), _fractions(bands)


def _tilted(ctx: Ctx, identity: str, referral: bool, steps: list) -> bool:
    view = ctx.view
    groups = view.get("critical.tilt.groups")
    if groups is None or identity not in groups.value:
        return False
    need = view.get("critical.tilt.referral_required")
    if need is not None and need.value and not referral:
        steps.append(Step(f"{identity}未按规定转诊：不享受大病保险倾斜，按普通参保人计算", need.citation))
        return False
    steps.append(Step(f"{identity}：大病保险倾斜支付对象", groups.citation))
    return True


def _tilt_terms(ctx: Ctx, p_ded, p_bands, steps: list):
    view = ctx.view
    explicit_ded = view.get("critical.tilt.deductible")
    explicit_bands = view.get("critical.tilt.bands")
    p_cap = view.require("critical.tilt.cap", "大病保险倾斜封顶线")
    if explicit_ded is not None:
        deductible = ctx.money(explicit_ded, steps=steps, label="倾斜起付线")
    else:
        factor = view.require("critical.tilt.deductible_factor", "大病保险倾斜起付线")
        base = ctx.money(p_ded, steps=steps, label="普通起付线")
        deductible = round_fen(base * factor.value)
        steps.append(Step(f"倾斜起付线：{format_yuan(base)} × {pct(factor.value)} = {format_yuan(deductible)} 元",
                          factor.citation))
    if explicit_bands is not None:
        bands = _resolve_bands(ctx, explicit_bands, steps)
    else:
        add = view.require("critical.tilt.rate_add", "大病保险倾斜比例")
        base_bands = _resolve_bands(ctx, p_bands, steps)
        bands = tuple((upto, min(Decimal(1), rate + add.value)) for upto, rate in base_bands)
        steps.append(Step(f"倾斜支付比例：各段提高{points(add.value)}个百分点", add.citation))
    cap = ctx.money(p_cap, steps=steps, label="倾斜年度最高支付限额")
    return deductible, bands, cap, p_cap.citation


def _resolve_bands(ctx: Ctx, param, steps: list) -> Bands:
    out = []
    for upto, rate in param.value:
        out.append((ctx.money(param, upto), ctx.rate(param, rate, steps)))
    return tuple(out)


Fractions = tuple[int, tuple[tuple[int | None, int], ...]]  # (denominator, ((upper bound, rate × denominator), …))


def _fractions(bands: Bands) -> Fractions:
    """The bands with each rate as an exact fraction over one common denominator (0.6, 0.65 → 20: 12, 13),
    so that a year's payment is an integer over that denominator, with no Decimal (two a claim)."""
    ratios = [rate.as_integer_ratio() for _upto, rate in bands]
    den = math.lcm(*(d for _n, d in ratios)) if ratios else 1
    return den, tuple((upto, n * (den // d)) for (upto, _rate), (n, d) in zip(bands, ratios))


def _paid(total: int, deductible: int, fractions: Fractions, cap: int | None) -> int:
    """R(min(F(total), cap)): the year's payment on a year's total, rounded half-up to the fen. F is worked
    out exactly as a fraction (each band's rate on the part of the total inside the band, over the bands'
    common denominator) and rounded once, by money.round_ratio; tests/rules/test_critical_fractions.py
    proves it equal to the Decimal arithmetic it replaced."""
    if total <= deductible:  # F is 0 up to the deductible
        return 0 if cap is None else min(0, cap)
    den, bands = fractions
    num = 0
    lower = deductible
    for upto, rate in bands:
        top = total if upto is None else min(total, upto)
        if top > lower:
            num += (top - lower) * rate
        if upto is not None:
            lower = max(lower, upto)
        if total <= lower:
            break
    if cap is not None and num >= cap * den:
        return cap
    return round_ratio(num, den)


def _describe(deductible: int, bands: Bands) -> str:
    parts = []
    lower = deductible
    for upto, rate in bands:
        hi = "以上" if upto is None else f"~{format_yuan(upto)}"
        parts.append(f"{format_yuan(lower)}{hi} 按 {pct(rate)}")
        if upto is not None:
            lower = max(lower, upto)
    return "；".join(parts)
