"""`yibao fill` and `yibao template check`: read → compute → write, with progress and a summary."""
from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

from ..book import default_book
from ..dates import parse_date
from ..errors import FileError, InputError, YibaoError
from ..io.headers import column_letter
from ..io.inputs import expand
from ..io.reader import open_export, require_columns
from ..io.mask import mask_text
from ..io.xlsx_splice import check_output, make_folder, write_workbook
from ..money import format_yuan
from ..settings import load_settings
from .benefit import default_layout, header_texts, ledger_title, page_header_text, sheet_header_texts, sheets, template_for
from .compute import compute_stream, no_cycle_collection
from .tally import tally_of
from .normalise import REQUIRED_COLUMNS
from .previous import check_months, read_previous_all
from .template import OUTPUT_COLUMNS, STANDARD_SHEETS, bureau_layout, complete_template, fit_prototype

from xlsx_templates.layout import GENERIC, SHEET_INFO_CELLS

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def check_period_text(text: str) -> str:
    """``--period``: a month written YYYY-MM (2022-03). Anything else (2022年3月, 2022-3, 2022/03) is
    refused with the format, never written under 所属期 as typed."""
    text = text.strip()
    m = _PERIOD.match(text)
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
        raise InputError(f"--period 应写作 年-月，如 2022-03（收到：{text}）")
    return text


def _check_period(outcome, period: str) -> None:
    """Every settlement of the input in the month ``period``, or the run is refused: a year's export
    is never written under one month's 所属期. Rows whose date does not parse are left to the
    computation, which rejects them into 异常."""
    year, month = int(period[:4]), int(period[5:])
    outside = {m: v for m, v in outcome.months.items() if m != (year, month)}
    if outside:
        months = "、".join(f"{y}-{m:02d} {v[0]:,} 行" for (y, m), v in sorted(outside.items()))
        count = sum(v[0] for v in outside.values())
        first_row = min(outside.values(), key=lambda v: v[2])[1]  # a row number, or "B.csv 第12" (several files)
        where = f"{first_row}行" if isinstance(first_row, str) else f"第{first_row}行"
        raise InputError(f"输入中有 {count:,} 行的结算日期不在所属期 {period} 内（{months}；"
                         f"第一行是{where}）：请只导出 {period} 的结算，或去掉 --period"
                         f"（所属期按结算日期写出）。未写出台账")


def _progress(quiet: bool, rows_read: int = 0):
    """Progress of the computation on stderr, counted in rows READ: rows the reader already rejected
    (bad numbers, dates …) are done before the computation starts, so the bar ends at the same
    number as "读入结算行 N" in the summary."""
    if quiet:
        return None
    tty = sys.stderr.isatty()
    last = [0.0]

    def show(done: int, total: int) -> None:
        early = max(rows_read - total, 0)  # rejected while reading: already done
        done, total = done + early, total + early
        now = time.monotonic()
        if done != total and now - last[0] < 0.5:
            return
        last[0] = now
        width = 30
        filled = int(width * done / max(total, 1))
        bar = "█" * filled + "░" * (width - filled)
        text = f"计算中 {bar} {done:,}/{total:,}（{done * 100 // max(total, 1)}%）"
        if tty:
            print("\r" + text, end="" if done != total else "\n", file=sys.stderr, flush=True)
        elif done == total:
            print(text, file=sys.stderr)
    return show


def _reading(quiet: bool):
    """A line while a large export is read (the computation's bar follows)."""
    if quiet:
        return None
    tty = sys.stderr.isatty()
    last = [time.monotonic()]

    def show(n: int) -> None:
        now = time.monotonic()
        if now - last[0] < 1.0:
            return
        last[0] = now
        text = f"读取中 已读 {n:,} 行"
        print(("\r" + text) if tty else text, end="" if tty else "\n", file=sys.stderr, flush=True)
    return show


