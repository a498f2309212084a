"""`yibao monitor`: read → the ledger's computation → one sheet per list (by 乡镇) + 告知单 / 说明."""
from __future__ import annotations

import time
from collections import Counter

from xlsx_templates.finance import Money, Table, save, workbook
from ..ledgers.compute import compute
from ..ledgers.run import _progress, _reject_guard
from ..reconcile.run import prepare
from .lists import lists

HEADERS = ["乡镇", "村（居）", "姓名", "证件号码", "人员类别", "适用身份", "首次达到月份", "首次结算ID", "触发依据",
           "触发金额", "监测线", "达到次数", "年度累计个人自付（至最后一次结算）", "依据"]

# what each region's lists are for, shown on the sheet
NOTES = {
    "西秀": "区医保发〔2021〕40号 一(五)、二(八)：按月预警，对医疗自负费用过高的人员定期书面告知区乡村振兴部门（原区扶贫办）。",
    "赣州": "赣市医保字〔2021〕37号 三(六)：脱贫人口年度累计自负超过上年全省农村居民人均可支配收入50%的纳入因病返贫监测；"
            "农村居民超过100%的纳入因病致贫监测。",
    "龙岩": "龙政办规〔2022〕14号 二(一)1 第五类条件(1)、二(七)3：前12个月政策范围内个人自付达到或超过上年度居民人均"
            "可支配收入。第五类另两项条件（家庭人均收入低于低保边缘标准、家庭财产符合低保边缘条件）由民政部门核实，"
            "本表不作判断；预警信息推送同级民政、乡村振兴部门。",
}


def run(args) -> int:
    started = time.monotonic()
    region, settings, out, table, previous, say = prepare(args)
    outcome = compute(table, region, settings, previous, _progress(args.quiet), consume=True)
    if not getattr(args, "allow_rejects", False):
        _reject_guard(outcome)
    entries, problems = lists(outcome)
    note = NOTES.get(region.name, "")
    tables = []
    names = sorted({e.list_name for e in entries})
    overview_rows = []
    for name in names:
        mine = [e for e in entries if e.list_name == name]
        by_town = Counter(e.township or "（未填）" for e in mine)
        for town, n in sorted(by_town.items()):
            overview_rows.append([name, town, n])
        rows = [[e.township or "（未填）", e.village, e.name, e.id_number, e.category or "普通参保人", e.identity,
                 e.first_month, e.first_settlement, e.basis, Money(e.trigger),
                 Money(e.line) if e.line is not None else "", e.hits, Money(e.running), e.citation] for e in mine]
        tables.append(Table(name[:31], f"{region.name} {name} 名单（按乡镇）", HEADERS, rows,
                            [["合计", "", f"{len(rows)} 人"] + [""] * (len(HEADERS) - 3)], [note],
                            widths={3: 20, 13: 30}))
    total = len(entries)
    summary = Table("总览", f"{region.name} 因病返贫致贫监测与高额费用预警名单总览", ["名单", "乡镇", "人数"],
                    overview_rows, [["合计", "", total]],
                    [note, f"读入结算行 {outcome.rows_read:,} = 计入 {len(outcome.lines):,} + 异常 {len(outcome.rejected):,}；"
                           "同一人同一名单只列一次（首次达到的月份与金额）。"] + [f"未能判断：{p}" for p in problems])
    if region.name == "西秀" and entries:
        notice_rows = [[e.township or "（未填）", e.village, e.name, e.id_number, e.category or "普通参保人",
                        e.first_month, Money(e.trigger), e.list_name] for e in
                       sorted(entries, key=lambda e: (e.township, e.village, e.first_date))]
        tables.append(Table("告知单", "西秀区 医疗自负费用过高人员告知单（送区乡村振兴局）",
                            ["乡镇", "村（居）", "姓名", "证件号码", "人员类别", "首次达到月份", "单次自付", "预警类别"],
                            notice_rows, [["合计", "", f"{len(notice_rows)} 人", "", "", "", "", ""]],
                            ["依据 区医保发〔2021〕40号 二(八)：对医疗自负费用过高的人员等相关信息定期书面告知。"],
                            widths={3: 20}))
    anomalies = Table("异常", f"{region.name} 未计入的行", ["源行", "结算ID", "姓名", "原因"],
                      [[r.source_row, r.settlement_id, r.name, r.reason] for r in outcome.rejected], [], widths={3: 60})
    wb, _ = workbook([summary, *tables, anomalies])
    say(f"写出 {out} …")
    save(wb, out, args.force)
    print(f"完成：{out}")
    print(f"读入结算行 {outcome.rows_read:,} = 计入 {len(outcome.lines):,} + 异常 {len(outcome.rejected):,}"
          f"（另有空行/合计行 {len(outcome.skipped):,} 行未计入）")
    print("名单：" + ("；".join(f"{n} {sum(1 for e in entries if e.list_name == n)} 人" for n in names) or "无人达到监测线"))
    for p in problems:
        print(f"未能判断：{p}")
    if settings.example:
        print("注意：设置文件为示例数字（example = true），名单不可用于正式报送。")
    print(f"用时 {time.monotonic() - started:.1f} 秒")
    return 0
