"""Reading last month's filled ledger (`--previous`): the year-to-date state of each person and the
settlements already in it (for duplicates across months and reversals of earlier claims)."""
from __future__ import annotations

import itertools
import zipfile
from pathlib import Path

from ..chain import CRITICAL_KINDS, Settlement, YearState, year_delta
from ..dates import parse_date
from ..errors import FileError, InputError, YibaoError
from ..io.ids import parse_key
from ..io.safety import check_xlsx
from ..io.sheet_process import sheet_rows
from ..io.xlsx_stream import CORRUPT, sheet_names
from ..money import parse_amount
from xlsx_templates.layout import SHEET_ROWS, STATE_COLUMNS_V1

from .benefit import STATE_COLUMNS, STATE_SHEET
from .compute import PreviousLedger

_LEDGER_NEEDS = ("结算ID", "证件号码", "结算日期", "政策范围内费用", "基本医保支付", "大病保险", "医疗救助", "个人自付")
# our own column names (a header text already one of them needs no alias lookup)
from xlsx_templates.layout import LEDGER_COLUMNS as _LC  # noqa: E402
_KNOWN = frozenset(c for cols in _LC.values() for c in cols)


def read_previous(path: str | Path, region=None) -> PreviousLedger:
    """``region``: the ledger's region, to tell which kinds its 医疗救助 covered (what each settlement
    added to the year, taken off again when it is reversed this month)."""
    path = Path(path)
    if not path.is_file():
        raise FileError(f"找不到上月台账：{path}")
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise FileError("上月台账应为本工具生成的 .xlsx 文件")
    try:
        report = check_xlsx(path, streamed=True)  # read a row at a time below, never whole
    except FileError as err:  # the export is read (and said) first: say which file this is
        raise FileError(f"上月台账 {path.name}：{err.message}") from None
    try:
        return _read(path, report, region)
    except (zipfile.BadZipFile, KeyError, OSError):
        raise FileError(_UNREADABLE) from None
    except FileError as err:
        if err.message == CORRUPT:  # the sheet reader's words for a broken part: say which file it is
            raise FileError(_UNREADABLE) from None
        raise


_UNREADABLE = "无法读取上月台账：文件已损坏或不是 xlsx，请用本工具上月生成的台账"


def _read(path: Path, report, region) -> PreviousLedger:
    names = sheet_names(path)
    ledger_sheet = _ledger_sheet(names)
    if STATE_SHEET not in names or ledger_sheet is None:
        raise FileError(f"上月台账缺少「台账」或「{STATE_SHEET}」工作表：请用本工具上月生成的台账")
    state_grid = SheetRows(path, STATE_SHEET)
    ledger_grid = SheetRows(path, ledger_sheet)
    _check_uncomputed(path, report, STATE_SHEET)
    _check_region(ledger_grid, region, path)
    _check_state(path, state_grid)
    prev = PreviousLedger(path=str(path))
    # one pass over 台账 for the checks and the settlements; a row the settlements cannot take is said
    # after the checks, as when they were two passes
    data, problem = _read_ledger(path, ledger_grid, prev, region)
    _check_uncomputed(path, report, ledger_sheet, data)
    try:
        _read_state(state_grid, prev)
        if problem is not None:
            raise problem
    except InputError as err:
        raise FileError(f"上月台账无法读取：{err.message}") from None
    return prev


_STANDARD_SHEETS = ("异常", "政策依据", "汇总", "核对", STATE_SHEET, "政策参数")


class SheetRows:
    """A sheet of last month's ledger as the rows of a grid (A1 = [0][0]), read again from the file at each
    pass and never held whole: a month of a city is a million rows (issue 12). The first rows are kept
    for the header and title checks (``grid[i]``, ``grid[:3]``); ``grid[k:]`` is a new pass from row k."""

    HEAD = 64

    def __init__(self, path: Path, sheet: str):
        self.path, self.sheet = path, sheet
        self.width = 0
        self.head = list(itertools.islice(iter(self), self.HEAD))
        self.width = max(map(len, self.head), default=0)  # the header's: each row padded to it, as in a grid
        self.head = [self._pad(row) for row in self.head]

    def _pad(self, row: list) -> list:
        return row + [""] * (self.width - len(row)) if len(row) < self.width else row

    def __iter__(self):
        pad = self._pad
        return (pad(row) for _n, row in sheet_rows(self.path, self.sheet))

    def __getitem__(self, key):
        if isinstance(key, slice):
            if key.step is None and key.stop is not None and key.stop <= self.HEAD:
                return self.head[key]
            return itertools.islice(iter(self), key.start or 0, key.stop)
        return self.head[key]  # only the first rows are looked up by index

    def __bool__(self) -> bool:
        return bool(self.head)


