"""`yibao enrol` and `yibao compare`: read (safe reader) → assess / compare (rules, pandas) → write
(template splice, atomic). Same conventions as `yibao fill`: Chinese messages, exit 2 on a file-level
problem, IDs never printed, "读入 N = 采用 A + 异常 B" at the end, progress on stderr."""
from __future__ import annotations

import os
import re
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

from xlsx_templates import enrolment as tpl

from ..book import default_book
from ..engine import Engine
from ..errors import FileError
from ..io.headers import PAYMENT_COLUMNS, ROSTER_COLUMNS
from ..io.reader import read_export, require_columns
from ..io.xlsx_splice import SheetFill, check_output, make_folder, write_workbook
from ..money import format_yuan
from ..settings import load_settings
from . import compare as cmp
from . import coverage, mobilisation, requests, table1
from ..rules.enrolment import FUND
from .assess import ENROLLED, REASONABLE, UNENROLLED, Assessor
from .people import Person, Reject, department_of, read_payments, read_rosters

ROSTER_REQUIRED = (("id_number", "person_no"), "category", "recognised_on")
PAYMENT_REQUIRED = (("id_number", "person_no"), "year", "pay_date", "paid")
OUTPUTS = {tpl.TABLE1: "表一_参保资助台账", tpl.TABLE2: "表二_动员参保台账", tpl.REASONABLE: "合理化未参保台账",
           tpl.REQUESTS: "代缴请款明细", tpl.COVERAGE: "参保率统计"}


def _say(quiet: bool):
    return (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr))


def _out_dir(path: str, option: str = "--out") -> Path:
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise FileError(f"{option} 应为文件夹：{out} 是一个文件")
    return make_folder(out)


def _texts(book: str, sheet: str, title: str, unit: str, period: str) -> dict[str, dict[str, str]]:
    cells = tpl.info_cells(book, sheet)
    return {sheet: {cells["title"]: title, cells["unit"]: f"填报单位：{unit}", cells["period"]: f"所属期：{period}",
                    cells["date"]: f"制表日期：{date.today().isoformat()}"}}


def _fill(book: str, sheet: str, rows) -> dict[str, SheetFill]:
    proto, totals = tpl.rows_of(book, sheet)
    fit, wrap = tpl.layout_of(book, sheet)
    return {sheet: SheetFill(rows, proto, totals, fit=fit, wrap=wrap)}


def _read_rosters(paths, say):
    tables = []
    for p in paths:
        say(f"读取认定名单 {p} …")
        t = read_export(p, columns=ROSTER_COLUMNS, what=f"认定名单 {Path(p).name} ")
        require_columns(t, ROSTER_REQUIRED)
        tables.append(t)
    return tables


def _read_payments(path, say):
    say(f"读取缴费记录 {path} …")
    t = read_export(path, columns=PAYMENT_COLUMNS, what=f"缴费记录 {Path(path).name} ")
    require_columns(t, PAYMENT_REQUIRED)
    return t


def _check_output(path: Path, args) -> None:
    """An output may be replaced only with --force, never while open (lock file), and never when it is one of
    this run's inputs (a roster, the payments, last month's 表二)."""
    check_output(path, args.force)
    given = [*args.rosters, args.payments, *([args.previous_mobilisation] if getattr(args, "previous_mobilisation", None)
                                             else [])]
    if path.exists() and any(Path(g).exists() and os.path.samefile(path, g) for g in given):
        raise FileError(f"输出文件不能是输入文件本身：{path}；请换一个输出文件夹")


def _read_counts(tables) -> tuple[int, int]:
    """(data rows read, blank/合计 rows skipped) of the tables."""
    return sum(len(t.rows) for t in tables), sum(len(t.skipped) for t in tables)


def _counts_line(what: str, read: int, used: int, rejected: int, skipped: int) -> str:
    return (f"{what}：读入 {read:,} 行 = 采用 {used:,} + 异常 {rejected:,}"
            + (f"（另有空行/合计行 {skipped:,} 行未计入）" if skipped else ""))


