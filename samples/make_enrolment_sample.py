"""Make the bundled enrolment samples: identity rosters of the recognising departments and the year's
payment records for one township (synthetic people, seeded, valid GB 11643 check digits).

    python samples/make_enrolment_sample.py                 # samples/<地区>_认定名单_<部门>.xlsx, <地区>_缴费记录.xlsx
    python samples/make_enrolment_sample.py --people 100000 --region 西秀 --out DIR   # for bench/bench_enrol.py

Every department and identity of the region; recognitions and cancellations within the year (低保 →
特困); unenrolled people; reasonably unenrolled ones (职工医保, 异地参保, 服兵役 with 佐证材料); people on
two departments' lists and twice on one; a subsidised payment after the identity ended; two subsidised
records of one person; a bad ID; a title row and a 合计 row as real exports have them.
"""
from __future__ import annotations

import argparse
import random
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"

# region: year, address code, township, villages, contribution (yuan), {department: [(category text, person pays)]}
REGIONS = {
    "西秀": dict(year=2022, code="520402", town="旧州镇", contribution=320, payment_area="安顺市西秀区",
                 elsewhere="贵阳市云岩区",
                 depts={"民政": [("特困人员", 0), ("低保对象", 220), ("低收入家庭老年人", 320)],
                        "乡村振兴": [("脱贫户", 220), ("脱贫不稳定户", 220), ("边缘易致贫户", 320),
                                    ("返贫致贫人口", 320), ("易地扶贫搬迁移民", 320)],
                        "残联": [("低收入家庭重度残疾人", 320)]}),
    "龙岩": dict(year=2023, code="350802", town="小池镇", contribution=380, payment_area="龙岩市新罗区",
                 elsewhere="厦门市思明区",
                 depts={"民政": [("特困供养人员", 0), ("孤儿", 0), ("低保对象", 38), ("低保边缘户", 380),
                                ("因病致贫重病患者", 380)],
                        "乡村振兴": [("脱贫户", 38), ("返贫致贫人口", 38), ("脱贫不稳定户", 38), ("边缘易致贫户", 38),
                                    ("突发严重困难户", 38)],
                        "退役军人": [("重点优抚对象", 0)], "卫健": [("计划生育特殊家庭成员", 0)],
                        "残联": [("重度残疾人", 0)]}),
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红梅建国志强海燕文"
VILLAGES = ["大寨村", "小屯村", "河湾村", "新联村", "石板村", "龙井村", "坝区村", "高坡村", "田坝村", "山脚村"]


def id_number(rng: random.Random, code: str, seen: set) -> str:
    while True:
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 27000))
        body = f"{code}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
        number = body + _CHECK[sum(int(c) * w for c, w in zip(body, _WEIGHTS)) % 11]
        if number not in seen:
            seen.add(number)
            return number