def _row_at(grid, i: int) -> list:
    try:
        return grid[i]
    except IndexError:
        return []


def _ledger_sheet(names: list[str]) -> str | None:
    """「台账」, or — in a ledger written into a bureau's own template (`--template`) — its first sheet that
    is not one of the standard sheets this tool adds beside it."""
    if "台账" in names:
        return "台账"
    return next((n for n in names if n not in _STANDARD_SHEETS), None)


def _check_uncomputed(path: Path, report, sheet: str, data: range | None = None) -> None:
    """A ledger written with --formulas holds formulas without results (they read as empty, which would
    carry 0 into the year): refuse it until a spreadsheet has computed and saved them. ``data``: the
    row indices of the 台账's settlements (found by :func:`_read_ledger`): the totals row's
    SUMPRODUCTs below them do not matter."""
    if sheet not in report.formulas:
        return
    from ..io.safety import uncomputed_formulas
    cells = uncomputed_formulas(path, sheet)
    if data is not None:
        cells = {rc: v for rc, v in cells.items() if rc[0] in data}
    if cells:
        r, _c = min(cells)
        raise FileError(f"上月台账 {path.name}「{sheet}」第{r + 1}行起有 {len(cells):,} 个公式没有计算结果"
                        "（用 --formulas 生成的台账）：请先在 Excel/WPS/LibreOffice 中打开并保存，"
                        "或用不带 --formulas 生成的台账作为 --previous")


def _check_region(grid, region, path: Path) -> None:
    """Our ledgers name their region in the title (A1): refuse another region's year-to-date figures."""
    if region is None or not grid or not grid[0]:
        return
    title = str(grid[0][0] or "")
    from ..book import default_book
    for other in default_book().regions.values():
        if other.name != region.name and other.full_name in title:
            raise FileError(f"上月台账 {path.name} 是{other.full_name}的台账（标题：{title[:30]}），"
                            f"不能作为{region.full_name}的年度累计")


def _fen(v) -> int:
    return 0 if v is None or v == "" else parse_amount(v, "金额", allow_negative=True)


def _state_layout(grid) -> tuple[int, list[str]] | None:
    """(0-based header row, its columns) of 「年度累计」: the current layout (title rows, header in row 3,
    姓名 beside 证件号码) or that of ledgers written before it (header in row 1); None if neither."""
    for h, columns in ((SHEET_ROWS[STATE_SHEET][0] - 2, STATE_COLUMNS), (0, STATE_COLUMNS_V1)):
        row = _row_at(grid, h)
        header = [str(x).strip() if x is not None else "" for x in (row or [])]
        if header[: len(columns)] == columns:
            return h, columns
    return None


def _state_rows(grid):
    """(row number, 证件号码, 姓名, 年度, the seven amounts) of every filled 年度累计 row."""
    h, columns = _state_layout(grid)
    named = "姓名" in columns
    for n, row in enumerate(grid[h + 1:], h + 2):
        if not row or row[0] in (None, ""):
            continue
        row = list(row) + [None] * (len(columns) - len(row))
        rest = row[2:] if named else row[1:]
        yield n, row[0], (row[1] if named else None), rest[0], rest[1: 1 + 7]


def _read_state(grid, prev: PreviousLedger) -> None:
    if _state_layout(grid) is None:
        raise InputError(f"「{STATE_SHEET}」表头不符")
    names = {}
    for n, idno, name, year, amounts in _state_rows(grid):
        person, year = prev.settled.same(_person(idno, STATE_SHEET, n)), int(float(year))
        prev.year_state[(person, year)] = YearState(*(_fen(x) for x in amounts))
        if name:
            names[person] = str(name)
    prev.names = names  # shown beside the ID in this month's 年度累计