def fill(args) -> int:
    period = check_period_text(args.period) if args.period else None
    book = default_book()
    region = book.region(args.region)
    # the same lookup as `explain` and the Excel functions: --settings, else YIBAO_SETTINGS
    settings = load_settings(args.settings or os.environ.get("YIBAO_SETTINGS") or None,
                             known_regions=set(book.regions))
    out = Path(args.out)
    _check_out(out, args)
    check_output(out, args.force)  # exists without --force, or open in Excel/WPS: refused before any work
    workdir = tempfile.TemporaryDirectory(prefix="yibao-template-")
    if args.template:
        layout, name = complete_template(fit_prototype(bureau_layout(Path(args.template))), workdir.name), None
    else:
        name = template_for(args.ledger)
        layout = default_layout(name)
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr))
    started = time.monotonic()
    files = _inputs(args.input, say)
    tables = []
    for f in files:
        say(f"读取 {_shown(f)} …")
        table = _named(lambda: open_export(f), f, len(files) > 1)
        _require(table, len(files) > 1)  # before reading on: exit 2 naming the column (and the file)
        tables.append(table)
    # the collector paused for the month (compute.no_cycle_collection): the claim store holds up to a
    # month of claims, and each collection would walk them all (100,000 rows: 0.68 s of CPU in 697 collections)
    with no_cycle_collection():
        previous = read_previous_all(args.previous, region) if args.previous else None
        if previous:
            say(f"此前台账 {len(args.previous)} 份：{len(previous.year_state):,} 人的年度累计（取自最后一份），"
                f"{len(previous.settled):,} 条已结算")
        guard = None if getattr(args, "allow_rejects", False) else _reject_guard
        outcome = compute_stream(tables, region, settings, previous, _progress(args.quiet), _reading(args.quiet),
                                 folder=str(out.parent) if out.parent.is_dir() else None, finish=guard)
        if period:
            _check_period(outcome, period)
        if previous:
            check_months(previous, *outcome.first)
        period = period or _period_of(outcome)
        names = getattr(previous, "names", None) if previous else None
        title = ledger_title(name or GENERIC, region)
        fills = sheets(outcome, layout, region, settings, args.formulas, names, name, page_header_text(title, period))
        made_on = date.today()
        texts = {layout.sheet: header_texts(name, region, args.unit, period, made_on)} if name else {}
        texts.update(sheet_header_texts(title, args.unit, period, made_on,
                                        [s for s in SHEET_INFO_CELLS if s in layout.extra_sheets]))
        say(f"写出 {out} …")
        make_folder(out.parent)
        try:
            write_workbook(layout.template, out, fills, texts, force=args.force)
        finally:
            workdir.cleanup()
    _summary(outcome, out, settings, time.monotonic() - started, "异常" in layout.extra_sheets)
    return 0


def _first_settlement(table) -> tuple[date | None, int | None]:
    """The earliest settlement date of a table read whole (reconcile) and its row; rows whose date
    does not parse are left to the computation, which rejects them."""
    first, first_row = None, None
    for raw in table.rows:
        value = raw.values.get("settlement_date")
        if value is None:
            continue
        try:
            on = parse_date(value, "结算日期")
        except YibaoError:
            continue
        if first is None or on < first:
            first, first_row = on, raw.source_row
    return first, first_row


REJECT_GUARD_MIN_ROWS = 20


def _inputs(given: list[str] | str, say) -> list[Path]:
    """The export files of the run (processor/io/inputs.py): each file given, and every .xlsx/.csv/.parquet
    in a folder given, sorted by name; the order of the files is the order of rows with the same
    settlement date; one file given twice is refused."""
    found, notes = expand([given] if isinstance(given, str) else list(given), any_file=True)
    for note in notes:
        say(note)
    return [f.path for f in found]