# ------------------------------------------------------------------------------------------------ enrol
def enrol(args) -> int:
    started = time.monotonic()
    say = _say(args.quiet)
    book = default_book()
    region = book.region(args.region)
    year = args.year
    settings = load_settings(args.settings or os.environ.get("YIBAO_SETTINGS") or None, known_regions=set(book.regions))
    out = _out_dir(args.out)
    paths = {book_name: out / f"{name}.xlsx" for book_name, name in OUTPUTS.items()}
    for p in paths.values():
        _check_output(p, args)  # before any work
    compare_out = _out_dir(args.compare, "--compare") if getattr(args, "compare", None) else None
    if compare_out is not None and compare_out.resolve() == out.resolve():
        raise FileError("--compare 应为另一个文件夹（比对结果按部门发回，与表一、表二分开）")

    tables = _read_rosters(args.rosters, say)
    pay_table = _read_payments(args.payments, say)
    previous = None
    if args.previous_mobilisation:
        say(f"读取上月表二 {args.previous_mobilisation} …")
        previous = mobilisation.read_previous(args.previous_mobilisation)

    persons: dict[str, Person] = {}
    roster_rejects: list[Reject] = []
    known: dict[str, str] = {}  # raw ID text → person key, validated once for rosters and payments
    used = read_rosters(tables, region, year, persons, roster_rejects, known)
    pay_rejects: list[Reject] = []
    payments = read_payments(pay_table, region, pay_rejects, known)
    roster_read, pay_read = _read_counts(tables), _read_counts([pay_table])
    del tables, pay_table, known  # the raw rows are now people and payments: free them before the big writes
    by_key = defaultdict(list)
    for p in payments:
        by_key[p.key].append(p)
    if compare_out is not None:  # the 比对 workbooks are named after the departments: checked before any work
        depts = {s.department for person in persons.values() for s in person.spells}
        named, total = compare_paths(compare_out, depts)
        for p in [*named.values(), total]:
            _check_output(p, args)

    say(f"计算 {len(persons):,} 人 …")
    assessor = Assessor(Engine(settings=settings), region.name, year)
    clerk = previous.clerk if previous else {}
    years = [py for k, person in persons.items()
             if (py := assessor.assess(person, by_key.get(k, ()), clerk.get(k))) is not None]
    years.sort(key=lambda py: (py.person.township, py.person.village, py.person.key))
    period = args.period or _period(payments, year)
    unit = args.unit or ""
    title = lambda b: tpl.TITLES[b].replace("{地区}", region.full_name)  # noqa: E731

    say(f"写出 {out} …")
    rejects = roster_rejects + pay_rejects + (previous.rejected if previous else [])
    t1 = list(table1.rows(years, region.name, year))
    write_workbook(tpl.template_path(tpl.TABLE1), paths[tpl.TABLE1],
                   {**_fill(tpl.TABLE1, "表一", t1), **_fill(tpl.TABLE1, "异常", table1.anomaly_rows(rejects, years))},
                   _texts(tpl.TABLE1, "表一", title(tpl.TABLE1), unit, period), force=args.force)
    t2, changes = mobilisation.rows(years, previous, period)
    write_workbook(tpl.template_path(tpl.TABLE2), paths[tpl.TABLE2],
                   {**_fill(tpl.TABLE2, "表二", t2), **_fill(tpl.TABLE2, "变动情况", changes)},
                   _texts(tpl.TABLE2, "表二", title(tpl.TABLE2), unit, period), force=args.force)
    write_workbook(tpl.template_path(tpl.REASONABLE), paths[tpl.REASONABLE],
                   _fill(tpl.REASONABLE, "合理化未参保", mobilisation.reasonable_rows(years)),
                   _texts(tpl.REASONABLE, "合理化未参保", title(tpl.REASONABLE), unit, period), force=args.force)
    req = list(requests.rows(years, args.batch))
    write_workbook(tpl.template_path(tpl.REQUESTS), paths[tpl.REQUESTS], _fill(tpl.REQUESTS, "代缴请款明细", req),
                   _texts(tpl.REQUESTS, "代缴请款明细", title(tpl.REQUESTS), unit, period), force=args.force)
    from ..rules.enrolment import targets
    write_workbook(tpl.template_path(tpl.COVERAGE), paths[tpl.COVERAGE],
                   _fill(tpl.COVERAGE, "参保率", coverage.rows(years, targets(assessor.ctx))),
                   _texts(tpl.COVERAGE, "参保率", title(tpl.COVERAGE), unit, period), force=args.force)

    status = {s: sum(1 for py in years if py.status == s) for s in (ENROLLED, REASONABLE, UNENROLLED)}
    errors = sum(1 for py in years if py.error)
    report = [f"完成：{out}（{'、'.join(p.name for p in paths.values())}）",
              _counts_line("认定名单", roster_read[0], used, len(roster_rejects), roster_read[1]),
              _counts_line("缴费记录", pay_read[0], len(payments), len(pay_rejects), pay_read[1])]
    if previous:
        report.append(_counts_line("上月表二", previous.rows_read, previous.rows_read - len(previous.rejected),
                                   len(previous.rejected), 0) + f"；变动 {len(changes):,} 条")
    report.append(f"{year}年度应参保 {len(years):,} 人 = 已参保 {status[ENROLLED]:,}（表一 {len(t1):,}）+ 合理未参保 "
                  f"{status[REASONABLE]:,} + 未参保 {status[UNENROLLED]:,}（表二）；无法计算资助 {errors:,} 人（见「异常」）")
    subsidy = sum(py.subsidy for py in years if py.status == ENROLLED and not py.error)
    fund = sum(py.subsidy for py in years if py.status == ENROLLED and py.route == FUND and not py.error)
    report.append(f"资助金额 {format_yuan(subsidy)} 元；代缴请款 {len(req):,} 人 {format_yuan(fund)} 元")
    if rejects:
        report.append(f"异常行见 {paths[tpl.TABLE1].name} 的工作表「异常」，共 {len(rejects) + errors:,} 行")

    if compare_out is not None:  # the same people, read once: as `yibao compare --region R --year Y` would
        del years, t1, t2, changes, req, by_key, assessor  # the 表一…参保率 rows are written: free them first
        done, lines = write_compare(compare_out, persons, payments, year, region, roster_rejects, pay_rejects, args,
                                    say)
        report += [done, *lines]
    for line in report:
        print(line)
    if settings.example:
        print("注意：设置文件为示例数字（example = true），金额不可用于正式报送。")
    print(f"用时 {time.monotonic() - started:.1f} 秒")
    return 0


