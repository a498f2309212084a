"""The 待遇（报销）台账 / 医疗救助待遇台账: which template, which value goes in which column, totals.

The writer computes nothing: every figure comes from :mod:`processor.ledgers.compute`.
"""
from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Callable
from datetime import date

from xlsx_templates.layout import (COLUMN_KIND, FIT_CAP, GENERIC, INFO_CELLS, INFO_LINE, LEDGER_COLUMNS, LEDGER_GROUPS,
                                  LEDGER_SUM_COLUMNS, SHEET_COLUMNS, TEXT_CAP, column_width, SHEET_INFO_CELLS, SHEET_ROWS, SHEET_TITLES,
                                  STATE_COLUMNS, TITLE_COLUMNS, TITLES, WRAP_COLUMNS, XIXIU, page_units,
                                  template_path)


from ..book import Citation, Region
from ..describe import param_row
from ..errors import InputError
from ..io.headers import column_letter
from ..io.xlsx_splice import Formula, SheetFill
from .formulas import PolicySheet, RowRefs
from .formulas import formulas as native_formulas
from ..money import fen_to_yuan, format_yuan
from ..settings import SETTING_KEYS, Settings
from .tally import FUNDS, SUMMARY_GROUPS, tally_of
from .compute import Line, Outcome
from .template import Layout

LEDGER_NAMES = {"待遇台账": XIXIU, "待遇报销台账": XIXIU, "表三": XIXIU, "特殊群体待遇台账": XIXIU,
                "医疗救助台账": GENERIC, "医疗救助待遇台账": GENERIC, "救助台账": GENERIC}
STATE_SHEET = "年度累计"
CHECK_SHEET = "核对"
PARAM_SHEET = "政策参数"


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
    views: dict | None = None                 # settlement date → Ctx (the policy the row was computed by)
    params: PolicySheet | None = None         # the 政策参数 rows the native formulas read
    pick: Callable | None = None              # row_values: the layout's columns out of _cells, made once


# the 台账 columns _cells gives, in its order (a layout's columns are picked from them; any other is empty)
_CELLS = ("序号", "结算ID", "姓名", "证件号码", "镇（街）", "村（居）", "人员类别", "适用身份", "医疗类别", "是否转诊",
          "就诊医疗机构名称", "入院日期", "出院日期", "结算日期", "医疗费总额", "政策范围内费用", "基本医保支付", "大病保险",
          "进入医疗救助金额", "医疗救助", "倾斜救助", "医疗机构承担", "个人自付", "年度累计个人自付", "年度累计医疗救助",
          "监测提示", "备注", "政策依据")


def _cells(line: Line, seq: int) -> tuple:
    """The row's cells in :data:`_CELLS` order, and None last (what a column not among them shows)."""
    r, s, st = line.row, line.result, line.state_after
    c = r.claim
    notes = s.notes  # 备注: reversals, export differences, what could not be computed
    if r.assist_export is not None and not r.reversal and r.assist_export != s.assist:
        notes = [*notes, f"医疗救助：导出 {fen_to_yuan(r.assist_export)}，按政策应为 {fen_to_yuan(s.assist)}"]
    return (
        seq, c.settlement_id, r.name, r.id_number, r.township, r.village, r.category, s.identity,
        "II类门诊特殊慢性病" if c.chronic_class2 else c.kind, "是" if c.referral else "否", r.hospital,
        r.admission, r.discharge, c.settled_on, y(c.total_cost), y(c.policy_cost), y(c.basic_paid), y(s.critical),
        y(s.assist_base),
        # 倾斜救助: 0.00 where the region computes none (西秀: not in the document; 龙岩, 阳城: by
        # application, outside the batch — 政策依据 says so) — a number in every row, as the total is
        y(s.assist), y(s.tilt or 0), y(s.hospital_borne), y(s.final_selfpay), y(st.final_selfpay), y(st.assist),
        s.monitor or "", "；".join(notes), _cite_text(s.citations), None)


def _values(line: Line, seq: int, ctx: LedgerContext) -> dict[str, object]:
    """The row's cells by column name, with the native formulas of a --formulas ledger."""
    v = dict(zip(_CELLS, _cells(line, seq)))
    if ctx.formulas and not line.row.reversal:
        v.update(_formulas(line, ctx, seq, v))
    return v


# what the native formulas read from the row (processor/ledgers/formulas.py); a bureau template without
# them gets values
_FORMULA_INPUTS = ("医疗费总额", "政策范围内费用", "基本医保支付", "大病保险", "医疗救助", "倾斜救助", "医疗机构承担",
                   "个人自付")