def _shown(path: Path) -> str:
    """A path as the clerk would type it: relative to the current folder when it is under it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _require(table, several: bool) -> None:
    _named(lambda: require_columns(table, REQUIRED_COLUMNS), table.path, several)


def _named(read, path: Path, several: bool):
    """``read()``; of several input files, a FileError says which one (with --quiet nothing else does)."""
    try:
        return read()
    except FileError as err:
        if several and path.name not in err.message:
            raise FileError(f"{path.name}：{err.message}") from None
        raise


def _reject_guard(outcome) -> None:
    """Most rows rejected for one reason (a wrong --region, a truncated or foreign export) is a run
    to stop, not an empty ledger to hand in: exit 2 unless --allow-rejects. Reasons are grouped with
    their numbers blanked out (a date, a row number), so "结算日期 2022-03-01：…" counts as one reason."""
    rows, rejected = outcome.rows_read, outcome.rejected
    if rows < REJECT_GUARD_MIN_ROWS or 2 * len(rejected) <= rows:
        return
    groups = Counter(_REASON_NUMBERS.sub("…", r.reason) for r in rejected)
    key, count = groups.most_common(1)[0]
    if 2 * count <= len(rejected):
        return
    example = next(r.reason for r in rejected if _REASON_NUMBERS.sub("…", r.reason) == key)
    raise InputError(mask_text(f"{rows:,} 行中 {count:,} 行因同一原因被拒绝：{example}；"
                               f"请检查 --region 是否正确、导出文件是否完整；确需写出请加 --allow-rejects"))


_REASON_NUMBERS = re.compile(r"\d+(?:[.,:\-/]\d+)*")


def _check_out(out: Path, args) -> None:
    """The output is a new .xlsx file: never one of the files read (not even with --force), never a folder."""
    if out.is_dir():
        raise FileError(f"输出路径是一个文件夹：{out}；请写出文件名，如 {out / '台账.xlsx'}")
    if out.suffix.lower() != ".xlsx":
        raise FileError(f"输出文件应以 .xlsx 结尾：{out}")
    if out.exists():
        inputs = [args.input] if isinstance(args.input, str) else args.input
        given_files = ([("输入文件", p) for p in inputs] + [("模板", args.template)]
                       + [("上月台账", p) for p in args.previous or []])
        for what, given in given_files:
            if given and Path(given).exists() and os.path.samefile(out, given):
                raise FileError(f"输出文件不能是{what}本身：{out}；请另取一个文件名")


def _period_of(outcome) -> str:
    months = sorted(outcome.months)
    if not months:
        return ""
    a, b = months[0], months[-1]
    return f"{a[0]}-{a[1]:02d}" if a == b else f"{a[0]}-{a[1]:02d} 至 {b[0]}-{b[1]:02d}"


def _summary(outcome, out: Path, settings, seconds: float, anomaly_sheet: bool = True) -> None:
    tally = tally_of(outcome)
    totals = [tally.critical, tally.assist, tally.tilt, tally.final_selfpay]
    print(f"完成：{out}")
    print(f"读入结算行 {outcome.rows_read:,} = 写入台账 {tally.count:,} + 异常 {len(outcome.rejected):,}"
          f"（另有空行/合计行 {len(outcome.skipped):,} 行未计入）")
    print(f"大病保险 {format_yuan(totals[0])} 元；医疗救助 {format_yuan(totals[1])} 元；"
          f"倾斜救助 {format_yuan(totals[2])} 元；个人自付 {format_yuan(totals[3])} 元")
    borne = tally.hospital_borne
    if borne:
        print(f"医疗机构承担（目录外费用超过控制比例的部分，不计入个人自付）{format_yuan(borne)} 元")
    if outcome.rejected and anomaly_sheet:
        print(f"异常行见工作表「异常」，共 {len(outcome.rejected):,} 行")
    elif outcome.rejected:  # a bureau template without an 异常 sheet: the rows are listed here, not lost
        # row number, 结算ID and reason only: names and ID numbers stay in the workbook and the export
        print(f"异常行 {len(outcome.rejected):,} 行（模板没有「异常」工作表，列在此处；姓名、证件号码见导出文件对应行）：")
        for r in outcome.rejected:
            print(mask_text(f"  {r.source + ' ' if r.source else ''}第{r.source_row}行 结算ID {r.settlement_id or '（空）'}：{r.reason}"))
    if settings.example:
        print("注意：设置文件为示例数字（example = true），台账金额不可用于正式报送。")
    print(f"用时 {seconds:.1f} 秒")


def template_check(args) -> int:
    path = Path(args.template)
    layout = bureau_layout(path)
    fit_prototype(layout)  # what fill needs: a styled row under the header, formatted to the last filled column
    print(f"模板：{path}（工作表「{layout.sheet}」，表头在第 {layout.first_row - 1} 行，数据从第 {layout.first_row} 行起）")
    unknown = []
    for i, (header, col) in enumerate(zip(layout.headers, layout.columns)):
        if col in OUTPUT_COLUMNS:
            status = f"本工具计算/填写（{col}）"
        elif col:
            status = f"取自结算导出（{col}）"
        else:
            status = "不认识，留空"
            if header:
                unknown.append(header)
        print(f"  {column_letter(i)}列 {header or '（空）'}：{status}")
    known = sum(1 for c in layout.columns if c)
    print(f"共 {len(layout.columns)} 列，识别 {known} 列" + (f"；不认识的表头：{'、'.join(unknown)}" if unknown else ""))
    added = [s for s in STANDARD_SHEETS if s not in layout.extra_sheets]
    print("写出时本工具补上：" + "；".join(
        ([f"工作表 {'、'.join(added)}"] if added else []) + ([] if layout.totals_row else ["样式行下的合计行"])
        + ["日期、金额列的格式（样式行未设时）"]))
    print("模板可用：yibao fill … --template " + str(path))
    return 0


__all__ = ["fill", "template_check"]
