"""医疗救助 — a share of the in-policy self-pay left after 基本医保 and 大病保险: annual threshold on the
year's cumulative self-pay, rate per identity and kind, one annual cap shared by every kind.

赣州 赣市医保字〔2021〕37号 二(三)3(1)–(3), referral 四(八); 西秀 区医保发〔2021〕40号 一(四);
龙岩 龙政办规〔2022〕14号 二(四)1–3; 阳城 阳医保发〔2022〕2号 四 (90% top-up), 五 (outpatient), 六 (目录外 85%).
"""
from __future__ import annotations

import unicodedata
from decimal import Decimal

from ..errors import InputError, PolicyNotInForce
from ..money import format_yuan, round_fen, share_of
from ..trace import Result, Step, Trace
from .common import Ctx, above_line, pct, within_cap

KINDS = ("住院", "门诊慢特病", "门诊特药", "住院目录外", "门诊两病")
KIND_ALIASES = {
    "住院": "住院", "普通住院": "住院", "住院治疗": "住院", "": "住院",
    "门诊慢特病": "门诊慢特病", "门诊慢性病": "门诊慢特病", "门诊特殊慢性病": "门诊慢特病", "门诊特殊病种": "门诊慢特病",
    "慢特病": "门诊慢特病", "门诊慢病": "门诊慢特病", "门特": "门诊慢特病", "特殊门诊": "门诊慢特病",
    "I类门诊特殊慢性病": "门诊慢特病", "II类门诊特殊慢性病": "门诊慢特病",
    "门诊特药": "门诊特药", "特药": "门诊特药", "门诊特殊药品": "门诊特药",
    "住院目录外": "住院目录外", "目录外": "住院目录外", "目录外住院": "住院目录外",
    # 两病 (高血压、糖尿病门诊用药) is a 基本医保 outpatient benefit of its own (赣市医保字〔2021〕37号 二(三)1,
    # 阳医保发〔2022〕2号 二·二 "45 种慢性病和“两病”"): never assisted as 门诊慢特病.
    "门诊两病": "门诊两病", "两病": "门诊两病", "两病门诊": "门诊两病", "门诊两病用药": "门诊两病",
    "高血压糖尿病门诊用药": "门诊两病", "高血压、糖尿病门诊用药": "门诊两病",
}
# II类门诊特殊慢性病 (赣市医保字〔2021〕37号 二(三)3(3)): assisted only above its own annual limit.
CLASS2_WORDS = frozenset({"II类门诊特殊慢性病", "II类门诊慢特病", "II类慢特病", "门诊慢特病II类", "门诊慢特病(II类)",
                          "二类门诊特殊慢性病", "二类门诊慢特病", "门诊特殊慢性病II类", "门诊特殊慢性病(II类)"})


def _kind_key(text) -> str:
    # NFKC: full-width brackets and the Roman numeral Ⅱ (U+2161) become ASCII "(" and "II"
    return unicodedata.normalize("NFKC", "" if text is None else str(text)).strip().replace(" ", "")


def normalise_kind(text) -> str:
    key = _kind_key(text)
    kind = KIND_ALIASES.get(key) or ("门诊慢特病" if key in CLASS2_WORDS else None)
    if kind is None:
        raise InputError(f"未知医疗类别：{key[:20]}（可用：{'、'.join(KINDS)}）")
    return kind


def is_class2(text) -> bool:
    """The kind text names II类门诊特殊慢性病."""
    return _kind_key(text) in CLASS2_WORDS


def assistance(ctx: Ctx, identity: str, selfpay: int, ytd_selfpay: int = 0, ytd_assist: int = 0,
               kind: str = "住院", referral: bool = True, stay_total: int | None = None,
               in_province: bool = True) -> Result:
    trace = Trace()
    pay = assistance_fen(ctx, identity, selfpay, ytd_selfpay, ytd_assist, kind, referral, stay_total, in_province,
                         trace)
    return Result(pay, identity, tuple(trace.steps))


