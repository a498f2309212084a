"""Make the bundled sample exports: a synthetic year of settlements for one county per region.

    python samples/make_sample.py            # writes samples/<地区>_结算导出.xlsx (checked in)
    python samples/make_sample.py --rows N --out big.xlsx --region 阳城   # for benchmarks

Synthetic people only (names from a fixed list, ID numbers with a fake region code 999 and
a valid check digit). Every identity and kind of the region appears, plus a reversal, a
duplicate 结算ID, a bad row, a blank row and a 合计 row, as real exports have them.
"""
from __future__ import annotations

import argparse
import random
import sys
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

HEADERS = ["结算ID", "姓名", "证件号码", "人员类别", "镇街", "村（居）", "医疗类别", "是否转诊", "就诊医疗机构名称",
           "医疗机构等级", "入院日期", "出院日期", "结算日期", "医疗费总额", "全自费金额", "符合范围金额",
           "统筹基金支出", "目录外费用", "医疗救助基金"]

REGIONS = {
    "阳城": dict(year=2022, towns=["凤城镇", "北留镇", "润城镇", "町店镇", "芹池镇"],
                 categories=["特困人员", "低保对象", "低保户", "返贫致贫人口", "脱贫不稳定户", "边缘户", "脱贫户",
                             "五保", "低保、返贫致贫人口", "", "", ""],
                 kinds=["住院", "住院", "住院", "门诊慢特病", "门诊特药", "普通门诊"]),
    "赣州": dict(year=2022, towns=["赣县区梅林镇", "于都县贡江镇", "兴国县潋江镇", "宁都县梅江镇"],
                 categories=["特困人员", "低保户", "返贫致贫人口", "脱贫不稳定户", "边缘户", "低保边缘户",
                             "因病支出型困难家庭患者", "突发严重困难户", "脱贫户", "低保、边缘户", "", ""],
                 kinds=["住院", "住院", "住院", "门诊慢特病", "普通门诊"]),
    "龙岩": dict(year=2023, towns=["新罗区", "永定区", "上杭县", "长汀县"],
                 categories=["特困供养人员", "孤儿", "重度残疾人", "低保对象", "监测户", "脱贫户", "低保边缘",
                             "因病致贫重病患者", "重度残疾人、低保对象", "", ""],
                 kinds=["住院", "住院", "门诊慢特病", "门诊特药", "普通门诊"]),
    "西秀": dict(year=2022, towns=["新安街道", "七眼桥镇", "大西桥镇", "旧州镇"],
                 categories=["特困人员", "脱贫户", "低保户", "边缘户", "易地搬迁人口", "低保、脱贫户", "", ""],
                 kinds=["住院", "住院", "门诊慢特病", "普通门诊"]),
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国志强春梅金凤海燕小红德明"
HOSPITALS = [("县人民医院", "县级二类及三类"), ("县中医院", "县级二类及三类"), ("市人民医院", "省市级二类"),
             ("省人民医院", "一类"), ("乡镇卫生院", "县级二类及三类")]


def fake_id(rng: random.Random, born: date) -> str:
    body = f"999{rng.randint(100, 999)}{born:%Y%m%d}{rng.randint(100, 999)}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]
    return body + check


def yuan(fen: int) -> float:
    return round(fen / 100, 2)


def claims(region: str, people: int, rows: int, seed: int = 20221):
    cfg = REGIONS[region]
    rng = random.Random(seed)
    year = cfg["year"]
    persons = []
    for i in range(people):
        born = date(1940, 1, 1) + timedelta(days=rng.randint(0, 25000))
        persons.append(dict(name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), id=fake_id(rng, born),
                            cat=cfg["categories"][i % len(cfg["categories"])], town=rng.choice(cfg["towns"]),
                            village=f"{rng.choice('东南西北中')}{rng.choice('山水林田')}村"))
    out = []
    for n in range(rows):
        p = persons[rng.randrange(people)] if n >= people else persons[n]
        kind = cfg["kinds"][rng.randrange(len(cfg["kinds"]))]
        settled = date(year, 1, 1) + timedelta(days=rng.randint(0, 360))
        big = rng.random() < 0.08
        policy = rng.randint(200_00, 9000_00) if kind != "住院" else rng.randint(2000_00, 60000_00)
        if big:
            policy *= rng.randint(3, 8)
        basic = policy * rng.randint(45, 75) // 100
        self_funded = policy * rng.randint(0, 15) // 100
        out_cat = self_funded * rng.randint(0, 100) // 100 if kind == "住院" else 0
        hospital, klass = rng.choice(HOSPITALS)
        if region == "阳城" and kind == "住院" and n % 20 == 3:
            # one stay in twenty with out-of-catalog cost above the hospital's share (阳医保发〔2022〕2号 六:
            # 40 / 140 = 28.6% of the total, over 15% / 20%), so `yibao costcheck` shows something real
            self_funded = out_cat = policy * 40 // 100
        stay = rng.randint(2, 20)
        out.append([f"JS{year}{n + 1:07d}", p["name"], p["id"], p["cat"], p["town"], p["village"], kind,
                    "否" if rng.random() < 0.03 else "是", hospital, klass,
                    settled - timedelta(days=stay) if kind == "住院" else None, settled if kind == "住院" else None,
                    settled, yuan(policy + self_funded), yuan(self_funded), yuan(policy), yuan(basic),
                    yuan(out_cat), None])
    return out


