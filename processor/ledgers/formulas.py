"""Native spreadsheet formulas for a ledger row (`yibao fill --formulas`), generated from the policy book.

The rules stay readable and live inside any spreadsheet — Excel 2010+, WPS 表格, LibreOffice — with no
add-in: every computed amount of a row is a formula over the row's own cells, the year-to-date
figures carried in before the row, and the 政策参数 sheet, which holds every value used (one row each,
with its 文号, clause and period). A clerk who changes a rate or a local setting on 政策参数, or an
amount in a row, sees the row recompute. Only IF/MIN/MAX/ROUND/INDEX/MATCH/SUMPRODUCT-era functions
are used (here: MIN, MAX, ROUND and arithmetic).

This is a second implementation of the rules (the design's rule: generated from the same book,
never written by hand, and equal to the engine to the fen — tests/ledgers/test_formulas_native.py
recalculates ledgers in LibreOffice and compares every cell).

Exactness: money is computed in integer fen inside the formula (ROUND(cell*100,0)), rates are
integer basis points (万分之一), and each product is divided once, so ROUND(x/10000,0) sees the exact
quotient of two integers below 2**53: a half fen is exactly .5 and rounds up (half-up, as
processor.money.round_fen), whatever the binary representation of 0.015 or 925.9275 would do.

What stays a value, and why (the 政策参数 sheet says so too):
- the identity (适用身份), the kind, referral and province: they choose which 政策参数 rows a row's
  formulas read, at the time the ledger is written;
- the year-to-date figures before the row (carried from earlier rows and --previous, as values:
  a person's later rows do not follow an edit of an earlier row — run yibao fill again);
- an amount the export itself gives (大病保险支付 from the platform), reversal rows, and II类门诊特殊慢性病
  (its base, the self-pay above the disease's limit, is an export figure without a column of its own).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..book import Amount, FromSetting, Param, Share, Unlimited
from ..chain import CRITICAL_KINDS, YearState
from ..describe import label_of, value_text
from ..identities import ORDINARY
from ..money import format_yuan, round_fen
from ..rules.common import Ctx

from xlsx_templates.layout import PARAM_COLUMNS as COLUMNS  # noqa: E402  (the sheet's columns, in the template)

SHEET = "政策参数"
HUGE = 10 ** 14  # fen: "no limit" (a billion yuan is 10**11 fen)
BP = 10000       # rates are written in 万分之一 (basis points)
VALUE_COL = "ABCDEFGHIJ"[COLUMNS.index("计算值")]


@dataclass
class ParamRow:
    label: str
    region: str
    applies: str
    shown: str
    value: object          # int (fen or 万分之一) or a formula string starting with "="
    unit: str
    doc: str
    clause: str
    period: str
    note: str = ""
    cached: int | None = None  # a formula row's value, as the engine computes it

    def cells(self) -> list:
        value = self.value
        if isinstance(value, str) and value.startswith("="):
            from ..io.xlsx_splice import Formula
            value = Formula(value, cached=self.cached)
        return [self.label, self.region, self.applies, self.shown, value, self.unit, self.doc, self.clause,
                self.period, self.note]


@dataclass
class PolicySheet:
    """The 政策参数 sheet: rows added on first use, each referenced as 政策参数!$E$n by the formulas."""
    first_row: int = 2
    rows: list[ParamRow] = field(default_factory=list)
    index: dict[tuple, str] = field(default_factory=dict)

    def ref(self, key: tuple, make) -> str:
        found = self.index.get(key)
        if found is None:
            row = make()
            self.rows.append(row)
            found = self.index[key] = f"{SHEET}!${VALUE_COL}${self.first_row + len(self.rows) - 1}"
        return found


def _period(p: Param) -> str:
    return f"{p.start} 起" if p.end.year == 9999 else f"{p.start} 至 {p.end}"


# ----------------------------------------------------------------------------- parameter cells
class Params:
    """Cell references of the values a row's formulas read, resolved from the policy in force."""

    def __init__(self, ctx: Ctx, sheet: PolicySheet):
        self.ctx, self.sheet, self.view = ctx, sheet, ctx.view

    def _applies(self, param: Param, applies: str) -> str:
        """The identity a per-identity value belongs to (assistance.rate.住院.低保对象 → 低保对象)."""
        last = param.key.rsplit(".", 1)[-1]
        return applies or (last if last in self.view.categories else "")

    def money(self, param: Param, value=None, applies: str = "") -> str:
        value = param.value if value is None else value
        applies = self._applies(param, applies)
        key = ("money", self.ctx.region, param.key, param.start, repr(value))
        cite = param.citation

        def plain(fen, shown, unit="分", note=""):
            return ParamRow(label_of(param.key), self.ctx.region, applies, shown, fen, unit, cite.doc, cite.clause,
                            _period(param), note or param.note)
        if isinstance(value, Amount):
            return self.sheet.ref(key, lambda: plain(value.fen, value_text(value)))
        if isinstance(value, Unlimited):
            return self.sheet.ref(key, lambda: plain(HUGE, "不设限额", note="不设限额：以 10^14 分代表"))
        if isinstance(value, Share):
            base = self._setting(value.of, param)
            bp = _bp(value.rate)
            fen = self.ctx.money(param, value)

            def share_row():
                row = plain(f"=ROUND({base}*{bp}/{BP},0)", f"{value_text(value)}（由本地设置计算）")
                row.cached = fen
                return row
            return self.sheet.ref(key, share_row)
        if isinstance(value, FromSetting):
            return self._setting(value.key, param)
        raise TypeError(value)

    def rate(self, param: Param, value=None, applies: str = "") -> str:
        value = param.value if value is None else value
        applies = self._applies(param, applies)
        if isinstance(value, FromSetting):
            return self._setting(value.key, param)
        key = ("rate", self.ctx.region, param.key, param.start, str(value))
        cite = param.citation
        return self.sheet.ref(key, lambda: ParamRow(label_of(param.key), self.ctx.region, applies, value_text(value),
                                                    _bp(value), "万分之一", cite.doc, cite.clause, _period(param),
                                                    param.note))

    def derived(self, key: tuple, label: str, formula: str, shown: str, unit: str, param: Param,
                cached: int | None = None) -> str:
        cite = param.citation
        return self.sheet.ref(("derived", self.ctx.region, param.start) + key,
                              lambda: ParamRow(label, self.ctx.region, "", shown, formula, unit, cite.doc,
                                               cite.clause, _period(param), param.note, cached))

    def _setting(self, setting_key: str, param: Param) -> str:
        s = self.ctx.setting(setting_key, param)
        kind_rate = isinstance(s.value, Decimal)
        key = ("setting", s.region, s.key, s.year)
        return self.sheet.ref(key, lambda: ParamRow(
            f"本地设置：{s.label}（{s.year}年）", s.region, "", value_text(s.value) if kind_rate else f"{format_yuan(s.value)} 元",
            _bp(s.value) if kind_rate else s.value, "万分之一" if kind_rate else "分", "本地设置", s.label, f"{s.year}年",
            f"来源：{s.source_text()}"))