def assistance_fen(ctx: Ctx, identity: str, selfpay: int, ytd_selfpay: int, ytd_assist: int, kind: str,
                   referral: bool, stay_total: int | None, in_province: bool, trace: Trace) -> int:
    """:func:`assistance`'s amount, its explanation written to ``trace`` (the batch passes trace.Citations)."""
    terms = ctx.memo(("assistance", identity, kind), _terms, ctx, identity, kind)
    if isinstance(terms, Result):  # not an assistance object for this kind
        trace.extend(terms.steps)
        return terms.fen
    p_rate, rate, p_cap, cap, threshold, need_referral, prefix, topup = terms
    if need_referral is not None and not referral:
        trace.step("未按规定转诊：不予医疗救助", need_referral)
        return 0
    if kind == "住院目录外" and not in_province:
        trace.step("省外住院目录外费用不予救助", p_rate.citation)
        return 0
    trace.extend(prefix)
    if kind == "住院目录外":
        # 六: out-of-catalog costs within the hospital's control share — no threshold, outside the
        # in-policy self-pay accumulation, inside the shared cap.
        eligible = selfpay
        trace.step(lambda: f"目录外控制比例内费用 {format_yuan(selfpay)} 元", p_rate.citation)
    else:
        eligible = above_line(ytd_selfpay, selfpay, threshold)
        if trace.explains:  # a step of text alone: the batch (trace.Citations) keeps only citations
            trace.step(lambda: f"年度累计个人自付：此前 {format_yuan(ytd_selfpay)} + 本次 {format_yuan(selfpay)}"
                               f"；超过起付标准 {format_yuan(threshold)} 的本次部分 {format_yuan(eligible)} 元")
    raw = share_of(eligible, rate)
    trace.step(lambda: f"{identity}{kind}救助：{format_yuan(eligible)} × {pct(rate)} = {format_yuan(raw)} 元",
               p_rate.citation)
    if topup is not None and topup.value["kind"] == kind:
        raw = _topup(ctx, topup, identity, selfpay, raw, stay_total, in_province, trace)
    pay = within_cap(raw, cap, ytd_assist, "医疗救助")
    if pay < raw:
        trace.step(lambda: f"年度限额剩余 {format_yuan(cap - ytd_assist)} 元：本次按限额支付", p_cap.citation)
    if trace.explains:
        trace.step(lambda: f"本次医疗救助 {format_yuan(pay)} 元")
    return pay


def _terms(ctx: Ctx, identity: str, kind: str):
    """Rate, cap, threshold of one identity and kind (policy and settings only, not the claim)."""
    view = ctx.view
    kinds = view.require("assistance.kinds", "医疗救助")
    if kind not in kinds.value:
        if kind == "门诊两病":
            raise PolicyNotInForce(f"门诊两病（高血压、糖尿病用药）属基本医保门诊用药保障，{ctx.region}的政策未规定其医疗救助"
                                   f"（救助类别：{'、'.join(kinds.value)}）")
        raise PolicyNotInForce(f"{ctx.region}的政策未规定{kind}医疗救助（可用：{'、'.join(kinds.value)}）")
    p_rate = view.get(f"assistance.rate.{kind}.{identity}")
    if p_rate is None:
        return Result(0, identity, (Step(f"{identity}不属于{kind}医疗救助对象：救助 0 元", kinds.citation),))
    need = view.get("assistance.referral_required")
    need_referral = need.citation if need is not None and need.value else None
    steps: list[Step] = []
    rate = ctx.rate(p_rate, steps=steps)
    p_cap = view.require(f"assistance.cap.{identity}", f"{identity}的医疗救助年度限额")
    cap = ctx.money(p_cap, steps=steps, label="年度救助限额（住院与门诊共用）")
    threshold = 0
    if kind != "住院目录外":
        p_thr = view.get(f"assistance.threshold.{identity}")
        threshold = ctx.money(p_thr, steps=steps, label="年度起付标准") if p_thr is not None else 0
    return p_rate, rate, p_cap, cap, threshold, need_referral, tuple(steps), view.get(f"assistance.topup.{identity}")


def assisted(ctx: Ctx, identity: str, kind: str, referral: bool = True) -> bool:
    """Whether this identity is assisted for this kind (and, where referral is required, was referred).

    Only such claims count toward the identity's annual threshold and the 倾斜救助 line: 赣市医保字〔2021〕37号
    二(三)3(1)③④ count "住院发生的政策范围内个人自付", and 门诊慢特病 only for the groups 二(三)3(2)(3) assist;
    龙政办规〔2022〕14号 二(四)2 leaves unreferred costs outside 医疗救助 altogether."""
    has_rate, need_referral = ctx.memo(("assisted", identity, kind), _assisted_terms, ctx.view, identity, kind)
    return has_rate and (referral or not need_referral)