def write(path: Path, region: str, data: list[list], specials: bool = True) -> None:
    from openpyxl import Workbook
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("结算明细")
    ws.append([f"{region} 医疗保障信息平台 结算明细导出（合成样例数据，非真实人员）"])
    ws.append(["导出时间：2023-01-05"])
    ws.append(HEADERS)
    rows = list(data)
    if specials:
        first = rows[5]
        reversal = list(first)
        for i in (13, 14, 15, 16, 17):
            reversal[i] = -reversal[i] if reversal[i] else reversal[i]
        reversal[12] = first[12] + timedelta(days=3)
        rows.append(reversal)                      # 冲销 of the 6th claim
        rows.insert(40, list(rows[20]))            # duplicate 结算ID
        bad = list(rows[30])
        bad[0] = bad[0] + "X"
        bad[15] = "一千二"                         # a non-numeric amount
        rows.insert(60, bad)
        rows.insert(80, [None] * len(HEADERS))     # blank row
    for r in rows:
        ws.append(r)
    if specials:
        ws.append(["合计", None, None, None, None, None, None, None, None, None, None, None, None,
                   round(sum(r[13] or 0 for r in rows if isinstance(r[13], float)), 2)])
    wb.save(path)


# 大病保险支付 is left out on purpose: with it, the ledger takes the export's 大病 (and a missing 大病 setting
# no longer rejects a row), which the sample fill tests pin; reconcile checks 大病 whenever an export has it.
PAID_HEADERS = ["医疗救助基金", "倾斜救助", "政府兜底"]