def _formulas(line: Line, ctx: LedgerContext, seq: int, values: dict[str, object]) -> dict[str, object]:
    """Native formulas (MIN/MAX/ROUND/IF over the row, the year-to-date carried in and 政策参数), each with the
    engine's value cached in the cell: the ledger shows the right figures before any recalculation."""
    cols = ctx.columns
    if ctx.params is None or any(n not in cols for n in _FORMULA_INPUTS):
        return {}
    row = ctx.first_row + seq - 1
    refs = RowRefs({name: f"{column_letter(i)}{row}" for i, name in enumerate(cols) if name})
    rule_ctx = ctx.views[line.row.claim.settled_on]
    out: dict[str, object] = {}
    for name, text in native_formulas(rule_ctx, ctx.params, refs, line, line.row.claim.chronic_class2).items():
        if name in cols:
            cached = values.get(name)
            out[name] = Formula(text, cached=cached if isinstance(cached, (int, float)) else 0)
    return out


def param_rows(ctx: LedgerContext):
    """The 政策参数 sheet: every value the formulas read (filled while the 台账 rows are written, so this
    generator must be consumed after them — the writer fills the sheets in workbook order)."""
    if ctx.params is None:
        yield ["（本台账未使用 --formulas：金额是数值；取值及其文号、条款见「政策依据」）"]
        return
    missing = [n for n in _FORMULA_INPUTS if n not in ctx.columns]
    if missing:
        yield ["说明", "", "", f"本单位模板没有公式需要的列（{'、'.join(missing)}）：金额写为数值，未写公式。"]
        return
    yield from (r.cells() for r in ctx.params.rows)
    for text in VALUE_NOTES:
        yield ["说明", "", "", text]


# what stays a value in a --formulas ledger, and why (processor/ledgers/formulas.py)
VALUE_NOTES = (
    "公式只用 MIN、MAX、ROUND、IF 与四则运算（Excel 2010、WPS、LibreOffice 均能计算）；金额在公式内按“分”取整，"
    "比例按万分之一，半分一律进位（四舍五入到分）。改本表“计算值”或台账中的金额，本行各项随之重算。",
    "以下单元格是数值而不是公式：适用身份、医疗类别、是否转诊（它们决定公式读取本表的哪一行）；本行之前的年度累计"
    "（以数值带入公式：改动前面某行不会带动后面各行，请重新运行 yibao fill）；冲销行（照原结算取反）；"
    "导出已给出的大病保险支付；II类门诊特殊慢性病（限额以上自付来自导出，台账无此列）。",
)


def row_values(line: Line, seq: int, ctx: LedgerContext) -> list:
    """One 台账 row: the cells of ``line`` in the layout's column order (序号 ``seq``)."""
    if ctx.formulas:
        v = _values(line, seq, ctx)
        return [v.get(col) if col else None for col in ctx.columns]
    pick = ctx.pick
    if pick is None:  # each column's place in _cells (None's, last, for a column it does not give)
        places = [_CELLS.index(col) if col in _CELLS else len(_CELLS) for col in ctx.columns]
        pick = ctx.pick = (lambda cells: [cells[places[0]]]) if len(places) == 1 else operator.itemgetter(*places)
    return list(pick(_cells(line, seq)))


def ledger_rows(outcome: Outcome, ctx: LedgerContext):
    """The 台账's rows, made as the writer asks for them; their length hint (the rows read) lets the
    writer render a month of a city in a second process (processor/io/render_process.py)."""
    return _Hinted((row_values(line, seq, ctx) for seq, line in enumerate(outcome.lines, 1)), outcome.rows_read)


class _Hinted:
    """An iterator with ``__length_hint__`` (operator.length_hint): about how many items it gives."""

    __slots__ = ("_it", "_hint")

    def __init__(self, it, hint: int):
        self._it, self._hint = it, hint

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._it)

    def __length_hint__(self) -> int:
        return self._hint


def rejected_rows(outcome: Outcome):
    for r in outcome.rejected:  # several input files: the reason starts with the file's name
        yield [r.source_row, r.settlement_id, r.name, f"〔{r.source}〕{r.reason}" if r.source else r.reason]
    for source_row, reason in outcome.skipped:
        yield [source_row, None, None, f"未计入：{reason}"]


# policy values that are codes in the policy files, and what a clerk reads instead
_VALUE_TEXT = {"on_application": "依申请（文件未给标准，不在台账中计算）", "computed": "按文件规定逐条计算",
               "undefined": "文件未规定", "none": "无"}