def _bp(rate: Decimal) -> int:
    n = rate * BP
    if n != n.to_integral_value():
        raise ValueError(f"比例 {rate} 不是万分之一的整数倍，公式无法精确表示")
    return int(n)


# ----------------------------------------------------------------------------- the row's formulas
@dataclass
class RowRefs:
    """Cell addresses of one ledger row (e.g. {"政策范围内费用": "P5", …})."""
    cells: dict[str, str]

    def __getitem__(self, name: str) -> str:
        return self.cells[name]


def _fen(cell: str) -> str:
    return f"ROUND({cell}*100,0)"


def _yuan(fen_expr: str) -> str:
    return f"=({fen_expr})/100"


def critical_terms(p: Params, identity: str, referral: bool):
    """(deductible, [(upto or None, rate)], cap or None) as cell references, as rules.critical chooses them."""
    view = p.view
    p_ded = view.require("critical.deductible", "大病保险起付线")
    p_bands = view.require("critical.bands", "大病保险支付比例")
    p_cap = view.require("critical.cap", "大病保险封顶线")
    groups = view.get("critical.tilt.groups")
    need = view.get("critical.tilt.referral_required")
    tilted = groups is not None and identity in groups.value and not (need is not None and need.value and not referral)
    ordinary = [(None if isinstance(u, Unlimited) else p.money(p_bands, u), p.rate(p_bands, r))
                for u, r in p_bands.value]
    if not tilted:
        return p.money(p_ded), ordinary, _cap(p, p_cap)
    explicit_ded, explicit_bands = view.get("critical.tilt.deductible"), view.get("critical.tilt.bands")
    if explicit_ded is not None:
        ded = p.money(explicit_ded)
    else:
        factor = view.require("critical.tilt.deductible_factor", "")
        base, f = p.money(p_ded), p.rate(factor)
        fen = round_fen(p.ctx.money(p_ded) * factor.value)
        ded = p.derived(("tilt_ded",), "大病倾斜起付线", f"=ROUND({base}*{f}/{BP},0)", "普通起付线 × 比例", "分", factor,
                        fen)
    if explicit_bands is not None:
        bands = [(None if isinstance(u, Unlimited) else p.money(explicit_bands, u), p.rate(explicit_bands, r))
                 for u, r in explicit_bands.value]
    else:
        add = p.rate(view.require("critical.tilt.rate_add", ""))
        p_add = view.get("critical.tilt.rate_add")
        rates = [min(BP, _bp(p.ctx.rate(p_bands, r)) + _bp(p_add.value)) for _u, r in p_bands.value]
        bands = [(u, p.derived(("tilt_rate", i), f"大病倾斜支付比例（第{i + 1}段）", f"=MIN({BP},{r}+{add})",
                               "普通比例 + 提高的百分点", "万分之一", p_add, rates[i]))
                 for i, (u, r) in enumerate(ordinary)]
    return ded, bands, _cap(p, view.require("critical.tilt.cap", ""))


