"""The reconciliation workbook: 总览 (with charts), 差异, 按基金, 按身份, 按乡镇, 按月, 异常.

Group-bys are pandas on int64 fen; each total sheet ends with a 合计 row (the sum of its rows) and a 核对
row (that 合计 minus the 按基金 year-to-date total: 0.00 on every column when the sheet balances).
"""
from __future__ import annotations

import pandas as pd

from openpyxl.styles import Font

from xlsx_templates.finance import Money, Table, _put, bar_chart, workbook
from .compute import Reconciliation

CAUSES_ORDER = ("身份不符", "身份与名册不一致", "年度限额已用完", "未达起付标准", "未按规定转诊", "舍入差1分",
                "漏付综合支付比例兜底", "文件未给该项待遇", "依申请项目", "原因待查")


def frame(rec: Reconciliation) -> pd.DataFrame:
    lines = rec.outcome.lines
    data = {
        "month": [f"{ln.row.claim.settled_on:%Y-%m}" for ln in lines],
        "identity": [ln.result.identity for ln in lines],
        "township": [ln.row.township or "（未填）" for ln in lines],
        "reversal": [ln.row.reversal for ln in lines],
    }
    for f in rec.funds:
        data[f"paid_{f}"] = pd.array([p[f] for p in rec.paid], dtype="int64")
        data[f"policy_{f}"] = pd.array([p[f] for p in rec.policy], dtype="int64")
    df = pd.DataFrame(data)
    if len(df) == 0:
        for f in rec.funds:
            df[f"paid_{f}"] = df[f"paid_{f}"].astype("int64")
            df[f"policy_{f}"] = df[f"policy_{f}"].astype("int64")
    return df


def period_of(df: pd.DataFrame, period: str | None) -> str:
    if period:
        return period
    return df["month"].max() if len(df) else ""