def with_paid(path: Path, region: str) -> list[str]:
    """Add the platform's paid fund columns to the export at ``path``: what the policy gives (the ledger's own
    computation, settings.example.toml), with planted differences on the last claim of a few persons (so no
    later claim of theirs is affected): returns what was planted, for the docs.

    Planted (the first person, in settlement order, whose last claim fits): one fen more 医疗救助; 医疗救助 paid
    as if the annual cap were not used up; as if the threshold were passed; paid as another identity;
    阳城: the 90% top-up missed; 200.00 of 政府兜底 on one claim."""
    from openpyxl import load_workbook
    from processor.book import default_book
    from processor.chain import settle
    from processor.io.reader import read_export
    from processor.ledgers.compute import compute
    from processor.reconcile.compute import _topped_up
    from processor.settings import load_settings
    from processor import identities as ids
    book = default_book()
    reg = book.region(region)
    settings = load_settings(str(HERE.parent / "settings.example.toml"), known_regions=set(book.regions))
    outcome = compute(read_export(path), reg, settings)
    paid = {}
    last = {}
    for ln in outcome.lines:
        r = ln.result
        paid[ln.row.source_row] = [r.assist, r.tilt or 0, 0]
        if not ln.row.reversal:
            last[ln.row.claim.person] = ln
    reversed_people = {ln.row.claim.person for ln in outcome.lines if ln.row.reversal}
    finals = [ln for ln in outcome.lines if last.get(ln.row.claim.person) is ln
              and ln.row.claim.person not in reversed_people]
    planted, used = [], set()

    def plant(what, test, change):
        for ln in finals:
            if ln.row.source_row in used:
                continue
            got = test(ln)
            if got is not None:
                change(ln, got)
                used.add(ln.row.source_row)
                planted.append(f"第{ln.row.source_row}行 {ln.row.claim.settlement_id}：{what}")
                return

    def counter(ln, **state):
        st = ln.state_after.minus(ln.result.delta)._replace(**state)
        ctx = outcome.views[ln.row.claim.settled_on]
        s = settle(ctx, ids.resolve(ctx.view, ln.row.category), ln.row.claim, st)
        return s if s.assist > ln.result.assist else None

    def set_assist(ln, s):
        paid[ln.row.source_row][0] = s.assist

    plant("医疗救助多付1分（舍入）", lambda ln: ln if ln.result.assist > 0 else None,
          lambda ln, _: paid[ln.row.source_row].__setitem__(0, ln.result.assist + 1))
    plant("医疗救助未按年度限额（年度限额已用完）", lambda ln: counter(ln, assist=0, tilt=0), set_assist)
    plant("医疗救助未扣起付标准（未达起付标准）", lambda ln: counter(ln, selfpay=10 ** 13, remaining=10 ** 13), set_assist)

    def other_identity(ln):
        ctx = outcome.views[ln.row.claim.settled_on]
        if ln.result.identity != ids.ORDINARY or ln.row.claim.kind != "住院":
            return None
        for other in ctx.view.priority:
            try:
                s = settle(ctx, (other,), ln.row.claim, ln.state_after.minus(ln.result.delta))
            except Exception:
                continue
            if s.assist > 0 and s.critical_computed is not None:
                return other, s
        return None

    def set_identity(ln, got):
        other, s = got
        paid[ln.row.source_row][:2] = [s.assist, s.tilt or 0]
    plant("按其他身份支付（身份不符）", other_identity, set_identity)

    def topup(ln):
        ctx = outcome.views[ln.row.claim.settled_on]
        st = ln.state_after.minus(ln.result.delta)
        return ln if _topped_up(ctx, ln.result, ln.row.claim, st) else None
    plant("漏付综合支付比例兜底（阳城 90%）", topup,
          lambda ln, _: paid[ln.row.source_row].__setitem__(0, ln.result.assist - 1000))
    plant("政府兜底 200.00 元（文件未给该项待遇）", lambda ln: ln, lambda ln, _: paid[ln.row.source_row].__setitem__(2, 20000))

    wb = load_workbook(path)
    ws = wb.worksheets[0]
    header_row = 3
    col0 = ws.max_column + 1
    existing = {ws.cell(header_row, c).value: c for c in range(1, ws.max_column + 1)}
    cols = []
    for h in PAID_HEADERS:
        if h in existing:
            cols.append(existing[h])
        else:
            ws.cell(header_row, col0, h)
            cols.append(col0)
            col0 += 1
    for source_row, amounts in paid.items():
        for c, v in zip(cols, amounts):
            ws.cell(source_row, c, v / 100)
    wb.save(path)
    return planted


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--region", choices=list(REGIONS))
    ap.add_argument("--rows", type=int)
    ap.add_argument("--people", type=int, default=400)
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    if args.rows:
        region = args.region or "阳城"
        write(Path(args.out or f"{region}_{args.rows}.xlsx"), region,
              claims(region, min(args.people, args.rows), args.rows), specials=False)
        return 0
    for region in ([args.region] if args.region else REGIONS):
        path = HERE / f"{region}_结算导出.xlsx"
        write(path, region, claims(region, args.people, 1500))
        print(path)
        for p in with_paid(path, region):
            print("  " + p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
