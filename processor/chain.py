"""One claim through the three tiers, with the person's year-to-date state.

    政策范围内费用 − 基本医保 → 大病保险 (annual deductible and bands on the year's total)
    → 医疗救助 on the in-policy self-pay (annual threshold, rate, shared annual cap)
    → 倾斜救助 on what is still left (where computed) → final self-pay → monitoring lists.

The same calculators serve the Excel functions; this module only threads the state through them
and picks the identity (several identities: the one with the highest total of 大病保险 + 医疗救助 +
倾斜救助 for this claim, ties to the region's priority order — never a sum of two identities).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import NamedTuple

from . import identities as ids
from .book import Citation, Param
from .errors import InputError, SettingMissing
from .rules.assistance import assistance_fen, assisted, beyond_cap, out_of_catalog_within_share
from .rules.common import Ctx
from .rules.critical import critical_fen
from .rules.monitor import monitor_list, rules as monitor_rules
from .rules.tilt import tilt_fen
from .money import format_yuan
from .trace import Citations

# Kinds 大病保险 pays on. Reading (none of the documents lists them): 大病保险 applies to the
# in-policy costs of 住院 and of 门诊慢特病/门诊特药, the kinds the documents' 医疗救助 clauses
# follow it into (赣市医保字〔2021〕37号 二(三)3(2)(3): "经基本医疗保险、大病保险报销后");
# ordinary outpatient (普通门诊) settlements are left to 门诊统筹 and count only for monitoring.
CRITICAL_KINDS = frozenset({"住院", "门诊慢特病", "门诊特药"})


class YearState(NamedTuple):
    """A person's year-to-date figures (fen), before the next claim."""
    critical_base: int = 0   # Σ 政策范围内费用 − 基本医保 (what 大病保险's deductible and bands apply to)
    critical: int = 0        # Σ 大病保险
    selfpay: int = 0         # Σ in-policy self-pay after 基本医保 and 大病 (医疗救助 threshold)
    assist: int = 0          # Σ 医疗救助 (shared annual cap)
    remaining: int = 0       # Σ in-policy self-pay after the three tiers (倾斜救助 line)
    tilt: int = 0            # Σ 倾斜救助
    final_selfpay: int = 0   # Σ 个人自付 (final, incl. out-of-policy; monitoring)

    def plus(self, d: "YearState") -> "YearState":
        # tuple.__new__ directly: the named tuple's own __new__ is a Python function (twice a claim)
        return _new(YearState, (self[0] + d[0], self[1] + d[1], self[2] + d[2], self[3] + d[3], self[4] + d[4],
                                self[5] + d[5], self[6] + d[6]))

    def minus(self, d: "YearState") -> "YearState":
        return YearState(self[0] - d[0], self[1] - d[1], self[2] - d[2], self[3] - d[3], self[4] - d[4],
                         self[5] - d[5], self[6] - d[6])

    def negated(self) -> "YearState":
        return YearState(*(-x for x in self))


_new = tuple.__new__
NO_STATE = YearState()  # a person's year before its first claim


@dataclass(slots=True)
class Claim:
    """One settlement as the chain reads it. A value: nothing changes it once made. Not a frozen dataclass
    only because making a frozen one costs about 1 µs more (a month of a city makes 100,000s of them);
    tests/ledgers/test_claims_unchanged.py proves the chain leaves every claim as it found it."""
    settlement_id: str
    person: str              # the person key (ID number); never logged
    settled_on: date
    kind: str
    total_cost: int
    policy_cost: int
    basic_paid: int
    critical_paid: int | None = None  # from the export, when present: used, and checked
    referral: bool = True
    in_province: bool = True
    out_of_catalog: int = 0
    hospital_class: str = ""
    chronic_class2: bool = False      # II类门诊特殊慢性病 (赣市医保字〔2021〕37号 二(三)3(3))
    above_limit: int | None = None    # its self-pay above the II类 annual limit, from the export


