"""`yibao costcheck`: out-of-catalog cost control per hospital and per claim of the named groups.

- 阳城 阳医保发〔2022〕2号 六: 特困/低保/返贫致贫 (cost_control.groups) in-province stays; out-of-catalog share
  against 30% / 20% / 15% by the hospital's fee class; the excess "均由医疗机构承担" (the rule
  rules.assistance.out_of_catalog_within_share, the same the chain uses for 医疗机构承担).
- 赣州 赣市医保字〔2021〕37号 四(八) and 西秀 区医保发〔2021〕40号 一(七): the groups' out-of-catalog cost over
  their total cost per hospital against 10% (cost_control.share_line); 赣州 also the share of the groups'
  visits in hospitals within the city (cost_control.local_visit_rate, 90%).

The hospital list (医疗机构名称, 收费标准类别, 是否省内, 是否市域内) is read by the same safe reader; a bad row
is reported on 名单问题 and left out.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from xlsx_templates.finance import Money, Pct, Table, save, workbook
from ..errors import FileError, InputError
from ..flags import parse_flag
from ..identities import tags
from ..io.reader import read_export
from ..ledgers.compute import compute
from ..ledgers.run import _progress, _reject_guard
from ..money import format_yuan
from ..reconcile.run import prepare
from ..rules.assistance import out_of_catalog_within_share


@dataclass
class Hospital:
    name: str
    klass: str
    in_province: bool
    in_city: bool | None


def read_hospitals(path: Path) -> tuple[dict[str, Hospital], list[list]]:
    """name → Hospital, and the bad rows as [源行, 医疗机构名称, 原因]."""
    if not Path(path).is_file():
        raise FileError(f"医疗机构名单不存在：{path}")
    try:
        table = read_export(path)
    except FileError as err:  # the export was read before it: say which file this is
        raise FileError(f"医疗机构名单 {Path(path).name}：{err.message}") from None
    if "hospital" not in set(table.mapping.values()):
        raise FileError(f"医疗机构名单缺少「医疗机构名称」列：{path}")
    out: dict[str, Hospital] = {}
    bad: list[list] = []
    for raw in table.rows:
        v = raw.values
        name = "" if v.get("hospital") is None else str(v["hospital"]).strip()
        try:
            if not name:
                raise InputError("缺少医疗机构名称")
            if name in out:
                raise InputError("医疗机构名称重复，只用第一行")
            klass = "" if v.get("hospital_class") is None else str(v["hospital_class"]).strip()
            in_prov = parse_flag(v.get("in_province"), "是否省内")
            in_city = None if v.get("in_city") in (None, "") else parse_flag(v.get("in_city"), "是否市域内")
        except InputError as err:
            bad.append([raw.source_row, name, err.message])
            continue
        out[name] = Hospital(name, klass, in_prov, in_city)
    return out, bad


def run(args) -> int:
    started = time.monotonic()
    region, settings, out, table, _previous, say = prepare(args)
    hospitals, bad = read_hospitals(Path(args.hospitals))
    outcome = compute(table, region, settings, None, _progress(args.quiet), consume=True)
    if not getattr(args, "allow_rejects", False):
        _reject_guard(outcome)
    per_h: dict[str, dict] = {}
    claims_over: list[list] = []
    unknown: dict[str, int] = {}
    local = [0, 0]  # group visits in city, group visits with a known location
    lines_used = 0
    for ln in outcome.lines:
        row, res = ln.row, ln.result
        claim = row.claim
        if row.reversal:
            continue
        ctx = outcome.views[claim.settled_on]
        groups = ctx.view.get("cost_control.groups")
        line_p = ctx.view.get("cost_control.share_line")
        line_groups = ctx.view.get("cost_control.share_line_groups")
        mine = tags(ctx.view, res.identity)
        in_groups = (groups is not None and res.identity in groups.value) or \
                    (line_groups is not None and bool(mine & set(line_groups.value)))
        if not in_groups:
            continue
        h = hospitals.get(row.hospital)
        if h is None:
            unknown[row.hospital or "（未填）"] = unknown.get(row.hospital or "（未填）", 0) + 1
        in_prov = h.in_province if h is not None else claim.in_province
        if ctx.view.get("cost_control.local_visit_rate") is not None and h is not None and h.in_city is not None:
            local[1] += 1
            local[0] += h.in_city
        if not in_prov:
            continue
        lines_used += 1
        stat = per_h.setdefault(row.hospital or "（未填）", dict(klass=(h.klass if h else claim.hospital_class),
                                                             n=0, total=0, ooc=0, over=0, excess=0, limit=None))
        stat["n"] += 1
        stat["total"] += claim.total_cost
        stat["ooc"] += claim.out_of_catalog
        share = Decimal(claim.out_of_catalog) / claim.total_cost if claim.total_cost else Decimal(0)
        limit = None
        excess = 0
        if groups is not None and res.identity in groups.value and claim.kind == "住院":
            klass = stat["klass"]
            try:
                within, _step = out_of_catalog_within_share(ctx, claim.out_of_catalog, claim.total_cost, klass)
                limit = ctx.view.get("assistance.out_of_catalog_share").value[klass]
                excess = claim.out_of_catalog - within
            except InputError as err:
                bad.append(["", row.hospital, f"结算 {claim.settlement_id}：{err.message}"])
                continue
        elif line_p is not None:
            limit = line_p.value
        stat["limit"] = limit
        if limit is not None and share > limit:
            stat["over"] += 1
            stat["excess"] += excess
            claims_over.append([row.hospital, stat["klass"], claim.settlement_id, row.name, row.id_number,
                                res.identity, claim.settled_on, Money(claim.total_cost), Money(claim.out_of_catalog),
                                Pct(share), Pct(limit), Money(excess) if excess else ""])
    h_rows = []
    for name, s in sorted(per_h.items()):
        share = Decimal(s["ooc"]) / s["total"] if s["total"] else Decimal(0)
        flag = "超过" if s["limit"] is not None and share > s["limit"] else ""
        h_rows.append([name, s["klass"], s["n"], Money(s["total"]), Money(s["ooc"]), Pct(share),
                       Pct(s["limit"]) if s["limit"] is not None else "", flag, s["over"], Money(s["excess"])])
    foot = [["合计", "", sum(r[2] for r in h_rows), Money(sum(r[3] for r in h_rows)), Money(sum(r[4] for r in h_rows)),
             "", "", "", sum(r[8] for r in h_rows), Money(sum(r[9] for r in h_rows))]]
    notes = {"阳城": "阳医保发〔2022〕2号 六：特困人员、低保对象、返贫致贫人口省内住院目录外费用不得超过总费用的 一类30%、"
                     "省市级二类20%、县级二类及三类15%，超过部分由医疗机构承担。",
             "赣州": "赣市医保字〔2021〕37号 四(八)：省域内定点医疗机构农村低收入人口目录外费用占比不超过10%；设区市市域内就诊率不低于90%。",
             "西秀": "区医保发〔2021〕40号 一(七)：脱贫人口医疗费用目录外费用控制在10%以内。"}.get(region.name, "")
    summary_notes = [notes, f"读入结算行 {outcome.rows_read:,} = 计入 {len(outcome.lines):,} + 异常 {len(outcome.rejected):,}；"
                            f"纳入控费统计的省内结算 {lines_used:,} 笔"]
    if local[1]:
        rate = Decimal(local[0]) / local[1]
        target = ctx.view.get("cost_control.local_visit_rate").value
        summary_notes.append(f"市域内就诊率：{local[0]:,}/{local[1]:,} = {rate:.2%}（不低于 {target:.0%}："
                             f"{'达到' if rate >= target else '未达到'}）")
    if unknown:
        summary_notes.append(f"不在医疗机构名单中的机构 {len(unknown)} 家（{sum(unknown.values())} 笔），按导出的医疗机构等级/是否省内计")
    by_h = Table("按医疗机构", f"{region.name} 目录外费用控制 按医疗机构", [
        "医疗机构", "收费标准类别", "结算笔数", "医疗费总额", "目录外费用", "目录外占比", "控制比例", "是否超过",
        "超比例结算笔数", "医疗机构承担（超比例部分）"], h_rows, foot, summary_notes, widths={0: 24}, flag_col=7)
    over = Table("超比例结算", f"{region.name} 目录外费用超过控制比例的结算", [
        "医疗机构", "收费标准类别", "结算ID", "姓名", "证件号码", "适用身份", "结算日期", "医疗费总额", "目录外费用",
        "目录外占比", "控制比例", "医疗机构承担"], claims_over,
        [["合计", "", f"{len(claims_over)} 笔", "", "", "", "", "", "", "", "",
          Money(sum(int(r[11]) for r in claims_over if r[11] != ""))]], [notes], widths={0: 24, 4: 20})
    problems = Table("名单问题", "医疗机构名单中的问题行", ["源行", "医疗机构名称", "原因"], bad + [
        ["", n, f"不在名单中（{c} 笔结算）"] for n, c in sorted(unknown.items())], [], widths={1: 24, 2: 50})
    anomalies = Table("异常", f"{region.name} 未计入的行", ["源行", "结算ID", "姓名", "原因"],
                      [[r.source_row, r.settlement_id, r.name, r.reason] for r in outcome.rejected], [], widths={3: 60})
    wb, _ = workbook([by_h, over, problems, anomalies])
    say(f"写出 {out} …")
    save(wb, out, args.force)
    print(f"完成：{out}")
    print(f"读入结算行 {outcome.rows_read:,} = 计入 {len(outcome.lines):,} + 异常 {len(outcome.rejected):,}"
          f"（另有空行/合计行 {len(outcome.skipped):,} 行未计入）")
    print(f"医疗机构 {len(h_rows)} 家，超过控制比例 {sum(1 for r in h_rows if r[7])} 家；超比例结算 {len(claims_over)} 笔，"
          f"医疗机构承担 {format_yuan(int(foot[0][9]))} 元；名单问题 {len(bad)} 行")
    for s in summary_notes[2:]:
        print(s)
    print(f"用时 {time.monotonic() - started:.1f} 秒")
    return 0