def basis_rows(outcome: Outcome, region: Region, settings: Settings):
    """Every parameter of the documents in force on the settlement dates, and the settings used."""
    seen = set()
    for ctx in sorted(outcome.views.values(), key=lambda c: c.view.on):
        for p in ctx.view.params.values():
            if (p.key, p.citation, p.start) in seen:
                continue
            seen.add((p.key, p.citation, p.start))
            label, value, doc, clause, period, note = param_row(p)
            value = _VALUE_TEXT.get(value, value)
            if _CODE.search(label):  # a parameter without a Chinese label yet: never show its key
                label = f"{doc} {clause} 的取值"
            yield [label, value, doc, clause, f"有效期 {period}" + (f"；{note}" if note else "")]
    years = sorted({ctx.view.on.year for ctx in outcome.views.values()})
    for s in settings:
        if s.region == region.name and (s.year in years or s.year + 1 in years):
            value = f"{format_yuan(s.value)} 元" if SETTING_KEYS[s.key].kind == "money" else f"{s.value * 100:.2f}%"
            yield [f"本地设置：{s.label}（{s.year}年）", value, "本地设置文件",
                   "文件未给数字，由医保局在设置文件中填写", f"来源：{s.source_text()}"]


_CODE = re.compile(r"[a-z_]{3,}")
def summary_rows(outcome: Outcome):
    """Per 适用身份 and per 乡镇: 人次 and the amounts, each grouping closed by its 合计 row (summed in fen)."""
    groups = tally_of(outcome).groups
    for how, _blank in SUMMARY_GROUPS:
        total = [0] * 6
        for (h, key), acc in sorted(groups.items()):
            if h != how:
                continue
            total = [t + a for t, a in zip(total, acc)]
            yield [how, key, acc[0], *(y(a) for a in acc[1:])]
        yield [f"{how}合计", "", total[0], *(y(a) for a in total[1:])]


def check_rows(outcome: Outcome):
    """Every fund amount where the export and the policy disagree (for 财务对账); when there is none, a
    row saying so and what was compared."""
    tally = tally_of(outcome)
    for source_row, sid, name, fund, exported, computed, why in tally.checks:
        if why:
            yield [source_row, sid, name, fund, None, None, None, why]
        else:
            yield [source_row, sid, name, fund, y(exported), y(computed), y(exported - computed), ""]
    if not tally.checks:
        if tally.compared:
            what = (f"无不一致：已逐条比较导出的{'、'.join(f for f in FUNDS if f in tally.funds)}"
                    f"金额与按政策计算的金额（{tally.compared:,} 项），全部相符")
        else:
            what = ("无不一致：导出中没有大病保险、医疗救助、倾斜救助的支付金额列，没有可比较的金额；"
                    "台账金额全部按政策计算")
        yield [None, None, None, None, None, None, None, what]


def state_rows(outcome: Outcome, names: dict[str, str] | None = None):
    """Each person's year: 证件号码 (the key next month's --previous matches on), 姓名, the amounts."""
    names = {**(names or {}), **tally_of(outcome).names}
    for (person, year), st in sorted(outcome.states.items()):
        yield [person, names.get(person, ""), year, *(y(x) for x in st)]


def default_layout(name: str) -> Layout:
    first, totals = SHEET_ROWS["台账"]
    cols = list(LEDGER_COLUMNS[name])
    return Layout(template_path(name), "台账", cols, cols, first, totals,
                  {"异常", "政策依据", "汇总", CHECK_SHEET, STATE_SHEET, PARAM_SHEET})


def _fit(columns: list[str]) -> dict[int, tuple[float, bool]]:
    """Columns widened after filling to their widest value (free-text columns wrap at a fixed width);
    summed money columns also fit their total."""
    return {i: (FIT_CAP if COLUMN_KIND.get(name, "text") != "text" else max(TEXT_CAP, column_width(name)),
                name in LEDGER_SUM_COLUMNS) for i, name in enumerate(columns, 1)
            if name and name not in WRAP_COLUMNS}


def _wrap(columns: list[str]) -> dict[int, float]:
    """Text columns and the width their text wraps at: the fixed width of a free-text column, the
    cap of a measured one (narrower text makes the column fit it on one line)."""
    return {i: (column_width(name) if name in WRAP_COLUMNS else max(TEXT_CAP, column_width(name)))
            for i, name in enumerate(columns, 1) if name and COLUMN_KIND.get(name, "text") == "text"}