@dataclass(slots=True)
class Settlement:
    identity: str
    critical: int
    assist: int
    tilt: int | None         # None: 倾斜救助 not computed in this region (依申请 / not provided)
    final_selfpay: int
    monitor: str
    delta: YearState         # what this claim adds to the year's state
    citations: list[Citation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    critical_computed: int | None = None
    in_critical: bool = True     # the claim's kind is one 大病保险 pays on
    in_assistance: bool = True   # the claim's kind is one the region's 医疗救助 covers
    assist_base: int = 0         # the in-policy self-pay counted for 医疗救助 (进入医疗救助金额; 0 if not assisted)
    hospital_borne: int = 0      # out-of-catalog cost above the control share, borne by the hospital (阳城 六)
    tilt_beyond: int = 0         # the part of the self-pay beyond the 医疗救助 cap (倾斜救助's scope, 赣州)
    checks: list[tuple[str, str]] = field(default_factory=list)  # (fund, why) for the 核对 sheet


def settle(ctx: Ctx, identities: tuple[str, ...], claim: Claim, state: YearState) -> Settlement:
    if not identities:
        return _settle_one(ctx, ids.ORDINARY, claim, state)
    if len(identities) == 1:  # what compete() returns for one identity (it raises what the one raises)
        return _settle_one(ctx, identities[0], claim, state)
    chosen, _, without = ids.compete(ctx.view, identities, lambda i: _settle_one(ctx, i, claim, state),
                                     lambda s: s.critical + s.assist + (s.tilt or 0))
    if len(identities) - len(without) > 1:
        cite = ids.multi_identity_citation(ctx.view)
        if cite is not None:
            chosen.citations.insert(0, cite)
    return chosen


class _Terms(NamedTuple):
    """What the chain itself reads from the policy for every claim (per Ctx: policy version and settings)."""
    assist_kinds: Param | None     # assistance.kinds: the kinds the region's 医疗救助 covers
    tilt_computed: bool            # tilt.mode = computed (赣州): 倾斜救助 is an amount of the ledger
    monitoring: bool               # the region has monitoring lines (monitor.*)
    cost_groups: Param | None      # cost_control.groups (阳城 六: out-of-catalog cost borne by the hospital)


def _terms(ctx: Ctx) -> _Terms:
    view = ctx.view
    mode = view.get("tilt.mode")
    return _Terms(view.get("assistance.kinds"), mode is not None and mode.value == "computed",
                  bool(monitor_rules(ctx)), view.get("cost_control.groups"))


def _settle_one(ctx: Ctx, identity: str, claim: Claim, state: YearState) -> Settlement:
    # The calculators write only their citations here (trace.Citations): a ledger row shows 政策依据, never
    # the steps. The cells call the same calculators with a full trace (critical(), assistance() …).
    cites: list[Citation] = []
    cited = Citations(cites)
    notes: list[str] = []
    amount = claim.policy_cost - claim.basic_paid
    if amount < 0:
        raise InputError("政策范围内费用小于基本医保支付")
    checks: list[tuple[str, str]] = []
    terms = ctx.memo("chain", _terms, ctx)
    kind = claim.kind
    in_critical = kind in CRITICAL_KINDS
    crit: int | None = 0
    if in_critical:
        try:
            crit = critical_fen(ctx, identity, amount, state.critical_base, claim.referral, cited)
        except SettingMissing as err:
            if claim.critical_paid is None:
                raise
            # the export says what 大病保险 paid: the ledger goes on with it, unchecked, and says why
            cites.clear()  # (nothing of the computation that failed is cited; it is the first cited)
            crit = None
            checks.append(("大病保险", f"无法按政策核对（采用导出金额）：{err.message}"))
    if claim.critical_paid is not None:
        if crit is not None and claim.critical_paid != crit:
            notes.append(f"大病保险：导出 {format_yuan(claim.critical_paid)}，按政策应为 {format_yuan(crit)}")
        crit_used = claim.critical_paid
    else:
        crit_used = crit
    selfpay = amount - crit_used
    if selfpay < 0:
        raise InputError("大病保险支付大于政策范围内费用扣除基本医保后的余额")
    kinds = terms.assist_kinds
    in_assistance = kinds is not None and kind in kinds.value
    base = _assist_base(ctx, claim, selfpay, checks, cites) if in_assistance and claim.chronic_class2 else selfpay
    counts = in_assistance and assisted(ctx, identity, kind, claim.referral)
    assist = 0
    if in_assistance:
        assist = assistance_fen(ctx, identity, base, state.selfpay, state.assist, kind, claim.referral,
                                claim.policy_cost, claim.in_province, cited)
        if claim.out_of_catalog > 0:
            assist += _out_of_catalog_assistance(ctx, identity, claim, state.assist + assist, notes, cites)
    elif kinds is not None:
        cites.append(kinds.citation)
    counted = base if counts and kind != "住院目录外" else 0
    remaining = _remaining(counted, assist)   # this claim's part of the 倾斜救助 line's year total

    tilt_paid: int | None = None
    beyond = 0
    if terms.tilt_computed:
        tilt_paid = 0
        if counts:
            beyond = beyond_cap(ctx, identity, kind, base, state.selfpay, state.assist)
            tilt_paid = tilt_fen(ctx, identity, remaining, state.remaining, state.tilt, claim.referral, beyond, cited)
    borne = _hospital_borne(ctx, terms.cost_groups, identity, claim, checks, cites) if claim.out_of_catalog > 0 else 0
    final = claim.total_cost - claim.basic_paid - crit_used - assist - (tilt_paid or 0) - borne
    if final < 0:
        raise InputError("医疗费总额小于各项基金支付与医疗机构承担之和")
    listed = ""
    if terms.monitoring:
        mon: list[Citation] = []  # cited only when the claim is listed
        listed = monitor_list(ctx, identity, final, state.final_selfpay, Citations(mon))
        if listed:
            for c in mon:
                if c not in cites:
                    cites.append(c)
    delta = year_delta(amount if in_critical else 0, crit_used, counted, assist, tilt_paid, final)
    if checks:
        notes.extend(why for _fund, why in checks)
    return Settlement(identity, crit_used, assist, tilt_paid, final, listed, delta, cites, notes, crit,
                      in_critical, in_assistance, counted, borne, beyond, checks)


def _assist_base(ctx: Ctx, claim: Claim, selfpay: int, checks: list, cites: list) -> int:
    """The in-policy self-pay 医疗救助 acts on for an assisted II类门诊特殊慢性病 claim (any other claim: all of
    it): the policy assists only the part above the disease's annual limit (赣市医保字〔2021〕37号 二(三)3(3))."""
    rule = ctx.view.get("assistance.chronic_class2_above_limit")
    if rule is None or not rule.value:
        return selfpay
    cites.append(rule.citation)
    if claim.above_limit is None:
        checks.append(("医疗救助", "II类门诊特殊慢性病：导出没有“限额以上个人自付”，医疗救助按 0 计（只救助年度限额以上部分）"))
        return 0
    if claim.above_limit > selfpay:
        checks.append(("医疗救助", f"II类门诊特殊慢性病：限额以上个人自付 {format_yuan(claim.above_limit)} 大于本次政策范围内自付 "
                                    f"{format_yuan(selfpay)}，按后者计"))
    return min(claim.above_limit, selfpay)


def _out_of_catalog_assistance(ctx: Ctx, identity: str, claim: Claim, ytd_assist: int, notes: list,
                               cites: list) -> int:
    """阳医保发〔2022〕2号 六: out-of-catalog cost within the hospital's control share, assisted at its own rate."""
    kinds = ctx.view.get("assistance.kinds")
    if not (claim.out_of_catalog > 0 and claim.kind == "住院" and "住院目录外" in kinds.value
            and ctx.view.get(f"assistance.rate.住院目录外.{identity}") is not None):
        return 0
    if not claim.hospital_class:
        notes.append("有目录外费用但缺少医疗机构收费类别，未计算目录外救助")
        return 0
    within, step = out_of_catalog_within_share(ctx, claim.out_of_catalog, claim.total_cost, claim.hospital_class)
    cites.append(step.cite)
    return assistance_fen(ctx, identity, within, 0, ytd_assist, "住院目录外", claim.referral, None, claim.in_province,
                          Citations(cites))


def _hospital_borne(ctx: Ctx, groups: Param | None, identity: str, claim: Claim, checks: list, cites: list) -> int:
    """阳医保发〔2022〕2号 六: for the named groups' in-province stays, out-of-catalog cost above the hospital
    class's control share "均由医疗机构承担" — it is not the patient's self-pay. ``groups``: cost_control.groups."""
    if groups is None or identity not in groups.value or claim.out_of_catalog <= 0 or claim.kind != "住院" \
            or not claim.in_province:
        return 0
    if not claim.hospital_class:
        checks.append(("医疗机构承担", "有目录外费用但缺少医疗机构收费类别，无法计算超控制比例由医疗机构承担的部分"))
        return 0
    within, step = out_of_catalog_within_share(ctx, claim.out_of_catalog, claim.total_cost, claim.hospital_class)
    cites.append(groups.citation)
    return claim.out_of_catalog - within


def year_delta(critical_base: int, crit: int, counted: int, assist: int, tilt_fen: int | None,
               final: int) -> YearState:
    """What one settlement adds to the person's year (also for a settlement read back from last month's
    ledger, so that reversing it takes off exactly what it added).

    ``critical_base``: 政策范围内费用 − 基本医保 for a kind 大病保险 pays on, else 0; ``counted``: the
    in-policy self-pay counted for 医疗救助 (进入医疗救助金额: only where this identity is assisted for
    the kind and referred where required, II类 only above its limit; 0 otherwise). The 医疗救助 threshold
    and the 倾斜救助 line count only that; the monitoring total counts every self-pay."""
    return _new(YearState, (critical_base, crit, counted, assist, _remaining(counted, assist), tilt_fen or 0, final))


def _remaining(counted: int, assist: int) -> int:
    """The in-policy self-pay left after 医疗救助 that counts toward the 倾斜救助 line (0 where nothing counted).

    In-policy 医疗救助 never exceeds ``counted``; 阳城's out-of-catalog assistance (阳医保发〔2022〕2号 六) is
    added to the claim's 医疗救助 and may: the share is then floored at 0. Only ``counted`` and the total
    are in the ledger, so a claim reversed next month takes off exactly this; the line is used only where
    倾斜救助 is computed (赣州), which has no out-of-catalog assistance."""
    return max(0, counted - assist) if counted else 0


def reverse(original: Settlement) -> Settlement:
    """A reversal row: the negated amounts of the claim it cancels; the state goes back by its delta."""
    neg = original.delta.negated()
    return replace(original, critical=-original.critical, assist=-original.assist,
                   tilt=None if original.tilt is None else -original.tilt,
                   final_selfpay=-original.final_selfpay, monitor="", delta=neg,
                   assist_base=-original.assist_base, hospital_borne=-original.hospital_borne, checks=[],
                   notes=["冲销结算，撤销原结算的年度累计"])


__all__ = ["Claim", "Settlement", "YearState", "NO_STATE", "settle", "reverse", "year_delta", "CRITICAL_KINDS"]