def _period(payments, year: int) -> str:
    months = [p.pay_date for p in payments if p.year == year]
    if not months:
        return f"{year}年度"
    last = max(months)
    return f"{last.year}-{last.month:02d}"


# ------------------------------------------------------------------------------------------------ compare
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def compare(args) -> int:
    started = time.monotonic()
    say = _say(args.quiet)
    book = default_book()
    region = book.region(args.region) if args.region else None
    out = _out_dir(args.out)
    tables = _read_rosters(args.rosters, say)
    pay_table = _read_payments(args.payments, say)
    rejects: list[Reject] = []
    known: dict[str, str] = {}  # raw ID text → person key, validated once for payments and rosters
    payments = read_payments(pay_table, region, rejects, known)
    year = args.year or max((p.year for p in payments), default=None)
    if year is None:
        raise FileError("缴费记录中没有可用的记录（全部被拒绝或为空），无法比对")
    persons: dict[str, Person] = {}
    roster_rejects: list[Reject] = []
    used = read_rosters(tables, region, year, persons, roster_rejects, known)
    roster_read, pay_read = _read_counts(tables), _read_counts([pay_table])
    del tables, pay_table, known  # the raw rows are now people and payments
    done, lines = write_compare(out, persons, payments, year, region, roster_rejects, rejects, args, say)
    print(done)
    print(_counts_line("认定名单", roster_read[0], used, len(roster_rejects), roster_read[1]))
    print(_counts_line("缴费记录", pay_read[0], len(payments), len(rejects), pay_read[1]))
    for line in lines:
        print(line)
    print(f"用时 {time.monotonic() - started:.1f} 秒")
    return 0


