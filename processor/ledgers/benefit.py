"""The 待遇（报销）台账 / 医疗救助待遇台账: which template, which value goes in which column, totals.

The writer computes nothing: every figure comes from :mod:`processor.ledgers.compute`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from xlsx_templates.build import (GENERIC, INFO_CELLS, LEDGER_COLUMNS, SHEET_ROWS, STATE_COLUMNS, TITLES, XIXIU,
                                  template_path)

from openpyxl.utils import get_column_letter

from ..book import Citation, Region
from ..describe import param_row
from ..errors import InputError
from ..io.xlsx_splice import Formula, SheetFill
from ..money import fen_to_yuan
from ..settings import SETTING_KEYS, Settings
from .compute import Line, Outcome
from .template import Layout

LEDGER_NAMES = {"待遇台账": XIXIU, "待遇报销台账": XIXIU, "表三": XIXIU, "特殊群体待遇台账": XIXIU,
                "医疗救助台账": GENERIC, "医疗救助待遇台账": GENERIC, "救助台账": GENERIC}
STATE_SHEET = "年度累计"
CHECK_SHEET = "核对"


def template_for(ledger: str) -> str:
    name = LEDGER_NAMES.get(ledger.strip())
    if name is None:
        raise InputError(f"未知台账：{ledger}（可用：{'、'.join(LEDGER_NAMES)}）")
    return name


def y(fen: int | None):
    """fen → the number written to the cell. fen / 100 is correctly rounded, so the cell's XML text
    is exactly the two-decimal amount (e.g. 1234.56); nothing is computed on it afterwards."""
    return None if fen is None else fen / 100


def _cite_text(cites: list[Citation]) -> str:
    key = tuple(cites)
    text = _CITE_TEXT.get(key)
    if text is None:
        text = _CITE_TEXT[key] = _join_citations(cites)
    return text


_CITE_TEXT: dict[tuple, str] = {}


def _join_citations(cites: list[Citation]) -> str:
    by_doc: dict[str, list[str]] = {}
    for c in cites:
        by_doc.setdefault(c.doc, [])
        if c.clause not in by_doc[c.doc]:
            by_doc[c.doc].append(c.clause)
    return "；".join(f"{doc} {'、'.join(cl)}" for doc, cl in by_doc.items())


@dataclass
class LedgerContext:
    region: Region
    columns: list[str]
    formulas: bool
    first_row: int


def _values(line: Line, seq: int, ctx: LedgerContext) -> dict[str, object]:
    r, s, st = line.row, line.result, line.state_after
    c = r.claim
    notes = list(s.notes)
    if s.monitor:
        notes.insert(0, s.monitor)
    if r.assist_export is not None and not r.reversal and r.assist_export != s.assist:
        notes.append(f"医疗救助：导出 {fen_to_yuan(r.assist_export)}，按政策应为 {fen_to_yuan(s.assist)}")
    v = {
        "序号": seq, "结算ID": c.settlement_id, "姓名": r.name, "证件号码": r.id_number, "镇（街）": r.township,
        "村（居）": r.village, "人员类别": r.category, "适用身份": s.identity,
        "医疗类别": "II类门诊特殊慢性病" if c.chronic_class2 else c.kind,
        "是否转诊": "是" if c.referral else "否", "就诊医疗机构名称": r.hospital, "入院日期": r.admission,
        "出院日期": r.discharge, "结算日期": c.settled_on, "医疗费总额": y(c.total_cost), "政策范围内费用": y(c.policy_cost),
        "基本医保支付": y(c.basic_paid), "大病保险": y(s.critical), "进入医疗救助金额": y(s.assist_base),
        "医疗救助": y(s.assist), "倾斜救助": y(s.tilt), "医疗机构承担": y(s.hospital_borne), "个人自付": y(s.final_selfpay),
        "年度累计个人自付": y(st.final_selfpay), "年度累计医疗救助": y(st.assist),
        "监测提示": "；".join(notes), "政策依据": _cite_text(s.citations),
    }
    if ctx.formulas and not r.reversal:
        v.update(_formulas(line, ctx, seq))
    return v


def _formulas(line: Line, ctx: LedgerContext, seq: int) -> dict[str, object]:
    """Live =CRITICAL/=ASSIST/=TILT formulas: the rule stays in the cell, year-to-date figures as literals."""
    cols = ctx.columns
    row = ctx.first_row + seq - 1

    def ref(name):
        return f"{get_column_letter(cols.index(name) + 1)}{row}"

    needed = ("适用身份", "政策范围内费用", "基本医保支付", "结算日期", "医疗类别", "大病保险", "医疗救助")
    if any(n not in cols for n in needed):
        return {}
    s, c = line.result, line.row.claim
    before = line.state_after.minus(s.delta)
    region = ctx.region.name
    referral = '"是"' if c.referral else '"否"'
    out: dict[str, object] = {}
    if line.row.critical_export is None and s.in_critical:
        out["大病保险"] = Formula(f'CRITICAL({ref("适用身份")},{ref("政策范围内费用")}-{ref("基本医保支付")},"{region}",'
                              f'{fen_to_yuan(before.critical_base)},{ref("结算日期")},{referral})')
    if c.out_of_catalog == 0 and s.in_assistance and not c.chronic_class2:  # II类: its base is not a cell
        out["医疗救助"] = Formula(
            f'ASSIST({ref("适用身份")},{ref("政策范围内费用")}-{ref("基本医保支付")}-{ref("大病保险")},"{region}",'
            f'{fen_to_yuan(before.selfpay)},{fen_to_yuan(before.assist)},{ref("医疗类别")},{ref("结算日期")},{referral},'
            f'{ref("政策范围内费用")},"{"是" if c.in_province else "否"}")')
    if s.tilt is not None and s.in_assistance and not c.chronic_class2 and "倾斜救助" in cols:
        out["倾斜救助"] = Formula(
            f'TILT({ref("适用身份")},{ref("政策范围内费用")}-{ref("基本医保支付")}-{ref("大病保险")}-{ref("医疗救助")},'
            f'"{region}",{fen_to_yuan(before.remaining)},{fen_to_yuan(before.tilt)},{ref("结算日期")},{referral},'
            f'{fen_to_yuan(s.tilt_beyond)})')
    return out


def ledger_rows(outcome: Outcome, ctx: LedgerContext):
    for seq, line in enumerate(outcome.lines, 1):
        v = _values(line, seq, ctx)
        yield [v.get(col) if col else None for col in ctx.columns]


def rejected_rows(outcome: Outcome):
    for r in outcome.rejected:
        yield [r.source_row, r.settlement_id, r.name, r.reason]
    for source_row, reason in outcome.skipped:
        yield [source_row, None, None, f"未计入：{reason}"]


def basis_rows(outcome: Outcome, region: Region, settings: Settings):
    """Every parameter of the documents in force on the settlement dates, and the settings used."""
    seen = set()
    for ctx in sorted(outcome.views.values(), key=lambda c: c.view.on):
        for p in ctx.view.params.values():
            if (p.key, p.citation, p.start) in seen:
                continue
            seen.add((p.key, p.citation, p.start))
            label, value, doc, clause, period, note = param_row(p)
            yield [label, value, doc, clause, f"有效期 {period}" + (f"；{note}" if note else "")]
    years = sorted({ctx.view.on.year for ctx in outcome.views.values()})
    for s in settings:
        if s.region == region.name and (s.year in years or s.year + 1 in years):
            value = fen_to_yuan(s.value) if SETTING_KEYS[s.key].kind == "money" else f"{s.value * 100:.2f}%"
            yield [f"本地设置：{s.label}（{s.year}年）", str(value), "本地设置", s.key, f"来源：{s.source_text()}"]


def summary_rows(outcome: Outcome):
    groups: dict[tuple[str, str], list[int]] = {}
    for line in outcome.lines:
        s, c = line.result, line.row.claim
        amounts = (1, c.total_cost, s.critical, s.assist, s.tilt or 0, s.final_selfpay)
        for how, key in (("适用身份", s.identity or "（冲销）"), ("乡镇", line.row.township or "（未填）")):
            acc = groups.setdefault((how, key), [0] * 6)
            for i, a in enumerate(amounts):
                acc[i] += a
    for (how, key), acc in sorted(groups.items()):
        yield [how, key, acc[0], *(fen_to_yuan(a) for a in acc[1:])]


def check_rows(outcome: Outcome):
    """Every fund amount where the export and the policy disagree (for 财务对账)."""
    for line in outcome.lines:
        r, s = line.row, line.result
        if r.reversal:
            continue
        for fund, exported, computed in (("大病保险", r.critical_export, s.critical_computed),
                                         ("医疗救助", r.assist_export, s.assist),
                                         ("倾斜救助", r.tilt_export, s.tilt)):
            if exported is not None and computed is not None and exported != computed:
                yield [r.source_row, r.claim.settlement_id, r.name, fund, y(exported), y(computed),
                       y(exported - computed), ""]
        for fund, why in s.checks:  # what the policy amount could not be computed from, and why
            yield [r.source_row, r.claim.settlement_id, r.name, fund, None, None, None, why]


def state_rows(outcome: Outcome):
    for (person, year), st in sorted(outcome.states.items()):
        yield [person, year, *(fen_to_yuan(x) for x in st)]


def default_layout(name: str) -> Layout:
    first, totals = SHEET_ROWS["台账"]
    cols = list(LEDGER_COLUMNS[name])
    return Layout(template_path(name), "台账", cols, cols, first, totals,
                  {"异常", "政策依据", "汇总", CHECK_SHEET, STATE_SHEET})


def sheets(outcome: Outcome, layout: Layout, region: Region, settings: Settings,
           formulas: bool) -> dict[str, SheetFill]:
    ctx = LedgerContext(region, layout.columns, formulas, layout.first_row)
    out = {layout.sheet: SheetFill(ledger_rows(outcome, ctx), layout.first_row, layout.totals_row)}
    extra_sheets = layout.extra_sheets
    if "异常" in extra_sheets:
        out["异常"] = SheetFill(rejected_rows(outcome), *SHEET_ROWS["异常"])
    if "政策依据" in extra_sheets:
        out["政策依据"] = SheetFill(basis_rows(outcome, region, settings), *SHEET_ROWS["政策依据"])
    if "汇总" in extra_sheets:
        out["汇总"] = SheetFill(summary_rows(outcome), *SHEET_ROWS["汇总"])
    if CHECK_SHEET in extra_sheets:
        out[CHECK_SHEET] = SheetFill(check_rows(outcome), *SHEET_ROWS[CHECK_SHEET])
    if STATE_SHEET in extra_sheets:
        out[STATE_SHEET] = SheetFill(state_rows(outcome), *SHEET_ROWS[STATE_SHEET])
    return out


def header_texts(template_name: str, region: Region, unit: str, period: str, made_on: date) -> dict[str, str]:
    cells = INFO_CELLS[template_name]
    title = TITLES[template_name].replace("{地区}", region.full_name)
    if template_name == XIXIU and region.name != "西秀":  # 表三's layout, another county's title
        title = f"{region.full_name}特殊群体待遇（报销）台账"
    return {cells["title"]: title, cells["unit"]: f"填报单位：{unit}", cells["period"]: f"所属期：{period}",
            cells["date"]: f"制表日期：{made_on.isoformat()}"}


__all__ = ["LEDGER_NAMES", "STATE_SHEET", "STATE_COLUMNS", "template_for", "sheets", "header_texts"]
