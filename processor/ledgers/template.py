"""A bureau's own ledger template (`--template my.xlsx`): find its header row, map each header to a
ledger column (our own column names, or export aliases such as 身份证号 → 证件号码)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import FileError
from ..io.headers import column_letter, match_header
from ..io.safety import check_xlsx

# columns this tool computes or numbers
OUTPUT_COLUMNS = {"序号", "适用身份", "大病保险", "医疗救助", "倾斜救助", "个人自付", "年度累计个人自付",
                  "年度累计医疗救助", "监测提示", "政策依据", "进入医疗救助金额", "医疗机构承担"}
# (a bureau's own 备注 column is the clerk's: left empty, as any column not recognised)
# the sheets this tool writes beside the bureau's own (the next month's --previous reads 年度累计)
STANDARD_SHEETS = ("异常", "政策依据", "汇总", "核对", "年度累计", "政策参数")
# export key → our ledger column
FROM_EXPORT = {"settlement_id": "结算ID", "id_number": "证件号码", "name": "姓名", "category": "人员类别",
               "kind": "医疗类别", "admission_date": "入院日期", "discharge_date": "出院日期",
               "settlement_date": "结算日期", "total_cost": "医疗费总额", "policy_cost": "政策范围内费用",
               "basic_paid": "基本医保支付", "critical_paid": "大病保险", "assistance_paid": "医疗救助",
               "tilt_paid": "倾斜救助", "township": "镇（街）", "village": "村（居）",
               "hospital": "就诊医疗机构名称", "referral": "是否转诊"}


@dataclass
class Layout:
    template: Path
    sheet: str
    columns: list[str]          # our column name per template column ("" = left empty)
    headers: list[str]          # the template's own header texts
    first_row: int              # the row data starts at (1-based)
    totals_row: int | None
    extra_sheets: set[str]
    proto_width: int | None = None  # columns the prototype row has cells in (a bureau template's)


def fit_prototype(layout: Layout) -> Layout:
    """The writer styles each data cell like the prototype row's cell in its column and writes no
    cell beyond that row: unknown columns past it are dropped (they stay empty anyway); a column
    to fill past it is an error naming the fix."""
    width = layout.proto_width
    if width is None or width >= len(layout.columns):
        return layout
    beyond = [(j, layout.headers[j]) for j in range(width, len(layout.columns)) if layout.columns[j]]
    if beyond:
        j, header = beyond[0]
        if width == 0:
            raise FileError(f"模板「{layout.sheet}」表头下第{layout.first_row}行没有样式行：请在表头下留一行"
                            f"设好格式（边框、数字格式）的空行，作为每行数据的样式")
        raise FileError(f"模板「{layout.sheet}」第{layout.first_row}行（样式行）只有前{width}列设了格式，"
                        f"而 {column_letter(j)}列「{header}」要填数：请把样式行的格式（边框、数字格式）设到最后一列")
    return replace(layout, columns=layout.columns[:width])


def complete_template(layout: Layout, folder: Path) -> Layout:
    """A copy of the bureau's template (in ``folder``) with what `fill` needs beside the bureau's own layout:
    the standard sheets it lacks (异常, 年度累计 for next month's --previous, …), a 合计 row under the
    prototype row when it has none (the totals a ledger must balance to), and date/money formats on
    prototype cells left General (结算日期 would otherwise show as a serial number such as 44562).
    The bureau's file itself is never modified."""
    from openpyxl import load_workbook
    from xlsx_templates.build import (_FORMATS, COLUMN_KIND, GENERIC, LEDGER_SUM_COLUMNS, SHEET_COLUMNS,
                                      SHEET_TITLES, _simple_sheet, totals_row)
    try:
        wb = load_workbook(layout.template)
    except Exception:  # noqa: BLE001 - checked by bureau_layout already; a second reader may still fail
        raise FileError(f"无法读取模板：{layout.template}") from None
    ws = wb[layout.sheet]
    proto = layout.first_row
    for j, col in enumerate(layout.columns, 1):
        kind = COLUMN_KIND.get(col) if col else None
        cell = ws.cell(proto, j)
        if kind in ("date", "money") and cell.number_format in ("General", "@"):
            cell.number_format = _FORMATS[kind]
    totals = layout.totals_row
    if totals is None and all(ws.cell(proto + 1, j).value in (None, "") for j in range(1, len(layout.columns) + 1)):
        totals = proto + 1
        totals_row(ws, totals, proto, [c or "" for c in layout.columns],
                    [c for c in layout.columns if c in LEDGER_SUM_COLUMNS])
    for sheet in STANDARD_SHEETS:
        if sheet not in wb.sheetnames:
            _simple_sheet(wb.create_sheet(sheet), sheet, SHEET_COLUMNS[GENERIC][sheet], SHEET_TITLES[sheet])
    path = Path(folder) / "template.xlsx"
    wb.save(path)
    return replace(layout, template=path, totals_row=totals, extra_sheets=set(layout.extra_sheets) | set(STANDARD_SHEETS))


def column_for(header: str) -> str:
    text = (header or "").strip()
    if text in OUTPUT_COLUMNS:
        return text
    key = match_header(text)
    return FROM_EXPORT.get(key, "") if key else ""


def bureau_layout(path: Path) -> Layout:
    if not path.is_file():
        raise FileError(f"找不到模板：{path}")
    if path.suffix.lower() != ".xlsx":
        raise FileError("模板应为 .xlsx 文件")
    check_xlsx(path)
    from openpyxl import load_workbook
    from openpyxl.cell.read_only import EmptyCell
    try:
        wb = load_workbook(path, read_only=True)
    except Exception:  # noqa: BLE001 - a zip that is not a workbook: KeyError, ValueError … from openpyxl
        raise FileError(f"无法读取模板：{path}（文件已损坏或不是 Excel 工作簿，请在 Excel 中另存为 .xlsx）") from None
    try:
        ws = wb.worksheets[0]
        cells = [list(r) for r in ws.iter_rows(min_row=1, max_row=41)]
        rows = [[c.value for c in r] for r in cells[:40]]
        sheet = ws.title
        names = set(wb.sheetnames)
    finally:
        wb.close()
    for i, row in enumerate(rows):
        texts = [str(c).strip() if c is not None else "" for c in row]
        if i > 0:  # a merged group header above: empty cells of this row take the upper text
            upper = [str(c).strip() if c is not None else "" for c in rows[i - 1]]
            texts = [t or (upper[j] if j < len(upper) else "") for j, t in enumerate(texts)]
        cols = [column_for(t) for t in texts]
        if sum(1 for c in cols if c) >= 3:
            while texts and not texts[-1]:
                texts.pop()
            cols = cols[: len(texts)]
            first = i + 2
            totals = None
            for k in range(i + 1, len(rows)):
                cell = rows[k][0] if rows[k] else None
                if isinstance(cell, str) and cell.strip().startswith("合计"):
                    totals = k + 1
                    break
            extra = {n for n in ("异常", "政策依据", "汇总", "核对", "年度累计") if n in names}
            proto = cells[first - 1] if first - 1 < len(cells) else []
            width = max((j + 1 for j, c in enumerate(proto) if not isinstance(c, EmptyCell)), default=0)
            return Layout(path, sheet, cols, texts, first, totals, extra, width)
    raise FileError("模板前40行中没有找到表头行（至少3个认识的列名，如 姓名、证件号码、医疗救助）")