def compare_paths(out: Path, departments) -> tuple[dict[str, Path], Path]:
    """({department: its 比对结果 workbook}, 比对汇总) in ``out``."""
    paths = {d: out / f"比对结果_{_UNSAFE.sub('_', d)}.xlsx" for d in sorted(departments) if d != cmp.NO_LIST}
    return paths, out / "比对汇总.xlsx"


def write_compare(out: Path, persons: dict[str, Person], payments: list, year: int, region, roster_rejects: list[Reject],
                  rejects: list[Reject], args, say) -> tuple[str, list[str]]:
    """比对 of people already read → one workbook per department + 比对汇总 in ``out``. Returns the console's
    完成 line and the lines per department (`yibao compare`, and `yibao enrol --compare`, which reads its
    inputs once for both)."""
    detail, summary = cmp.compare(persons, payments, year)
    period = args.period or f"{year}年度"
    note = ""
    if region is not None:
        view = Engine().ctx_for_year(region.name, year).view
        a, b = view.get("compare.list_due_day"), view.get("compare.fix_due_day")
        if a and b:
            note = f"名单每月{a.value}日前报送，修正结果每月{b.value}日前反馈〔{a.citation}〕"
    depts = sorted(summary)
    paths, total_path = compare_paths(out, depts)
    for p in [*paths.values(), total_path]:
        _check_output(p, args)

    def summary_row(d):
        s = summary[d]
        return (d, s["rows"], s["people"], s["ok"], *(s[o] for o in cmp.OUTCOMES), note)

    def numbered(rows):
        return [(i, *r) for i, r in enumerate(rows, 1)]

    title = lambda d: tpl.TITLES[tpl.COMPARE].replace("{部门}", d)  # noqa: E731
    say(f"写出 {out} …")
    bad = roster_rejects + rejects
    anomaly = lambda rs: [(r.source, r.row, r.name, r.id_number, r.reason) for r in rs]  # noqa: E731
    for d, path in paths.items():
        mine = numbered(r for r in detail if r[0] == d)
        theirs = [r for r in roster_rejects if department_of(Path(r.source)) == d]
        write_workbook(tpl.template_path(tpl.COMPARE), path,
                       {**_fill(tpl.COMPARE, "比对结果", mine), **_fill(tpl.COMPARE, "汇总", [summary_row(d)]),
                        **_fill(tpl.COMPARE, "异常", anomaly(theirs))},
                       _texts(tpl.COMPARE, "比对结果", title(d), args.unit or "", period), force=args.force)
    write_workbook(tpl.template_path(tpl.COMPARE), total_path,
                   {**_fill(tpl.COMPARE, "比对结果", numbered(detail)),
                    **_fill(tpl.COMPARE, "汇总", [summary_row(d) for d in depts]),
                    **_fill(tpl.COMPARE, "异常", anomaly(bad))},
                   _texts(tpl.COMPARE, "比对结果", title("各部门"), args.unit or "", period), force=args.force)
    lines = []
    for d in depts:
        s = summary[d]
        found = "，".join(f"{o} {s[o]:,}" for o in cmp.OUTCOMES if s[o])
        lines.append(f"  {d}：名单 {s['rows']:,} 行，一致 {s['ok']:,}" + (f"；{found}" if found else ""))
    if roster_rejects or rejects:
        lines.append(f"异常 {len(bad):,} 行（无法识别的证件号码、日期等）见 {total_path.name} 的工作表「异常」")
    return f"完成：{out}（{len(paths)} 个部门的比对结果 + {total_path.name}）", lines


__all__ = ["enrol", "compare"]
