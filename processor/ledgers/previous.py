"""Reading last month's filled ledger (`--previous`): the year-to-date state of each person and the
settlements already in it (for duplicates across months and reversals of earlier claims)."""
from __future__ import annotations

from pathlib import Path

from ..chain import CRITICAL_KINDS, Settlement, YearState, year_delta
from ..dates import parse_date
from ..errors import FileError, InputError, YibaoError
from ..io.safety import check_xlsx
from ..money import parse_amount
from .benefit import STATE_COLUMNS, STATE_SHEET
from .compute import PreviousLedger

_LEDGER_NEEDS = ("结算ID", "证件号码", "结算日期", "政策范围内费用", "基本医保支付", "大病保险", "医疗救助", "个人自付")


def read_previous(path: str | Path, region=None) -> PreviousLedger:
    """``region``: the ledger's region, to tell which kinds its 医疗救助 covered (what each settlement
    added to the year, taken off again when it is reversed this month)."""
    path = Path(path)
    if not path.is_file():
        raise FileError(f"找不到上月台账：{path}")
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise FileError("上月台账应为本工具生成的 .xlsx 文件")
    check_xlsx(path)
    from python_calamine import CalamineError, CalamineWorkbook
    try:
        with CalamineWorkbook.from_path(str(path)) as book:
            if STATE_SHEET not in book.sheet_names or "台账" not in book.sheet_names:
                raise FileError(f"上月台账缺少「台账」或「{STATE_SHEET}」工作表：请用本工具上月生成的台账")
            state_grid = book.get_sheet_by_name(STATE_SHEET).to_python(skip_empty_area=False)
            ledger_grid = book.get_sheet_by_name("台账").to_python(skip_empty_area=False)
    except CalamineError:
        raise FileError("无法读取上月台账：文件已损坏或不是 xlsx，请用本工具上月生成的台账") from None
    _check_region(ledger_grid, region, path)
    prev = PreviousLedger(path=str(path))
    try:
        _read_state(state_grid, prev)
        _read_ledger(ledger_grid, prev, region)
    except InputError as err:
        raise FileError(f"上月台账无法读取：{err.message}") from None
    return prev


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


def _read_state(grid, prev: PreviousLedger) -> None:
    header = [str(x).strip() if x is not None else "" for x in (grid[0] if grid else [])]
    if header[: len(STATE_COLUMNS)] != STATE_COLUMNS:
        raise InputError(f"「{STATE_SHEET}」表头不符")
    for row in grid[1:]:
        if not row or row[0] in (None, ""):
            continue
        person, year = str(row[0]).strip().upper(), int(float(row[1]))
        prev.year_state[(person, year)] = YearState(*(_fen(x) for x in row[2: 2 + 7]))


def _read_ledger(grid, prev: PreviousLedger, region=None) -> None:
    # header texts: the sub-header (row 4) or the merged single header (row 3)
    if len(grid) < 5:
        return
    width = max(len(grid[2]), len(grid[3]))
    names = []
    for j in range(width):
        sub = grid[3][j] if j < len(grid[3]) else None
        top = grid[2][j] if j < len(grid[2]) else None
        names.append(str(sub or top or "").strip())
    idx = {n: j for j, n in enumerate(names) if n}
    missing = [n for n in _LEDGER_NEEDS if n not in idx]
    if missing:
        raise InputError(f"「台账」缺少列：{'、'.join(missing)}")
    for row in grid[4:]:
        first = row[0] if row else None
        if isinstance(first, str) and first.strip().startswith("合计"):
            break
        sid = row[idx["结算ID"]]
        if sid in (None, ""):
            continue
        sid = str(sid).strip()
        if isinstance(sid, str) and sid.endswith(".0"):
            sid = sid[:-2]
        policy, basic = _fen(row[idx["政策范围内费用"]]), _fen(row[idx["基本医保支付"]])
        crit, assist = _fen(row[idx["大病保险"]]), _fen(row[idx["医疗救助"]])
        tilt_cell = row[idx["倾斜救助"]] if "倾斜救助" in idx else None
        tilt = None if tilt_cell in (None, "") else _fen(tilt_cell)  # empty: not computed in the region
        final = _fen(row[idx["个人自付"]])
        person = str(row[idx["证件号码"]]).strip().upper()
        on = parse_date(row[idx["结算日期"]], "结算日期")
        identity = str(row[idx["适用身份"]] or "").strip() if "适用身份" in idx else ""
        kind = str(row[idx["医疗类别"]] or "").strip() if "医疗类别" in idx else ""
        in_critical = not kind or kind in CRITICAL_KINDS
        in_assistance = not kind or region is None or _assisted(region, on, kind)
        delta = year_delta(kind, policy - basic, crit, assist, tilt, final, in_critical, in_assistance)
        if sid in prev.settled and policy < 0:  # a reversal row already in last month's ledger
            prev.reversed.add(sid)  # the ID stays taken: used again it is a duplicate, as within one month
            continue
        prev.settled[sid] = (person, on.year, delta,
                             Settlement(identity, crit, assist, tilt, final, "", delta,
                                        in_critical=in_critical, in_assistance=in_assistance))


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
        merged.settled.update(one.settled)
        merged.reversed |= one.reversed
    return merged