def build(rec: Reconciliation, region_name: str, period: str | None, unit: str = "", example: bool = False,
          subsidies=None):
    df = frame(rec)
    month = period_of(df, period)
    ytd = df[df["month"] <= month] if month else df
    cur = df[df["month"] == month]
    funds = list(rec.funds)
    diffs = [d for d in rec.differences if f"{d.line.row.claim.settled_on:%Y-%m}" <= month]
    notes = [f"所属期 {month}；年度累计为本年 1 月至 {month}。平台支付取自结算导出的基金列，按政策取自台账同一计算链（yibao fill）。"]
    if example:
        notes.append("注意：设置文件为示例数字（example = true），按政策金额不可用于正式报送。")

    # 按基金
    fund_rows = []
    ytd_total = {}
    for f in funds:
        m_paid, m_pol = int(cur[f"paid_{f}"].sum()), int(cur[f"policy_{f}"].sum())
        y_paid, y_pol = int(ytd[f"paid_{f}"].sum()), int(ytd[f"policy_{f}"].sum())
        ytd_total[f] = (y_paid, y_pol)
        n_m = sum(1 for d in diffs if d.fund == f and f"{d.line.row.claim.settled_on:%Y-%m}" == month)
        n_y = sum(1 for d in diffs if d.fund == f)
        fund_rows.append([f, Money(m_paid), Money(m_pol), Money(m_paid - m_pol), n_m,
                          Money(y_paid), Money(y_pol), Money(y_paid - y_pol), n_y])
    sums = [sum(r[i] for r in fund_rows) for i in range(1, 9)]
    fund_foot = [["合计", *[Money(s) if i not in (3, 7) else s for i, s in enumerate(sums)]]]
    diff_total = sum(d.diff for d in diffs)
    fund_foot.append(["核对：差异表差额合计 − 年度差额合计", "", "", "", "", "", "",
                      Money(diff_total - sums[6]), "平" if diff_total == sums[6] else "不平"])
    by_fund = Table("按基金", f"{region_name} 一站式结算 按基金对账", [
        "基金", "本月平台支付", "本月按政策", "本月差额", "本月差异笔数",
        "年度平台支付", "年度按政策", "年度差额", "年度差异笔数"], fund_rows, fund_foot, notes, flag_col=7)

    def grouped(key: str, name: str, label: str, source: pd.DataFrame) -> Table:
        cols = [f"paid_{f}" for f in funds]
        pol = [f"policy_{f}" for f in funds]
        g = source.groupby(key, sort=True)[cols + pol].sum()
        cnt = source.groupby(key, sort=True).size()
        rows = []
        for k in g.index:
            paid = [int(g.at[k, c]) for c in cols]
            policy = sum(int(g.at[k, c]) for c in pol)
            rows.append([k, int(cnt[k]), *map(Money, paid), Money(sum(paid)), Money(policy),
                         Money(sum(paid) - policy)])
        n = len(funds)
        total = [sum(r[i] for r in rows) for i in range(1, n + 5)]
        foot = [["合计", total[0], *map(Money, total[1:])]]
        expect_paid = [ytd_total[f][0] for f in funds]
        expect = [len(source), *expect_paid, sum(expect_paid), sum(p for _, p in ytd_total.values()),
                  sum(a - b for a, b in ytd_total.values())]
        check = [t - e for t, e in zip(total, expect)]
        foot.append(["核对：合计 − 按基金年度合计", check[0], *map(Money, check[1:])])
        headers = [label, "人次", *[f"{f}平台支付" for f in funds], "平台支付合计", "按政策合计", "差额"]
        return Table(name, f"{region_name} 一站式结算 {name}（年度累计至 {month}）", headers, rows, foot, notes)

    by_id = grouped("identity", "按身份", "适用身份", ytd)
    by_town = grouped("township", "按乡镇", "乡镇", ytd)
    by_month = grouped("month", "按月", "月份", ytd)

    # 差异
    diff_rows = []
    for d in sorted(diffs, key=lambda d: (d.line.row.claim.settled_on, d.line.row.source_row, funds.index(d.fund))):
        row = d.line.row
        diff_rows.append([f"{row.claim.settled_on:%Y-%m}", row.source_row, row.claim.settlement_id, row.name,
                          row.id_number, row.category or "普通参保人", d.line.result.identity, row.township,
                          row.claim.settled_on, d.fund, Money(d.paid), Money(d.policy), Money(d.diff), d.cause, d.detail])
    diff_foot = [["合计", len(diff_rows), "", "", "", "", "", "", "", "", Money(sum(d.paid for d in diffs)),
                  Money(sum(d.policy for d in diffs)), Money(diff_total), "", ""]]
    diff_table = Table("差异", f"{region_name} 一站式结算 基金支付与政策不一致的结算（年度累计至 {month}）", [
        "月份", "源行", "结算ID", "姓名", "证件号码", "人员类别", "适用身份", "乡镇", "结算日期", "基金",
        "平台支付", "按政策", "差额", "最可能的原因", "说明"], diff_rows, diff_foot,
        notes + ["差额 = 平台支付 − 按政策；相差 0.01 元也列出。原因由同一计算链改变一个条件重算得出（见 docs/finance.md）。"],
        widths={2: 16, 4: 20, 8: 12, 13: 18, 14: 48})

    # 总览
    by_cause = {}
    for d in diffs:
        c = by_cause.setdefault(d.cause, [0, 0, 0, 0])
        if f"{d.line.row.claim.settled_on:%Y-%m}" == month:
            c[0] += 1
            c[1] += d.diff
        c[2] += 1
        c[3] += d.diff
    overview_rows = [r[:] for r in fund_rows]
    overview = Table("总览", f"{region_name} 一站式结算 医保基金对账总览（{month}）",
                     by_fund.headers, overview_rows, fund_foot[:1], [
                         (f"{unit}　" if unit else "") + notes[0], *notes[1:],
                         f"读入结算行 {rec.rows_read:,} = 对账 {len(rec.outcome.lines):,} + 异常 {len(rec.rejected):,}"],
                     flag_col=7)
    cause_table = [[c, *v[:1], Money(v[1]), v[2], Money(v[3])] for c, v in
                   sorted(by_cause.items(), key=lambda kv: CAUSES_ORDER.index(kv[0]) if kv[0] in CAUSES_ORDER else 99)]

    anomalies = Table("异常", f"{region_name} 未能对账的行", ["源行", "结算ID", "姓名", "原因"],
                      [[r.source_row, r.settlement_id, r.name, r.reason] for r in rec.rejected]
                      + [[n, "", "", f"未计入：{why}"] for n, why in rec.outcome.skipped], [],
                      widths={3: 60})

    tables = [overview, diff_table, by_fund, by_id, by_town, by_month, anomalies]
    if subsidies is not None:
        tables.insert(6, subsidy_table(region_name, *subsidies))
    wb, sheets = workbook(tables)
    ws = sheets["总览"]
    r = overview.first_row + len(overview_rows) + len(overview.footer) + 2
    ws.cell(r, 1, "差异原因（笔数与差额）").font = Font(bold=True, size=11)
    heads = ["原因", "本月笔数", "本月差额", "年度笔数", "年度差额"]
    for c, h in enumerate(heads, 1):
        ws.cell(r + 1, c, h)
    for i, row in enumerate(cause_table or [["无差异", 0, Money(0), 0, Money(0)]]):
        _put(ws, r + 2 + i, row)
    chart_row = r + 3 + max(len(cause_table), 1)
    n = len(funds)
    bar_chart(ws, sheets["按月"], by_month, 0, list(range(2, 2 + n)), f"A{chart_row}",
              "各月基金支出（平台支付）")
    bar_chart(ws, sheets["按身份"], by_id, 0, list(range(2, 2 + n)), f"F{chart_row}",
              "按适用身份的基金支出（年度累计）", stacked=True)
    ws.column_dimensions["A"].width = 34
    return wb, tables, month


def subsidy_table(region_name: str, lines, rejects) -> Table:
    """资助对账: requested 代缴金额 against the payment records', per person; a 核对 row shows that the
    column totals' difference equals the sum of the listed differences."""
    rows = [[ln.key, ln.name, Money(ln.requested) if ln.requested is not None else "",
             Money(ln.recorded) if ln.recorded is not None else "", Money(ln.diff), ln.outcome]
            for ln in lines]
    req = sum(ln.requested or 0 for ln in lines)
    recd = sum(ln.recorded or 0 for ln in lines)
    listed = sum(ln.diff for ln in lines if ln.outcome != "一致")
    foot = [["合计", f"{len(lines):,} 人", Money(req), Money(recd), Money(req - recd), ""],
            ["核对：合计差额 − 不一致各行差额之和", "", "", "", Money(req - recd - listed),
             "平" if req - recd == listed else "不平"]]
    notes = ["代缴请款明细的代缴金额与参保缴费记录（本地城乡居民医保）的代缴金额逐人核对；"
             f"不一致 {sum(1 for ln in lines if ln.outcome != '一致'):,} 人。"]
    if rejects:
        notes.append(f"请款或缴费文件中无法读取的行 {len(rejects):,} 行：" + "；".join(
            f"{r.source} 第{r.row}行 {r.reason}" for r in rejects[:5]) + ("…" if len(rejects) > 5 else ""))
    return Table("资助对账", f"{region_name} 资助参保 代缴请款与缴费记录核对",
                 ["证件号码", "姓名", "请款代缴金额", "缴费记录代缴金额", "差额", "结论"], rows, foot, notes,
                 widths={0: 22, 5: 24}, flag_col=4)