def _settlement(row: list, idx: dict[str, int], n: int, region):
    """(结算ID, person, year, Settlement) of a 台账 row, or (结算ID, None, None, None) for a reversal row
    (amounts negated). Raises InputError for a cell that cannot be read."""
    sid = str(row[idx["结算ID"]]).strip()
    if sid.endswith(".0"):
        sid = sid[:-2]
    policy, basic = _fen(row[idx["政策范围内费用"]]), _fen(row[idx["基本医保支付"]])
    crit, assist = _fen(row[idx["大病保险"]]), _fen(row[idx["医疗救助"]])
    tilt_cell = row[idx["倾斜救助"]] if "倾斜救助" in idx else None
    tilt = None if tilt_cell in (None, "") else _fen(tilt_cell)  # empty: not computed in the region
    final = _fen(row[idx["个人自付"]])
    person = _person(row[idx["证件号码"]], "台账", n)
    on = parse_date(row[idx["结算日期"]], "结算日期")
    identity = str(row[idx["适用身份"]] or "").strip() if "适用身份" in idx else ""
    kind = _kind(row[idx["医疗类别"]]) if "医疗类别" in idx else ""
    in_critical = not kind or kind in CRITICAL_KINDS
    in_assistance = not kind or region is None or _assisted(region, on, kind)
    if "进入医疗救助金额" in idx:  # what the settlement counted for 医疗救助 (thresholds, the tilt line)
        counted = _fen(row[idx["进入医疗救助金额"]])
    else:  # a ledger written before that column existed
        referral = str(row[idx["是否转诊"]] or "").strip() != "否" if "是否转诊" in idx else True
        counted = policy - basic - crit if _counts(region, on, identity, kind, referral) else 0
    borne = _fen(row[idx["医疗机构承担"]]) if "医疗机构承担" in idx else 0
    delta = year_delta(policy - basic if in_critical else 0, crit, counted, assist, tilt, final)
    if min(policy, basic, crit, assist, final) < 0:  # a reversal row (amounts negated)
        return sid, None, None, None
    return sid, person, on.year, Settlement(identity, crit, assist, tilt, final, "", delta, in_critical=in_critical,
                                            in_assistance=in_assistance, assist_base=counted, hospital_borne=borne)


def _person(value, sheet: str, n: int) -> str:
    """The person key as this month's rows get it (io.ids), so last month's people meet this month's."""
    try:
        return parse_key(value)
    except InputError as err:
        raise InputError(f"「{sheet}」第{n}行：{err.message}") from None


def _kind(text) -> str:
    """The ledger's 医疗类别 text (e.g. II类门诊特殊慢性病, 普通门诊) → the chain's kind."""
    from ..rules.assistance import normalise_kind
    raw = str(text or "").strip()
    try:
        return normalise_kind(raw) if raw else ""
    except InputError:
        return raw  # 普通门诊 and other kinds the chain carries as written


def _counts(region, on, identity: str, kind: str, referral: bool) -> bool:
    if region is None or not kind:
        return True
    try:
        from ..rules.assistance import assisted
        from ..rules.common import Ctx
        from ..settings import Settings
        return assisted(Ctx(region.view(on), Settings()), identity, kind, referral)
    except YibaoError:
        return False


def _assisted(region, on, kind: str) -> bool:
    try:
        kinds = region.view(on).get("assistance.kinds")
    except YibaoError:
        return True
    return kinds is not None and kind in kinds.value


def read_previous_all(paths: list[str | Path], region=None) -> PreviousLedger:
    """Several earlier ledgers of the year, in month order: the year-to-date state comes from the
    last one (it already carries every earlier month), the settlements from all of them, so a
    duplicate or a reversal of a claim from any earlier month is recognised."""
    merged = PreviousLedger(path="、".join(str(p) for p in paths))
    for path in paths:
        one = read_previous(path, region)
        merged.year_state = one.year_state
        merged.names = {**getattr(merged, "names", {}), **getattr(one, "names", {})}
        merged.settled.update(one.settled)  # a later ledger's settlement of an ID wins, the first amounts stay
        merged.reversed |= one.reversed
        merged.spans += one.spans
    return merged


# --- checks of what --previous hands over (kept apart from the reading above) -----------------------
_YTD_LABELS = STATE_COLUMNS[3: 3 + 7]


def _check_state(path: Path, grid) -> None:
    """Every 年度累计 row holds a year and seven non-negative amounts: an edited or broken ledger
    (blank or text year, #N/A, a negative year-to-date) is refused, naming the row, never its ID."""
    layout = _state_layout(grid)
    if layout is None:
        return  # _read_state names the wrong header
    h, columns = layout
    from ..io.safety import error_cells
    errors = {rc: e for rc, e in error_cells(path, STATE_SHEET).items() if rc[0] > h}
    if errors:
        (r, c), err = min(errors.items())
        column = columns[c] if c < len(columns) else f"第{c + 1}列"
        raise _state_error(path, r + 1, column, f"是 Excel 错误值 {err}")
    for n, _idno, _name, year, amounts in _state_rows(grid):
        problem = _year_problem(year)
        if problem:
            raise _state_error(path, n, "年度", problem)
        for label, value in zip(_YTD_LABELS, list(amounts) + [None] * 7):
            problem = _ytd_problem(value)
            if problem:
                raise _state_error(path, n, label, problem)


