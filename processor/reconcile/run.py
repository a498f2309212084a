"""`yibao reconcile`: read the export → the ledger's computation + the paid columns → the finance workbook."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from ..book import default_book
from ..errors import FileError, InputError
from ..io.mask import mask_text
from ..io.reader import read_export, require_columns
from ..io.xlsx_splice import check_output, make_folder
from ..ledgers.normalise import REQUIRED_COLUMNS
from ..ledgers.previous import check_months, read_previous_all
from ..ledgers.run import _check_out, _first_settlement, _progress, _reject_guard
from ..money import format_yuan
from ..settings import load_settings
from .compute import EXPORT_KEYS, reconcile


def prepare(args):
    """What every report command does first: book, region, settings, output checks, the export read."""
    book = default_book()
    region = book.region(args.region)
    settings = load_settings(args.settings or os.environ.get("YIBAO_SETTINGS") or None, known_regions=set(book.regions))
    out = Path(args.out)
    args.template = None
    args.previous = getattr(args, "previous", None)
    _check_out(out, args)
    check_output(out, args.force)
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr))
    say(f"读取 {args.input} …")
    table = read_export(args.input)
    require_columns(table, REQUIRED_COLUMNS)
    previous = read_previous_all(args.previous, region) if args.previous else None
    if previous:
        check_months(previous, *_first_settlement(table))
    make_folder(out.parent)
    return region, settings, out, table, previous, say


def run(args) -> int:
    from xlsx_templates.finance import save
    from .report import build
    started = time.monotonic()
    region, settings, out, table, previous, say = prepare(args)
    present = set(table.mapping.values())
    if not any(k in present for k in EXPORT_KEYS.values()):
        raise InputError("结算导出中没有任何基金支付列（大病保险支付、医疗救助基金、倾斜救助、政府兜底），无法对账")
    roster = read_roster(Path(args.roster)) if getattr(args, "roster", None) else None
    subsidies = None
    if bool(getattr(args, "requests", None)) != bool(getattr(args, "payments", None)):
        raise InputError("资助请款核对需要同时给出 --requests（代缴请款明细）和 --payments（缴费记录）")
    if getattr(args, "requests", None):
        from .subsidies import reconcile_subsidies
        say(f"读取 {args.requests}、{args.payments} …")
        subsidies = reconcile_subsidies(Path(args.requests), Path(args.payments), region)
    rec = reconcile(table, region, settings, previous, _progress(args.quiet), roster)
    if not getattr(args, "allow_rejects", False):
        _reject_guard(rec.outcome)
    wb, _tables, month = build(rec, region.name, args.period, args.unit, settings.example, subsidies)
    say(f"写出 {out} …")
    save(wb, out, args.force)
    in_month = [d for d in rec.differences if f"{d.line.row.claim.settled_on:%Y-%m}" == month]
    ytd = [d for d in rec.differences if f"{d.line.row.claim.settled_on:%Y-%m}" <= month]
    print(f"完成：{out}")
    print(f"读入结算行 {rec.rows_read:,} = 对账 {len(rec.outcome.lines):,} + 异常 {len(rec.rejected):,}"
          f"（另有空行/合计行 {len(rec.outcome.skipped):,} 行未计入）")
    print(f"对账基金：{'、'.join(rec.funds)}；所属期 {month}：差异 {len(in_month):,} 笔，"
          f"差额合计 {format_yuan(sum(d.diff for d in in_month))} 元；年度累计差异 {len(ytd):,} 笔，"
          f"差额合计 {format_yuan(sum(d.diff for d in ytd))} 元")
    if subsidies is not None:
        lines, rejects = subsidies
        off = [ln for ln in lines if ln.outcome != "一致"]
        print(f"资助请款：{len(lines):,} 人，不一致 {len(off):,} 人，差额合计 {format_yuan(sum(ln.diff for ln in off))} 元"
              f"（工作表「资助对账」）" + (f"；请款/缴费文件中无法读取的行 {len(rejects):,} 行" if rejects else ""))
    if rec.rejected:
        print(f"异常行见工作表「异常」，共 {len(rec.rejected):,} 行")
    if settings.example:
        print("注意：设置文件为示例数字（example = true），按政策金额不可用于正式报送。")
    print(mask_text(f"用时 {time.monotonic() - started:.1f} 秒"))
    return 0


def read_roster(path: Path) -> dict[str, str]:
    """证件号码 (or 人员编号) → 人员类别 from a roster file read by the same safe reader; rows whose
    ID does not check are left out (the reconciliation then does not compare that person)."""
    from ..io.ids import person_of
    table = read_export(path)
    if "category" not in set(table.mapping.values()):
        raise FileError(f"人员名册缺少「人员类别」列：{path}")
    out: dict[str, str] = {}
    for raw in table.rows:
        try:
            key = person_of(raw.values).key
        except InputError:
            continue
        v = raw.values.get("category")
        out[key] = "" if v is None else str(v).strip()
    return out
