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
    return 0


if __name__ == "__main__":
    sys.exit(main())