def _state_error(path: Path, n: int, column: str, problem: str) -> FileError:
    return FileError(f"上月台账 {path.name}「{STATE_SHEET}」第{n}行「{column}」{problem}：年度累计无法结转。"
                     f"请用本工具生成的原台账（不要手工修改「{STATE_SHEET}」）")


def _year_problem(value) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return "为空"
    if isinstance(value, bool):
        return f"不是年份：{value}"
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return f"不是年份：{str(value).strip()[:20]}"
    if not number.is_integer() or not 2000 <= number <= 2099:
        return f"不是年份：{str(value).strip()[:20]}"
    return ""


def _ytd_problem(value) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return "为空"
    if isinstance(value, str) and value.strip().startswith("#"):
        return f"是 Excel 错误值 {value.strip()[:20]}"
    try:
        fen = parse_amount(value, "金额", allow_negative=True)
    except InputError:
        return f"不是数字：{str(value).strip()[:20]}"
    if fen < 0:
        return f"是负数（{value}）：年度累计不会小于 0"
    return ""


def _ledger_columns(grid) -> dict[str, int]:
    """Column name → index in 台账 (see :func:`_ledger_header`)."""
    return _ledger_header(grid)[1]


def _ledger_header(grid) -> tuple[int, dict[str, int]]:
    """(index of the first data row, our column name → index) of a ledger sheet.

    Our templates: the sub-header in row 4 or a header merged over rows 3–4, data from row 5. A bureau's
    own template (`--template`): its header row among the first 40, texts mapped to our columns the way
    the writer mapped them (身份证号 → 证件号码 …), a merged group header above taking empty cells."""
    from .template import column_for

    def names_of(i: int) -> list[str]:
        row = grid[i]
        upper = grid[i - 1] if i > 0 else []
        out = []
        for j in range(max(len(row), len(upper))):
            sub = row[j] if j < len(row) else None
            top = upper[j] if j < len(upper) else None
            text = str(sub if sub not in (None, "") else (top or "")).strip()
            out.append(text if text in _KNOWN else (column_for(text) or text))
        return out

    for i in range(len(grid[:40])):
        names = names_of(i)
        if "结算ID" in names and sum(1 for n in _LEDGER_NEEDS if n in names) >= 3:
            idx: dict[str, int] = {}
            for j, n in enumerate(names):
                if n:
                    idx.setdefault(n, j)
            return i + 1, idx
    return None, {}


def _read_ledger(path: Path, grid, prev: PreviousLedger, region) -> tuple[range, InputError | None]:
    """One pass over 台账: the months the ledger settles (``prev.spans``), each settlement (``prev.settled``:
    what a reversal this month takes off, and its amounts, which the reversal must match) and the
    reversals in it (``prev.reversed``), and the policy documents its 政策依据 cites (another region's
    documents: refused, see :func:`_check_citations`). Returns the settlement rows (0-based, 合计
    excluded) and the first problem of a row the settlements could not take (raised by the caller after
    the checks; the checks still see every row)."""
    start, idx = _ledger_header(grid)
    rows = () if start is None else grid[start:]
    end = start
    at = {k: idx.get(k) for k in ("结算ID", "结算日期", "医疗费总额", "政策范围内费用", "基本医保支付", "政策依据")}
    months: set[tuple[int, int]] = set()  # a set: a list held a tuple a row (64 MB for a million rows)
    cites: set[str] = set()
    settled, reversed_ids = prev.settled, prev.reversed
    missing = [n for n in _LEDGER_NEEDS if n not in idx]
    problem = InputError(f"「台账」缺少列：{'、'.join(missing)}") if start is not None and missing else None

    def cell(row, key):
        j = at[key]
        return row[j] if j is not None and j < len(row) else None

    for n, row in enumerate(rows, (start or 0) + 1):
        first = row[0] if row else None
        if isinstance(first, str) and first.strip().startswith("合计"):
            break
        end += 1
        sid = cell(row, "结算ID")
        if sid in (None, ""):
            continue
        try:
            on = parse_date(cell(row, "结算日期"), "结算日期")
            months.add((on.year, on.month))
        except InputError:
            pass
        cite = cell(row, "政策依据")
        if cite:
            cites.add(str(cite))
        sid = str(sid).strip()
        if sid.endswith(".0"):
            sid = sid[:-2]
        try:
            total, policy, basic = (None if cell(row, k) in (None, "") else _fen(cell(row, k))
                                    for k in ("医疗费总额", "政策范围内费用", "基本医保支付"))
        except InputError:
            amounts = None
        else:
            amounts = (total, policy, basic) if policy is not None and basic is not None and policy >= 0 else None
        original = None
        if problem is None:
            try:
                _sid, person, year, result = _settlement(row, idx, n, region)
            except InputError as err:
                problem = err
            else:
                if result is None:
                    # a reversal of a claim in this ledger or in an earlier month's: either way that 结算ID is
                    # reversed — a second reversal is refused and the ID stays taken (used again it is a
                    # duplicate, as within one month). The original's own figures (from its ledger) are what
                    # a reversal takes off, never this row's.
                    reversed_ids.add(sid)
                else:
                    original = (person, year, result)
        if original is not None or amounts is not None:
            settled.put(sid, original, amounts)
    if months:
        prev.spans.append((path.name, min(months), max(months)))
    else:  # no settlement rows: the 所属期 the ledger was made for
        prev.spans.append((path.name, *_period_cell(grid)))
    _check_citations(path, cites, region)
    return (range(0) if start is None else range(start, end)), problem