def page_blocks(sheet: str, groups: list[int] | None = None):
    """The ``col_breaks`` of a sheet: columns go onto pages of ``page_units(sheet)`` width, whole
    column groups at a time (``groups``: the last column of each group; default every column), the
    repeated title columns counted on every page after the first."""
    capacity = page_units(sheet)
    title_cols = TITLE_COLUMNS.get(sheet, 0)

    def breaks(widths: dict[int, float]) -> list[int]:
        last = max(widths, default=0)
        ends = sorted(set(groups or range(1, last + 1)) | {last})
        repeated = sum(widths.get(c, 0) for c in range(1, title_cols + 1))
        out, used, start = [], 0.0, 1
        for end in ends:
            cols = list(range(start, end + 1))
            need = sum(widths.get(c, 0) for c in cols)
            room = capacity - (repeated if out else 0)
            if used and used + need > room:
                out.append(start - 1)
                used = repeated
            for c in cols:  # a group wider than a page: break inside it
                w = widths.get(c, 0)
                if used + w > capacity and used > (repeated if out else 0):
                    out.append(c - 1)
                    used = repeated
                used += w
            start = end + 1
        return out
    return breaks


def _group_ends(columns: list[str], name: str | None) -> list[int] | None:
    if name is None or columns != LEDGER_COLUMNS[name]:
        return None
    ends, col = [], 0
    for _group, subs in LEDGER_GROUPS[name]:
        col += len(subs)
        ends.append(col)
    return ends


def sheets(outcome: Outcome, layout: Layout, region: Region, settings: Settings,
           formulas: bool, names: dict[str, str] | None = None, template_name: str | None = None,
           page_header: str | None = None) -> dict[str, SheetFill]:
    """``page_header``: what every printed page after the first carries (title, 所属期)."""
    ctx = LedgerContext(region, layout.columns, formulas, layout.first_row, outcome.views,
                        PolicySheet(first_row=SHEET_ROWS[PARAM_SHEET][0]) if formulas else None)
    breaks = page_blocks("台账", _group_ends(layout.columns, template_name)) if template_name else None
    out = {layout.sheet: SheetFill(ledger_rows(outcome, ctx), layout.first_row, layout.totals_row,
                                   fit=_fit(layout.columns), col_breaks=breaks, wrap=_wrap(layout.columns),
                                   page_header=page_header if template_name else None)}
    extra_sheets = layout.extra_sheets
    makers = {"异常": lambda: rejected_rows(outcome), "政策依据": lambda: basis_rows(outcome, region, settings),
              "汇总": lambda: summary_rows(outcome), CHECK_SHEET: lambda: check_rows(outcome),
              STATE_SHEET: lambda: state_rows(outcome, names), PARAM_SHEET: lambda: param_rows(ctx)}
    for sheet, rows in makers.items():
        if sheet in extra_sheets:
            columns = SHEET_COLUMNS[GENERIC][sheet]
            out[sheet] = SheetFill(rows(), *SHEET_ROWS[sheet], fit=_fit(columns), wrap=_wrap(columns),
                                   col_breaks=page_blocks(sheet), page_header=page_header)
    return out


def page_header_text(title: str, period: str) -> str:
    """The printed page header: the ledger's title in the middle, 所属期 on the right (Excel codes)."""
    esc = (lambda t: t.replace("&", "&&"))
    return f"&C&B{esc(title)}&R所属期：{esc(period)}"


def ledger_title(template_name: str, region: Region) -> str:
    title = TITLES[template_name].replace("{地区}", region.full_name)
    if template_name == XIXIU and region.name != "西秀":  # 表三's layout, another county's title
        title = f"{region.full_name}特殊群体待遇（报销）台账"
    return title


def header_texts(template_name: str, region: Region, unit: str, period: str, made_on: date) -> dict[str, str]:
    cells = INFO_CELLS[template_name]
    title = ledger_title(template_name, region)
    return {cells["title"]: title, cells["unit"]: f"填报单位：{unit}", cells["period"]: f"所属期：{period}",
            cells["date"]: f"制表日期：{made_on.isoformat()}"}


def sheet_header_texts(title: str, unit: str, period: str, made_on: date,
                       sheets_present=tuple(SHEET_INFO_CELLS)) -> dict[str, dict[str, str]]:
    """Title and 填报单位 / 所属期 / 制表日期 of every other sheet (``title``: the ledger's title)."""
    out = {}
    for sheet in sheets_present:
        cells = SHEET_INFO_CELLS[sheet]
        out[sheet] = {cells["title"]: SHEET_TITLES[sheet].replace("{台账}", title),
                      cells["info"]: INFO_LINE.format(unit=unit, period=period, date=made_on.isoformat())}
    return out


__all__ = ["LEDGER_NAMES", "STATE_SHEET", "STATE_COLUMNS", "template_for", "sheets", "header_texts",
           "sheet_header_texts", "ledger_title", "page_blocks"]