def make(region: str, people: int, out: Path, seed: int = 20220110) -> list[Path]:
    from openpyxl import Workbook

    cfg = REGIONS[region]
    year, rng, seen = cfg["year"], random.Random(seed), set()
    start = date(year, 1, 1)
    rosters: dict[str, list[list]] = {d: [] for d in cfg["depts"]}
    payments: list[list] = []
    dept_names = list(cfg["depts"])

    def day(a: date, b: date) -> date:
        return a + timedelta(days=rng.randrange(0, (b - a).days + 1))

    def pay(name, number, on, amount, area=None, scheme="城乡居民基本医疗保险", category=""):
        payments.append([name, number, year, scheme, on, amount, area or cfg["payment_area"], category])

    for i in range(people):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
        number = id_number(rng, cfg["code"], seen)
        village = VILLAGES[i % len(VILLAGES)]
        dept = rng.choice(dept_names)
        cat, pays = rng.choice(cfg["depts"][dept])
        recognised = day(date(year - 4, 1, 1), date(year - 1, 12, 31))
        ended = None
        r = rng.random()
        row = lambda d, c, rec, end, reason="", evidence="": rosters[d].append(  # noqa: E731
            [cfg["town"], village, name, number, c, rec, end, reason, evidence])
        if r < 0.06:  # recognised within the year
            recognised = day(start, date(year, 9, 30))
        elif r < 0.09 and "民政" in rosters:  # 低保 → 特困 within the year (two rows of 民政)
            change = day(date(year, 3, 1), date(year, 8, 31))
            dept, cat, pays = "民政", cfg["depts"]["民政"][1][0], cfg["depts"]["民政"][1][1]
            row("民政", cat, recognised, change - timedelta(days=1))
            cat, pays, recognised = cfg["depts"]["民政"][0][0], cfg["depts"]["民政"][0][1], change
        elif r < 0.11:  # ended within the year
            ended = day(date(year, 2, 1), date(year, 11, 30))
        reason = evidence = ""
        s = rng.random()
        if s < 0.02:
            reason, evidence = "服兵役", f"入伍通知书（{year}年）"
        elif s < 0.03:
            reason = "外出务工"
        row(dept, cat, recognised, ended, reason, evidence)
        if rng.random() < 0.04:  # on a second department's list too
            other = rng.choice([d for d in dept_names if d != dept])
            row(other, rng.choice(cfg["depts"][other])[0], recognised, None)
        if rng.random() < 0.005:  # twice on the same list
            row(dept, cat, recognised, ended)
        # payments
        if s < 0.03:
            continue  # unenrolled (reasonable with evidence, or to be mobilised)
        t = rng.random()
        on = day(date(year - 1, 9, 1), date(year, 1, 31)) if rng.random() < 0.85 else day(start, date(year, 11, 30))
        if t < 0.06:
            continue  # unenrolled
        if t < 0.08:
            pay(name, number, on, 0, scheme="职工基本医疗保险")
        elif t < 0.10:
            pay(name, number, on, cfg["contribution"], area=cfg["elsewhere"])
        elif t < 0.13:
            pay(name, number, on, cfg["contribution"], category=cat if pays < cfg["contribution"] else "")
        else:
            pay(name, number, on, pays, category=cat if pays < cfg["contribution"] else "")
            if t > 0.995:  # subsidised twice: a second place
                pay(name, number, on + timedelta(days=20), pays, area=cfg["elsewhere"], category=cat)
        if ended is not None and rng.random() < 0.3:  # subsidised after the identity ended
            payments[-1][4] = max(payments[-1][4], ended + timedelta(days=10))
            payments[-1][7] = payments[-1][7] or cat
    for k in range(people // 10):  # ordinary insured people of the township
        pay(rng.choice(SURNAMES) + rng.choice(GIVEN), id_number(rng, cfg["code"], seen), day(date(year - 1, 9, 1),
            date(year, 1, 31)), cfg["contribution"])
    first = next(iter(rosters))
    body = cfg["code"] + "198001010012"[:11]
    wrong = "0" if _CHECK[sum(int(c) * w for c, w in zip(body, _WEIGHTS)) % 11] != "0" else "1"
    rosters[first].append([cfg["town"], VILLAGES[0], "错号", body + wrong, "低保对象", date(year - 2, 5, 1),
                           None, "", ""])  # wrong check digit → 异常

    out.mkdir(parents=True, exist_ok=True)
    written = []
    headers = ["乡镇", "村", "姓名", "证件号码", "人员类别", "认定日期", "取消日期", "未参保原因", "佐证材料"]
    for dept, rows in rosters.items():
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("认定名单")
        ws.append([f"{region}{cfg['town']}{dept}部门认定名单（合成样例）"])
        ws.append(headers)
        for r in rows:
            ws.append(r)
        ws.append(["合计", None, f"{len(rows)}人"])
        path = out / f"{region}_认定名单_{dept}.xlsx"
        _save(wb, path)
        written.append(path)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("缴费记录")
    ws.append(["姓名", "证件号码", "参保年度", "险种", "缴费日期", "个人缴费金额", "参保地", "代缴类别"])
    for r in payments:
        ws.append(r)
    path = out / f"{region}_缴费记录.xlsx"
    _save(wb, path)
    written.append(path)
    return written


def _save(wb, path: Path) -> None:
    """Fixed document dates and zip timestamps: the samples are byte-stable."""
    import io

    from xlsx_templates.build import _reproducible
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(_reproducible(buf.getvalue()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--region", choices=sorted(REGIONS))
    ap.add_argument("--people", type=int, default=3000)
    ap.add_argument("--out", default=str(HERE))
    ap.add_argument("--seed", type=int, default=20220110)
    a = ap.parse_args()
    for region in ([a.region] if a.region else REGIONS):
        for p in make(region, a.people, Path(a.out), a.seed):
            print(p)


if __name__ == "__main__":
    main()