def _cap(p: Params, param: Param) -> str | None:
    return None if isinstance(param.value, Unlimited) else p.money(param)


def banded_numerator(total: str, ded: str, bands) -> str:
    """Σ over bands of (the part of ``total`` inside the band, fen) × rate (万分之一): an exact integer."""
    terms, lower = [], ded
    for upto, rate in bands:
        top = total if upto is None else f"MIN({total},{upto})"
        terms.append(f"MAX(0,{top}-{lower})*{rate}")
        if upto is not None:
            lower = f"MAX({lower},{upto})"
    return "+".join(terms)


def critical_formula(p: Params, identity: str, referral: bool, before: int, amount: str) -> str:
    """rules.critical: the growth of ROUND(MIN(F(year total), cap)), F banded from the deductible."""
    ded, bands, cap = critical_terms(p, identity, referral)

    def paid(total):
        num = banded_numerator(total, ded, bands)
        capped = f"MIN({num},{cap}*{BP})" if cap else f"({num})"
        return f"ROUND({capped}/{BP},0)"
    return _yuan(f"{paid(f'({before}+{amount})')}-{paid(str(before))}")


def formulas(ctx: Ctx, sheet: PolicySheet, refs: RowRefs, line, chronic_class2: bool) -> dict[str, str]:
    """The formula text (leading '=') of every computed amount of one ledger line, by column name; an
    amount left out of the dict stays a value (see the module docstring)."""
    row, s = line.row, line.result
    c = row.claim
    if row.reversal or chronic_class2:
        return {}
    p = Params(ctx, sheet)
    identity = s.identity or ORDINARY
    before: YearState = line.state_after.minus(s.delta)
    out: dict[str, str] = {}
    amount = f"({_fen(refs['政策范围内费用'])}-{_fen(refs['基本医保支付'])})"
    if c.kind in CRITICAL_KINDS and row.critical_export is None:
        out["大病保险"] = critical_formula(p, identity, c.referral, before.critical_base, amount)
    selfpay = f"({amount}-{_fen(refs['大病保险'])})"
    assisted = s.in_assistance and _assisted(ctx, identity, c.kind, c.referral)
    if assisted:
        out["进入医疗救助金额"] = _yuan(selfpay)
        out["医疗救助"] = _yuan(_assistance(p, identity, c, before, selfpay, refs))
    tilt_mode = ctx.view.get("tilt.mode")
    if assisted and tilt_mode is not None and tilt_mode.value == "computed" and s.tilt is not None:
        t = _tilt(p, identity, c, before, selfpay, refs)
        if t is not None:
            out["倾斜救助"] = _yuan(t)
    borne = _borne(p, identity, c, refs)
    if borne is not None:
        out["医疗机构承担"] = _yuan(borne)
    out["个人自付"] = "=" + "-".join(
        [refs["医疗费总额"], refs["基本医保支付"], refs["大病保险"], refs["医疗救助"], refs["倾斜救助"],
         refs["医疗机构承担"]])
    out["年度累计个人自付"] = f"=ROUND({before.final_selfpay / 100!r}+{refs['个人自付']},2)"
    out["年度累计医疗救助"] = f"=ROUND({before.assist / 100!r}+{refs['医疗救助']},2)"
    return out


def _assisted(ctx, identity, kind, referral) -> bool:
    from ..rules.assistance import assisted
    return assisted(ctx, identity, kind, referral)


def _assistance_terms(p: Params, identity: str, kind: str):
    view = p.view
    rate = p.rate(view.require(f"assistance.rate.{kind}.{identity}", ""))
    p_thr = view.get(f"assistance.threshold.{identity}")
    thr = p.money(p_thr) if p_thr is not None else "0"
    p_cap = view.require(f"assistance.cap.{identity}", "")
    cap = str(HUGE) if isinstance(p_cap.value, Unlimited) else p.money(p_cap)
    return rate, thr, cap