def _period_cell(grid) -> tuple:
    """(first, last) month of the 所属期 text in the title area ("所属期：2022-01 至 2022-02"), or (None, None)."""
    import re
    for row in grid[:3]:
        for v in row or ():
            if isinstance(v, str) and v.strip().startswith("所属期"):
                found = [(int(y), int(m)) for y, m in re.findall(r"(\d{4})-(\d{1,2})", v)]
                if found:
                    return min(found), max(found)
    return None, None


def _check_citations(path: Path, cites: set[str], region) -> None:
    """The title is one editable cell; every row's 政策依据 names the documents its amounts were
    computed under (文号 are region-specific: 赣医保发, 龙政办规, 区医保发, 阳医保发 …). A ledger citing
    another region's document and none of this region's was computed for that region."""
    if region is None or not cites:
        return
    from ..book import default_book
    ours = {d.id for d in region.documents}
    if any(doc in text for doc in ours for text in cites):
        return
    for other in default_book().regions.values():
        if other.name == region.name:
            continue
        for d in other.documents:
            if d.id not in ours and any(d.id in text for text in cites):
                raise FileError(f"上月台账 {path.name} 的「政策依据」引用 {d.id}（{other.full_name}的文件），"
                                f"是{other.full_name}的台账，不能作为{region.full_name}的年度累计")


def _month_text(m) -> str:
    return f"{m[0]}-{m[1]:02d}"


def check_months(previous: PreviousLedger, first_date, first_row: int | str | None = None) -> None:
    """The earlier ledgers are of the input's year, each before the next, all before the input's
    earliest settlement month: a later month's ledger, or the ledgers out of order, would carry a
    year-to-date that includes claims after this month's."""
    spans = [(name, a, b) for name, a, b in previous.spans if a is not None]
    for (n1, a1, b1), (n2, a2, b2) in zip(spans, spans[1:]):
        if a2 <= b1:
            raise FileError(f"--previous 应按月份先后给出：{n1}（{_month_text(a1)} 至 {_month_text(b1)}）之后给出的 "
                            f"{n2}（{_month_text(a2)} 至 {_month_text(b2)}）并不更晚；请按 1月、2月 … 的顺序给出，"
                            f"同一份台账只给一次")
    if first_date is None:
        return
    start = (first_date.year, first_date.month)
    # first_row: a row number, or "B.csv 第12" when the run reads several files
    row = (f"{first_row}行" if isinstance(first_row, str) else f"第{first_row}行") if first_row else ""
    where = f"（{row}，{first_date.isoformat()}）" if row else f"（{first_date.isoformat()}）"
    for name, a, b in spans:
        if a[0] != start[0] or b[0] != start[0]:
            raise FileError(f"上月台账 {name} 是{a[0]}年的台账，本次输入最早的结算在{start[0]}年{where}："
                            f"年度累计按自然年计算，只能用本年度此前月份的台账")
        if b >= start:
            raise FileError(f"上月台账 {name} 含 {_month_text(b)} 的结算，不早于本次输入最早的结算月份 "
                            f"{_month_text(start)}{where}：--previous 只能给本月之前的台账")