def _assisted_terms(view, identity: str, kind: str) -> tuple[bool, bool]:
    """(the identity has a rate for the kind, referral is required)."""
    kinds = view.get("assistance.kinds")
    if kinds is None or kind not in kinds.value or kind == "住院目录外":
        return False, False
    has_rate = view.get(f"assistance.rate.{kind}.{identity}") is not None
    need = view.get("assistance.referral_required")
    return has_rate, bool(need is not None and need.value)


def beyond_cap(ctx: Ctx, identity: str, kind: str, selfpay: int, ytd_selfpay: int, ytd_assist: int) -> int:
    """The part of this claim's in-policy self-pay beyond the identity's annual 医疗救助 cap: what the cap
    left unassisted (赣市医保字〔2021〕37号 二(三)3(4) "超出医疗救助限额之上的高额费用").

    0 when the identity has no cap or the cap is not reached in this claim; all of the self-pay above
    the threshold when the cap was already used up; when the cap runs out inside this claim, the part
    of the eligible self-pay the remaining cap could not cover at the identity's rate."""
    terms = ctx.memo(("assistance", identity, kind), _terms, ctx, identity, kind)
    if isinstance(terms, Result):
        return 0
    _p_rate, rate, _p_cap, cap, threshold, _need, _prefix, _topup_param = terms
    if cap is None or rate <= 0:
        return 0
    eligible = above_line(ytd_selfpay, selfpay, threshold)
    left = max(0, cap - ytd_assist)
    if share_of(eligible, rate) <= left:
        return 0
    covered = round_fen(Decimal(left) / rate)  # the self-pay whose assistance used up what was left
    return max(0, eligible - covered)


def _topup(ctx: Ctx, p, identity, selfpay, raw, stay_total, in_province, trace: Trace) -> int:
    """阳医保发〔2022〕2号 四: ``p`` (assistance.topup.<identity>, for the claim's kind) lifts the assistance so the
    stay's combined payment ratio reaches its target."""
    if p.value["in_province"] and not in_province:
        trace.step("省外住院：不适用综合支付比例兜底", p.citation)
        return raw
    if stay_total is None:
        raise InputError(f"{ctx.region}{identity}住院救助需填写本次目录内（政策范围内）费用，"
                         f"用于{pct(p.value['target'])}综合支付比例兜底（{p.citation}）")
    if stay_total < selfpay:
        raise InputError("本次目录内费用不能小于个人自付")
    target = p.value["target"]
    # combined ratio = (stay_total − selfpay + assistance) / stay_total ≥ target
    needed = round_fen(selfpay - stay_total * (Decimal(1) - target))
    if needed > raw:
        trace.step(lambda: f"综合支付比例兜底到 {pct(target)}：{format_yuan(selfpay)} − {format_yuan(stay_total)} × "
                           f"{pct(Decimal(1) - target)} = {format_yuan(needed)} 元", p.citation)
        return needed
    trace.step(lambda: f"综合支付比例已达 {pct(target)}，无需兜底", p.citation)
    return raw


def out_of_catalog_within_share(ctx: Ctx, out_of_catalog: int, total_cost: int, hospital_class: str) -> tuple[int, Step]:
    """六: the part of a stay's out-of-catalog cost within the hospital class's control share."""
    p = ctx.view.require("assistance.out_of_catalog_share", "目录外费用控制比例")
    share = p.value.get(str(hospital_class).strip())
    if share is None:
        raise InputError(f"未知医疗机构收费类别：{str(hospital_class)[:20]}（可用：{'、'.join(p.value)}）")
    limit = share_of(total_cost, share)
    within = min(out_of_catalog, limit)
    return within, Step(lambda: f"目录外费用 {format_yuan(out_of_catalog)}，控制比例 {pct(share)} × 总费用 "
                                f"{format_yuan(total_cost)} = {format_yuan(limit)}，计入救助 {format_yuan(within)} 元",
                        p.citation)