def _assistance(p: Params, identity: str, c, before: YearState, selfpay: str, refs: RowRefs) -> str:
    """rules.assistance: the part of the year's counted self-pay above the threshold × rate, the 90% top-up
    where the policy has one, within what is left of the shared annual cap; plus 阳城 六's out-of-catalog
    share (its amount and hospital class are row facts, written in as values)."""
    rate, thr, cap = _assistance_terms(p, identity, c.kind)
    sb = before.selfpay
    eligible = f"MAX(0,{sb}+{selfpay}-MAX({sb},{thr}))"
    raw = f"ROUND({eligible}*{rate}/{BP},0)"
    top = p.view.get(f"assistance.topup.{identity}")
    if top is not None and top.value["kind"] == c.kind and (c.in_province or not top.value["in_province"]):
        target = p.rate(top, top.value["target"])
        stay = _fen(refs["政策范围内费用"])
        raw = f"MAX({raw},ROUND(({selfpay}*{BP}-{stay}*({BP}-{target}))/{BP},0))"
    pay = f"MIN({raw},{cap}-{before.assist})"
    ooc = _out_of_catalog(p, identity, c, before, pay, cap, refs)
    return pay if ooc is None else f"{pay}+{ooc}"


def _out_of_catalog(p: Params, identity, c, before: YearState, pay: str, cap: str, refs: RowRefs) -> str | None:
    view = p.view
    kinds = view.get("assistance.kinds")
    rate_p = view.get(f"assistance.rate.住院目录外.{identity}")
    if not (c.out_of_catalog > 0 and c.kind == "住院" and kinds is not None and "住院目录外" in kinds.value
            and rate_p is not None and c.hospital_class and c.in_province):
        return None
    share_p = view.require("assistance.out_of_catalog_share", "")
    share = p.rate(share_p, share_p.value[c.hospital_class.strip()], applies=c.hospital_class)
    within = f"MIN({c.out_of_catalog},ROUND({_fen(refs['医疗费总额'])}*{share}/{BP},0))"
    return f"MIN(ROUND({within}*{p.rate(rate_p)}/{BP},0),{cap}-{before.assist}-({pay}))"


def _borne(p: Params, identity: str, c, refs: RowRefs) -> str | None:
    """阳医保发〔2022〕2号 六: out-of-catalog cost above the hospital class's share is borne by the hospital."""
    groups = p.view.get("cost_control.groups")
    if groups is None or identity not in groups.value or c.out_of_catalog <= 0 or c.kind != "住院" \
            or not c.in_province or not c.hospital_class:
        return None
    share_p = p.view.require("assistance.out_of_catalog_share", "")
    share = p.rate(share_p, share_p.value[c.hospital_class.strip()], applies=c.hospital_class)
    return f"{c.out_of_catalog}-MIN({c.out_of_catalog},ROUND({_fen(refs['医疗费总额'])}*{share}/{BP},0))"


def _tilt(p: Params, identity: str, c, before: YearState, selfpay: str, refs: RowRefs) -> str | None:
    """rules.tilt with tilt.scope (赣市医保字〔2021〕37号 二(三)3(4)): 75% of the overlap of the self-pay beyond the
    医疗救助 cap and the part of the year's post-three-tier self-pay above the line, within the tilt cap."""
    view = p.view
    groups, need = view.get("tilt.groups"), view.get("tilt.referral_required")
    if identity not in groups.value or (need is not None and need.value and not c.referral):
        return None
    rate, thr, cap = _assistance_terms(p, identity, c.kind)
    if cap == str(HUGE):
        return None  # no cap, nothing is ever beyond it
    line, t_rate, t_cap = (p.money(view.require("tilt.line", "")), p.rate(view.require("tilt.rate", "")),
                           p.money(view.require("tilt.cap", "")))
    sb, ab = before.selfpay, before.assist
    eligible = f"MAX(0,{sb}+{selfpay}-MAX({sb},{thr}))"
    left = f"MAX(0,{cap}-{ab})"
    beyond = (f"IF(ROUND({eligible}*{rate}/{BP},0)<={left},0,"
              f"MAX(0,{eligible}-ROUND({left}*{BP}/{rate},0)))") if view.get("tilt.scope") else "1E+15"
    remaining = f"MAX(0,{selfpay}-{_fen(refs['医疗救助'])})"
    rb = before.remaining
    above = f"MAX(0,{rb}+{remaining}-MAX({rb},{line}))"
    return f"MIN(ROUND(MIN({beyond},{above})*{t_rate}/{BP},0),{t_cap}-{before.tilt})"


__all__ = ["PolicySheet", "RowRefs", "formulas", "COLUMNS", "SHEET"]
