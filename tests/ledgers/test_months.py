"""`yibao fill` over a hand-made year, run as two months (January–June, then July–December with
--previous) and as one whole-year run, for 赣州 2022, 西秀 2022, 龙岩 2023 and 阳城 2022.

Every expected 大病保险, 医疗救助, 倾斜救助, 个人自付 and year-to-date figure below is worked out by
hand from the document's clause (the arithmetic is in the comment above the row), never copied from
the tool's output. The settings are round test figures written to a TOML per region (not official).

Reading of a row: cost = (医疗费总额, 符合范围金额, 统筹基金支出); "amount" = 符合范围金额 − 统筹基金支出
(what 大病保险 applies to); "selfpay" = amount − 大病 (what 医疗救助 applies to); 个人自付 = 医疗费总额 −
统筹 − 大病 − 救助 − 倾斜; ytd = (年度累计个人自付, 年度累计医疗救助) after the row.

Readings the hand numbers rely on (where a document leaves room):
- 龙岩 without referral: 二(四)2 takes away 医疗救助 only; 二(三)'s 大病 tilt has no referral condition,
  so the tilted 大病 stays (赣州 四(八) takes away the 大病 tilt as well: ordinary 大病).
- Outpatient kinds (门诊慢特病/门诊特药) are given only to persons whose year stays below the 大病
  deductible, so whether they count toward 大病 does not change any amount. A kind the region's 医疗救助
  does not cover (赣州 门诊特药) gets no 救助, and its self-pay does not count toward the 救助 threshold
  or the 倾斜 line (the chain's reading; only the 年度累计 sheet's columns show it).
- 赣州 倾斜救助 二(三)3(4) is computed on the year's post-three-tier in-policy self-pay above the line
  (the policy file's reading); the case here has the 救助 cap used up before the line is crossed.
- A reversal repeats the original's 结算ID with negated amounts; a 结算ID already used (also one reversed
  since) is a duplicate.
"""
from __future__ import annotations

import contextlib
import io
import re
import sys
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
from xlsx_templates.build import SHEET_ROWS
import pytest

from processor.cli import main
from xlsx_templates.build import INFO_CELLS, LEDGER_COLUMNS, STATE_COLUMNS

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/ledgers for the export builder
import exports  # noqa: E402


def Y(yuan) -> int:
    """Yuan as written in the comments (int or decimal text) → int fen."""
    return int(Decimal(str(yuan)) * 100)


def D(text: str) -> date:
    return date.fromisoformat(text)


# ============================================================================ the year's rows
@dataclass(frozen=True)
class Person:
    name: str
    idno: str
    category: str        # the export's 人员类别 text
    identity: str        # 适用身份 the ledger must show
    township: str
    village: str = "一村"


@dataclass(frozen=True)
class Claim:
    """A row that must be written to the ledger, with its hand-computed results (fen)."""
    sid: str
    who: Person
    on: date
    total: int
    policy: int
    basic: int
    crit: int
    assist: int
    tilt: int | None     # None: the region does not compute 倾斜救助 (cell left empty)
    final: int
    ytd_final: int
    ytd_assist: int
    monitor: str = ""
    kind: str = "住院"
    referral: str = "是"
    province: str | None = None
    identity: str | None = None
    reversal: bool = False

    @property
    def shown_identity(self) -> str:
        return self.identity or self.who.identity

    def export(self) -> dict:
        p = self.who
        row = {"结算ID": self.sid, "姓名": p.name, "证件号码": p.idno, "人员类别": p.category, "镇街": p.township,
               "村（居）": p.village, "医疗类别": self.kind, "是否转诊": self.referral, "就诊医疗机构名称": "县人民医院",
               "结算日期": self.on, "医疗费总额": self.total / 100, "符合范围金额": self.policy / 100,
               "统筹基金支出": self.basic / 100}
        if self.kind == "住院":
            row["入院日期"] = self.on.replace(day=1)
            row["出院日期"] = self.on
        if self.province is not None:
            row["是否省内"] = self.province
        return row

    def delta(self, spec: "Spec") -> tuple[int, ...]:
        """What the row adds to the person's year (the 年度累计 sheet's seven columns). The 医疗救助
        threshold and the 倾斜救助 line count only the self-pay of kinds this row's identity is assisted
        for, and only when referred where the region requires it (spec.assisted, written out by hand
        from the clauses; 赣市医保字〔2021〕37号 二(三)3(1)③④ "住院发生的", 龙政办规〔2022〕14号 二(四)2)."""
        base = self.policy - self.basic
        selfpay = base - self.crit
        counted = (self.kind in spec.assisted and self.who.identity in spec.assisted[self.kind]
                   and (self.referral == "是" or not spec.referral_required))
        if not counted:
            return (base, self.crit, 0, self.assist, 0, self.tilt or 0, self.final)
        return (base, self.crit, selfpay, self.assist, selfpay - self.assist, self.tilt or 0, self.final)


@dataclass(frozen=True)
class Rejected:
    """A row that must go to 异常 and never into the ledger."""
    values: dict
    reason: str                  # expected text of 原因 (for a duplicate: filled in per run)
    dup_of: Claim | None = None  # a repeated 结算ID: the claim it repeats


BLANK = exports.BLANK


def claim(sid, who, on, cost, *, crit, assist, tilt, final, ytd, monitor="", kind="住院", referral="是",
          province=None, identity=None) -> Claim:
    total, policy, basic = cost
    return Claim(sid, who, D(on), Y(total), Y(policy), Y(basic), Y(crit), Y(assist),
                 None if tilt is None else Y(tilt), Y(final), Y(ytd[0]), Y(ytd[1]), monitor, kind, referral,
                 province, identity)


def reversal(of: Claim, on, *, ytd) -> Claim:
    """The platform's reversal row: the original's 结算ID with every amount negated; its results are the
    original's negated (chain.reverse); ytd is worked out by hand."""
    return replace(of, on=D(on), total=-of.total, policy=-of.policy, basic=-of.basic, crit=-of.crit,
                   assist=-of.assist, tilt=None if of.tilt is None else -of.tilt, final=-of.final,
                   ytd_final=Y(ytd[0]), ytd_assist=Y(ytd[1]), monitor="", reversal=True)


def dup(of: Claim, on=None) -> Rejected:
    values = of.export()
    if on is not None:
        values["结算日期"] = D(on)
    return Rejected(values, "", of)


def bad(sid, who: Person, on, column: str, text: str, reason: str) -> Rejected:
    values = {"结算ID": sid, "姓名": who.name, "证件号码": who.idno, "人员类别": who.category, "镇街": who.township,
              "医疗类别": "住院", "是否转诊": "是", "结算日期": D(on), "医疗费总额": 1200, "符合范围金额": 1200,
              "统筹基金支出": 600}
    values[column] = text
    return Rejected(values, reason)


@dataclass
class Spec:
    region: str
    ledger: str
    year: int
    settings: list[tuple[str, int, str]]
    month1: list            # January–June: Claim | Rejected | BLANK
    month2: list            # July–December
    assisted: dict[str, frozenset[str]]  # kind → the identities the region's 医疗救助 assists for it
    referral_required: bool = False      # unreferred costs get no 医疗救助 and do not count toward it
    extra_headers: tuple[str, ...] = ()

    def claims(self) -> list[Claim]:
        return [x for x in self.month1 + self.month2 if isinstance(x, Claim)]


# ---------------------------------------------------------------------------- 赣州 2022
def ganzhou() -> Spec:
    """赣市医保字〔2021〕37号. Settings: 赣州 2021 城乡居民人均可支配收入 40,000; 全省农村 2021 20,000.
    二(三)2 大病: deductible 40,000 × 50% = 20,000, 60%, cap 300,000; 特困/低保/返贫致贫 (referred):
    deductible 10,000, 65%, no cap. 二(三)3(1) 救助: ① 特困 100%; ② 低保/返贫致贫 75%, cap 50,000;
    ③ 脱贫不稳定/边缘易致贫/低保边缘 60% above 40,000 × 10% = 4,000 (yearly), cap 30,000; ④ 因病突发/
    因病支出型 50% above 10,000, cap 20,000. 二(三)3(4) 倾斜: 75% of the yearly post-three-tier self-pay
    above 40,000, cap 50,000. 四(八): no referral → ordinary 大病, no 救助, no 倾斜. 三(六): 脱贫人口 yearly
    个人自付 > 10,000 → 因病返贫监测; anyone > 20,000 → 因病致贫监测."""
    P1 = Person("张低保", "360702198001010016", "低保对象", "低保对象", "红旗镇")
    P2 = Person("李返贫", "360702197502020023", "返贫致贫户", "返贫致贫人口", "红旗镇", "二村")
    P3 = Person("王边缘", "360702196003030038", "边缘户", "边缘易致贫人口", "沙河镇")
    P4 = Person("赵双份", "36070219900404008X", "因病支出型困难家庭患者、低保对象", "低保对象", "沙河镇", "三村")
    P5 = Person("陈普通", "360702198505050054", "", "普通参保人", "水西镇")

    # 二(三)2 ②: amount 6,000 below the tilted deductible 10,000 → 大病 0; 二(三)3(1)② 6,000 × 75% = 4,500;
    # 倾斜: post-tier 1,500 < 40,000 → 0; 个人自付 10,000 − 3,000 − 4,500 = 2,500; ytd (2,500, 4,500)
    p1a = claim("GZ-P1-1", P1, "2022-02-10", (10000, 9000, 3000), crit=0, assist=4500, tilt=0, final=2500,
                ytd=(2500, 4500))
    # 二(三)2: amount 18,000, year 6,000 + 18,000 = 24,000 crosses the deductible: (24,000 − 10,000) × 65%
    # = 9,100; selfpay 8,900 × 75% = 6,675; 个人自付 40,000 − 20,000 − 9,100 − 6,675 = 4,225;
    # ytd (2,500 + 4,225 = 6,725, 4,500 + 6,675 = 11,175)
    p1b = claim("GZ-P1-2", P1, "2022-04-08", (40000, 38000, 20000), crit=9100, assist=6675, tilt=0, final=4225,
                ytd=(6725, 11175))
    # 四(八) not referred: ordinary 大病 on the year 24,000 → 27,000: (27,000 − 20,000) × 60% − (24,000 −
    # 20,000) × 60% = 4,200 − 2,400 = 1,800 (the tilt would give 1,950); no 救助, no 倾斜;
    # 个人自付 5,000 − 2,000 − 1,800 = 1,200; ytd (7,925, 11,175)
    p1c = claim("GZ-P1-3", P1, "2022-11-05", (5000, 5000, 2000), crit=1800, assist=0, tilt=0, final=1200,
                ytd=(7925, 11175), referral="否")

    # 二(三)2: (60,000 − 10,000) × 65% = 32,500; selfpay 27,500 × 75% = 20,625; post-tier 6,875 → 倾斜 0;
    # 个人自付 120,000 − 50,000 − 32,500 − 20,625 = 16,875 (≤ 20,000: not monitored); ytd (16,875, 20,625)
    p2a = claim("GZ-P2-1", P2, "2022-03-05", (120000, 110000, 50000), crit=32500, assist=20625, tilt=0,
                final=16875, ytd=(16875, 20625))
    # year 60,000 → 180,000: (180,000 − 10,000) × 65% = 110,500 − 32,500 = 78,000; selfpay 42,000 × 75% =
    # 31,500 but the cap leaves 50,000 − 20,625 = 29,375 → 29,375 (cap reached in this claim);
    # post-tier 12,625, year 19,500 < 40,000 → 倾斜 0; 个人自付 200,000 − 80,000 − 78,000 − 29,375 = 12,625;
    # ytd (29,500 > 20,000 → 三(六)2 因病致贫监测, 50,000)
    p2b = claim("GZ-P2-2", P2, "2022-08-03", (200000, 200000, 80000), crit=78000, assist=29375, tilt=0,
                final=12625, ytd=(29500, 50000), monitor="因病致贫监测")
    # reversal of March's claim (in last month's ledger): −32,500, −20,625, −16,875; the year goes back to
    # 大病 base 120,000, 救助 29,375 (20,625 of the cap freed); ytd (29,500 − 16,875 = 12,625, 29,375)
    p2r = reversal(p2a, "2022-09-01", ytd=(12625, 29375))
    # year 120,000 → 200,000: (200,000 − 10,000) × 65% − (120,000 − 10,000) × 65% = 123,500 − 71,500 =
    # 52,000; selfpay 28,000 × 75% = 21,000, the freed cap leaves 50,000 − 29,375 = 20,625 → 20,625;
    # post-tier 7,375, year 12,625 + 7,375 = 20,000 < 40,000 → 0; 个人自付 120,000 − 40,000 − 52,000 −
    # 20,625 = 7,375; ytd (20,000 — not above 20,000, not monitored; 50,000)
    p2c = claim("GZ-P2-3", P2, "2022-10-10", (120000, 120000, 40000), crit=52000, assist=20625, tilt=0,
                final=7375, ytd=(20000, 50000))
    # year 200,000 → 290,000: 280,000 × 65% − 123,500 = 58,500; selfpay 31,500, 救助 cap used up → 0;
    # 二(三)3(4): post-tier year 20,000 + 31,500 = 51,500, above 40,000: 11,500 × 75% = 8,625;
    # 个人自付 150,000 − 60,000 − 58,500 − 0 − 8,625 = 22,875; ytd (42,875 → 因病致贫监测, 50,000)
    p2d = claim("GZ-P2-4", P2, "2022-12-01", (150000, 150000, 60000), crit=58500, assist=0, tilt=8625,
                final=22875, ytd=(42875, 50000), monitor="因病致贫监测")

    # 边缘易致贫: ordinary 大病 (deductible 20,000): amount 2,500 → 0; 二(三)3(1)③ year selfpay 2,500 ≤
    # 4,000 → 0; 个人自付 5,000 − 2,000 = 3,000; ytd (3,000, 0)
    p3a = claim("GZ-P3-1", P3, "2022-01-15", (5000, 4500, 2000), crit=0, assist=0, tilt=0, final=3000,
                ytd=(3000, 0))
    # 门诊特药: 二(三)3 gives 救助 for 住院 and 门诊慢特病 only → 0, and (the chain's reading) its self-pay
    # does not count toward the ③ threshold; 大病 year 2,500 → 5,500 < 20,000 → 0; 倾斜 0;
    # 个人自付 4,000 − 1,000 = 3,000; ytd (6,000, 0)
    p3o = claim("GZ-P3-O", P3, "2022-03-20", (4000, 4000, 1000), crit=0, assist=0, tilt=0, final=3000,
                ytd=(6000, 0), kind="门诊特药")
    # 大病 year 9,500 < 20,000 → 0; ③ year selfpay (住院 only) 2,500 + 4,000 = 6,500 crosses 4,000:
    # (6,500 − 4,000) × 60% = 1,500; 个人自付 8,000 − 4,000 − 1,500 = 2,500; ytd (8,500, 1,500)
    p3b = claim("GZ-P3-2", P3, "2022-05-12", (8000, 8000, 4000), crit=0, assist=1500, tilt=0, final=2500,
                ytd=(8500, 1500))
    # the 门诊特药 claim reversed from last month's ledger: −3,000; the ③ threshold's year is unchanged
    # (6,500: the reversed claim never counted), 大病 base back to 6,500; ytd (5,500, 1,500)
    p3r = reversal(p3o, "2022-07-08", ytd=(5500, 1500))
    # 大病 year 6,500 → 24,500: (24,500 − 20,000) × 60% = 2,700; selfpay 15,300, ③ year 6,500 → 21,800 (all
    # above 4,000) × 60% = 9,180; post-tier year 5,000 + 6,120 < 40,000; 个人自付 30,000 − 12,000 − 2,700 −
    # 9,180 = 6,120; ytd (11,620, 10,680)
    p3c = claim("GZ-P3-3", P3, "2022-09-15", (30000, 30000, 12000), crit=2700, assist=9180, tilt=0, final=6120,
                ytd=(11620, 10680))

    # 五(十一) two identities, the higher one alone: 低保 gives 大病 (10,000 − 10,000) → 0 and 10,000 × 75% =
    # 7,500; 因病支出型 gives 0 and (10,000 above its 10,000 line: 0) → 0. 低保 wins.
    # 个人自付 20,000 − 8,000 − 7,500 = 4,500; ytd (4,500, 7,500)
    p4a = claim("GZ-P4-1", P4, "2022-03-18", (20000, 18000, 8000), crit=0, assist=7500, tilt=0, final=4500,
                ytd=(4500, 7500))
    # 低保: year 10,000 → 30,000: 20,000 × 65% = 13,000; 7,000 × 75% = 5,250 (total 18,250).
    # 因病支出型: ordinary (30,000 − 20,000) × 60% = 6,000; selfpay 14,000, year 10,000 + 14,000 above 10,000:
    # 14,000 × 50% = 7,000 (total 13,000). 低保 wins, never 13,000 + 6,000 or 5,250 + 7,000.
    # 个人自付 30,000 − 10,000 − 13,000 − 5,250 = 1,750; ytd (6,250, 12,750)
    p4b = claim("GZ-P4-2", P4, "2022-06-06", (30000, 30000, 10000), crit=13000, assist=5250, tilt=0, final=1750,
                ytd=(6250, 12750))

    # ordinary: (30,000 − 20,000) × 60% = 6,000; no 救助, no 倾斜; 个人自付 60,000 − 20,000 − 6,000 = 34,000
    # → 三(六)2 34,000 > 20,000 因病致贫监测; ytd (34,000, 0)
    p5a = claim("GZ-P5-1", P5, "2022-02-20", (60000, 50000, 20000), crit=6000, assist=0, tilt=0, final=34000,
                ytd=(34000, 0), monitor="因病致贫监测")
    # year 30,000 → 35,000: 5,000 × 60% = 3,000; 个人自付 10,000 − 5,000 − 3,000 = 2,000; ytd (36,000, 0)
    p5b = claim("GZ-P5-2", P5, "2022-03-25", (10000, 10000, 5000), crit=3000, assist=0, tilt=0, final=2000,
                ytd=(36000, 0), monitor="因病致贫监测")
    # reversal in the same month: −3,000, −2,000; ytd (34,000, 0), 大病 base back to 30,000
    p5r = reversal(p5b, "2022-04-20", ytd=(34000, 0))
    # the same claim again under a new ID sees the year as before March's: 30,000 → 35,000 → 3,000;
    # 个人自付 2,000; ytd (36,000 → 因病致贫监测, 0)
    p5c = claim("GZ-P5-3", P5, "2022-10-20", (10000, 10000, 5000), crit=3000, assist=0, tilt=0, final=2000,
                ytd=(36000, 0), monitor="因病致贫监测")

    month1 = [p3a, p1a, dup(p1a), p5a, p2a, BLANK, p4a, p3o, p5b,
              bad("GZ-BAD-1", P3, "2022-04-01", "符合范围金额", "一千二", "政策范围内费用不是数字：一千二"),
              p1b, p5r, p3b, p4b]
    month2 = [p2b, p3r, dup(p1b, "2022-07-20"), p2r, p3c, BLANK, p2c, p1c, p5c, dup(p5b, "2022-11-11"),
              bad("GZ-BAD-2", P1, "2022-12-15", "统筹基金支出", "约600", "基本医保支付不是数字：约600"), p2d]
    settings = [("disposable_income", 2021, "40000"), ("rural_income_province", 2021, "20000")]
    return Spec("赣州", "医疗救助台账", 2022, settings, month1, month2, {  # 二(三)3(1)–(3), 四(八)
        "住院": frozenset({"特困人员", "低保对象", "返贫致贫人口", "脱贫不稳定人口", "边缘易致贫人口", "低保边缘家庭人口",
                         "因病突发严重困难人口", "因病支出型困难家庭患者"}),
        "门诊慢特病": frozenset({"特困人员", "低保对象", "返贫致贫人口"})}, referral_required=True)


# ---------------------------------------------------------------------------- 西秀 2022
def xixiu() -> Spec:
    """区医保发〔2021〕40号 (表三 待遇台账). Settings 2022: ordinary 大病 deductible 10,000, 60%, cap 300,000;
    医疗救助 yearly limit 20,000. 一(四): 特困/脱贫人口/低保 大病 deductible 10,000 × 50% = 5,000, 60% + 5 =
    65%, no cap; 住院 救助 70% of the in-policy self-pay within the limit; no 倾斜救助 (cell empty).
    一(五)、二(八): one visit's 个人自付 above 4,000 (低收入人口) → 高额费用预警（低收入人口）; above 10,000
    (anyone) → 高额费用预警."""
    X1 = Person("刘脱贫", "520402198101010017", "脱贫户", "脱贫人口", "新安街道")
    X2 = Person("杨普通", "520402197702020021", "", "普通参保人", "新安街道", "二村")
    X3 = Person("吴双份", "520402196503030038", "边缘户、低保", "低保对象", "东关街道")
    X4 = Person("周特困", "520402195004040042", "特困人员", "特困人员", "东关街道", "三村")

    # 一(四): amount 4,000 < 5,000 → 大病 0; 4,000 × 70% = 2,800; 个人自付 8,000 − 3,000 − 2,800 = 2,200
    # (≤ 4,000: no warning); ytd (2,200, 2,800)
    x1a = claim("XX-X1-1", X1, "2022-01-12", (8000, 7000, 3000), crit=0, assist=2800, tilt=None, final=2200,
                ytd=(2200, 2800))
    # year 4,000 → 20,000: (20,000 − 5,000) × 65% = 9,750; 6,250 × 70% = 4,375; 个人自付 30,000 − 12,000 −
    # 9,750 − 4,375 = 3,875 (≤ 4,000); ytd (6,075, 7,175)
    x1b = claim("XX-X1-2", X1, "2022-03-09", (30000, 28000, 12000), crit=9750, assist=4375, tilt=None,
                final=3875, ytd=(6075, 7175))
    # year 20,000 → 80,000: 75,000 × 65% − 9,750 = 39,000; 21,000 × 70% = 14,700 but the limit leaves
    # 20,000 − 7,175 = 12,825 → 12,825; 个人自付 100,000 − 40,000 − 39,000 − 12,825 = 8,175 > 4,000 →
    # 高额费用预警（低收入人口）; ytd (14,250, 20,000)
    x1c = claim("XX-X1-3", X1, "2022-08-16", (100000, 100000, 40000), crit=39000, assist=12825, tilt=None,
                final=8175, ytd=(14250, 20000), monitor="高额费用预警（低收入人口）")
    # 5,000 × 65% = 3,250; limit used up → 救助 0; 个人自付 10,000 − 5,000 − 3,250 = 1,750; ytd (16,000, 20,000)
    x1d = claim("XX-X1-4", X1, "2022-11-02", (10000, 10000, 5000), crit=3250, assist=0, tilt=None, final=1750,
                ytd=(16000, 20000))

    # ordinary: (22,000 − 10,000) × 60% = 7,200; no 救助; 个人自付 40,000 − 14,000 − 7,200 = 18,800 > 10,000 →
    # 高额费用预警; ytd (18,800, 0)
    x2a = claim("XX-X2-1", X2, "2022-02-14", (40000, 36000, 14000), crit=7200, assist=0, tilt=None, final=18800,
                ytd=(18800, 0), monitor="高额费用预警")
    # year 22,000 → 28,000: 6,000 × 60% = 3,600; 个人自付 12,000 − 4,000 − 3,600 = 4,400: above 4,000 but an
    # ordinary person's line is 10,000 → no warning; ytd (23,200, 0)
    x2b = claim("XX-X2-2", X2, "2022-09-20", (12000, 10000, 4000), crit=3600, assist=0, tilt=None, final=4400,
                ytd=(23200, 0))

    # two identities: 低保 (20,000 − 5,000) × 65% = 9,750, 10,250 × 70% = 7,175 (16,925); 边缘人口 (no tilt,
    # no 救助 in 一(四)) (20,000 − 10,000) × 60% = 6,000 (6,000). 低保 alone; 个人自付 30,000 − 10,000 − 9,750
    # − 7,175 = 3,075; ytd (3,075, 7,175)
    x3a = claim("XX-X3-1", X3, "2022-04-06", (30000, 30000, 10000), crit=9750, assist=7175, tilt=None,
                final=3075, ytd=(3075, 7175))
    # 低保: 10,000 × 65% = 6,500, 3,500 × 70% = 2,450 (8,950) vs 边缘人口 10,000 × 60% = 6,000 → 低保;
    # 个人自付 20,000 − 8,000 − 6,500 − 2,450 = 3,050; ytd (6,125, 9,625)
    x3b = claim("XX-X3-2", X3, "2022-07-22", (20000, 18000, 8000), crit=6500, assist=2450, tilt=None,
                final=3050, ytd=(6125, 9625))

    # (8,000 − 5,000) × 65% = 1,950; 6,050 × 70% = 4,235; 个人自付 20,000 − 12,000 − 1,950 − 4,235 = 1,815
    x4a = claim("XX-X4-1", X4, "2022-02-25", (20000, 20000, 12000), crit=1950, assist=4235, tilt=None,
                final=1815, ytd=(1815, 4235))
    # year 8,000 → 20,000: 12,000 × 65% = 7,800; 4,200 × 70% = 2,940; 25,000 − 12,000 − 7,800 − 2,940 = 2,260
    x4b = claim("XX-X4-2", X4, "2022-05-10", (25000, 24000, 12000), crit=7800, assist=2940, tilt=None,
                final=2260, ytd=(4075, 7175))
    x4r2 = reversal(x4b, "2022-06-03", ytd=(1815, 4235))     # same month
    x4r1 = reversal(x4a, "2022-07-05", ytd=(0, 0))           # last month's ledger: the year back to nothing
    # year 0 → 30,000 (both earlier claims reversed): 25,000 × 65% = 16,250; 13,750 × 70% = 9,625 (full limit
    # available again); 个人自付 50,000 − 20,000 − 16,250 − 9,625 = 4,125 > 4,000 → 高额费用预警（低收入人口）
    x4c = claim("XX-X4-3", X4, "2022-09-08", (50000, 50000, 20000), crit=16250, assist=9625, tilt=None,
                final=4125, ytd=(4125, 9625), monitor="高额费用预警（低收入人口）")

    month1 = [x1a, x2a, BLANK, x4a, dup(x2a), x1b, x3a,
              bad("XX-BAD-1", X1, "2022-05-05", "统筹基金支出", "N/A", "基本医保支付不是数字：N/A"),
              x4b, x4r2]
    month2 = [x4r1, x3b, dup(x1b, "2022-08-01"), x1c, dup(x4b, "2022-08-20"), x4c, BLANK, x2b,
              bad("XX-BAD-2", X2, "2022-10-10", "医疗费总额", "待定", "医疗费总额不是数字：待定"), x1d]
    settings = [("critical_deductible", 2022, "10000"), ("critical_rate", 2022, "60%"),
                ("critical_cap", 2022, "300000"), ("assistance_cap", 2022, "20000")]
    return Spec("西秀", "待遇台账", 2022, settings, month1, month2,  # 一(四)
                {"住院": frozenset({"特困人员", "脱贫人口", "低保对象", "新识别建档立卡贫困人口"})})


# ---------------------------------------------------------------------------- 龙岩 2023
def longyan() -> Spec:
    """龙政办规〔2022〕14号. Settings: 龙岩 2022 居民人均可支配收入 40,000; 2023 医疗救助年度限额 40,000 (not
    below that income, 二(四)3); ordinary 大病 cap 200,000. 二(三): classes 1 and 3 deductible 6,500,
    6,500–100,000 65%, 100,000–150,000 70%, above 75%, no cap; ordinary 13,000 and 60/65/70%.
    二(四): classes 1–3 no threshold, class 4 above 40,000 × 10% = 4,000, class 5 above 10,000; rates 90% /
    70% / 70% / 60% / 50%; 住院 and 门诊特殊病种 share the limit; not referred → no 救助 (二(四)2, the only
    consequence the document gives: the 大病 tilt of 二(三) has no referral condition). 倾斜救助 依申请
    (二(五)): empty cell. No monitoring line."""
    L1 = Person("林低保", "350802198201010014", "低保对象", "第三类", "新罗区")
    L2 = Person("郑边缘", "350802197302020022", "低保边缘家庭成员", "第四类", "新罗区", "二村")
    L3 = Person("黄双份", "350802196403030030", "重度残疾人、低保户", "第三类", "永定区")
    L4 = Person("何特困", "350802195504040049", "特困人员", "第一类", "永定区", "三村")
    L5 = Person("邱普通", "350802199005050056", "", "普通参保人", "上杭县")

    # 二(三): amount 5,000 < 6,500 → 0; 二(四) 5,000 × 70% = 3,500 (below-deductible self-pay counts);
    # 个人自付 10,000 − 4,000 − 3,500 = 2,500; ytd (2,500, 3,500)
    l1a = claim("LY-L1-1", L1, "2023-01-10", (10000, 9000, 4000), crit=0, assist=3500, tilt=None, final=2500,
                ytd=(2500, 3500))
    # year 5,000 → 35,000 crosses 6,500: (35,000 − 6,500) × 65% = 18,525; 11,475 × 70% = 8,032.50;
    # 个人自付 50,000 − 20,000 − 18,525 − 8,032.50 = 3,442.50; ytd (5,942.50, 11,532.50)
    l1b = claim("LY-L1-2", L1, "2023-04-12", (50000, 50000, 20000), crit=18525, assist="8032.50", tilt=None,
                final="3442.50", ytd=("5942.50", "11532.50"))
    # year 35,000 → 155,000 over three bands: 93,500 × 65% + 50,000 × 70% + 5,000 × 75% = 60,775 + 35,000 +
    # 3,750 = 99,525, minus 18,525 = 81,000; 39,000 × 70% = 27,300 (year 38,832.50 ≤ 40,000);
    # 个人自付 200,000 − 80,000 − 81,000 − 27,300 = 11,700; ytd (17,642.50, 38,832.50)
    l1c = claim("LY-L1-3", L1, "2023-08-18", (200000, 200000, 80000), crit=81000, assist=27300, tilt=None,
                final=11700, ytd=("17642.50", "38832.50"))
    # 10,000 × 75% = 7,500; 2,500 × 70% = 1,750 but the limit leaves 40,000 − 38,832.50 = 1,167.50;
    # 个人自付 20,000 − 10,000 − 7,500 − 1,167.50 = 1,332.50; ytd (18,975, 40,000)
    l1d = claim("LY-L1-4", L1, "2023-10-09", (20000, 20000, 10000), crit=7500, assist="1167.50", tilt=None,
                final="1332.50", ytd=(18975, 40000))
    # 4,000 × 75% = 3,000; limit used up → 0; 个人自付 10,000 − 6,000 − 3,000 = 1,000; ytd (19,975, 40,000)
    l1e = claim("LY-L1-5", L1, "2023-12-04", (10000, 10000, 6000), crit=3000, assist=0, tilt=None, final=1000,
                ytd=(19975, 40000))

    # class 4, ordinary 大病 (13,000): 1,500 → 0; 救助 year 1,500 ≤ 4,000 → 0; 个人自付 1,500
    l2a = claim("LY-L2-1", L2, "2023-02-08", (3000, 3000, 1500), crit=0, assist=0, tilt=None, final=1500,
                ytd=(1500, 0), kind="门诊慢特病")
    # year 7,500 < 13,000 → 0; 救助 year 1,500 + 6,000 = 7,500, above 4,000: 3,500 × 60% = 2,100;
    # 个人自付 12,000 − 5,000 − 2,100 = 4,900; ytd (6,400, 2,100)
    l2b = claim("LY-L2-2", L2, "2023-05-16", (12000, 11000, 5000), crit=0, assist=2100, tilt=None, final=4900,
                ytd=(6400, 2100))
    # 门诊特殊病种, same threshold and limit (二(四)2): year 9,500 < 13,000 → 0; 2,000 × 60% = 1,200;
    # 个人自付 4,000 − 2,000 − 1,200 = 800; ytd (7,200, 3,300)
    l2c = claim("LY-L2-3", L2, "2023-09-21", (4000, 4000, 2000), crit=0, assist=1200, tilt=None, final=800,
                ytd=(7200, 3300), kind="门诊慢特病")

    # two identities (二(一)1 highest benefit): 第三类 (24,000 − 6,500) × 65% = 11,375, 12,625 × 70% = 8,837.50
    # (20,212.50); 第二类 (24,000 − 13,000) × 60% = 6,600, 17,400 × 70% = 12,180 (18,780). 第三类 alone;
    # 个人自付 40,000 − 16,000 − 11,375 − 8,837.50 = 3,787.50; ytd (3,787.50, 8,837.50)
    l3a = claim("LY-L3-1", L3, "2023-03-14", (40000, 40000, 16000), crit=11375, assist="8837.50", tilt=None,
                final="3787.50", ytd=("3787.50", "8837.50"))
    # 第三类 6,000 × 65% = 3,900, 2,100 × 70% = 1,470 (5,370); 第二类 (30,000 − 13,000) × 60% − 6,600 = 3,600,
    # 2,400 × 70% = 1,680 (5,280) → 第三类; 个人自付 15,000 − 9,000 − 3,900 − 1,470 = 630
    l3b = claim("LY-L3-2", L3, "2023-07-11", (15000, 15000, 9000), crit=3900, assist=1470, tilt=None, final=630,
                ytd=("4417.50", "10307.50"))

    # class 1: (15,000 − 6,500) × 65% = 5,525; 9,475 × 90% = 8,527.50; 个人自付 30,000 − 15,000 − 5,525 −
    # 8,527.50 = 947.50
    l4a = claim("LY-L4-1", L4, "2023-01-20", (30000, 30000, 15000), crit=5525, assist="8527.50", tilt=None,
                final="947.50", ytd=("947.50", "8527.50"))
    # year 15,000 → 20,000: 5,000 × 65% = 3,250; 1,750 × 90% = 1,575; 10,000 − 5,000 − 3,250 − 1,575 = 175
    l4b = claim("LY-L4-2", L4, "2023-03-03", (10000, 10000, 5000), crit=3250, assist=1575, tilt=None, final=175,
                ytd=("1122.50", "10102.50"))
    l4r2 = reversal(l4b, "2023-03-28", ytd=("947.50", "8527.50"))      # same month
    # not referred: 二(四)2 no 救助; 二(三)'s tilt stands: year 15,000 → 25,000: 10,000 × 65% = 6,500;
    # 个人自付 20,000 − 10,000 − 6,500 = 3,500; ytd (4,447.50, 8,527.50)
    l4c = claim("LY-L4-3", L4, "2023-07-06", (20000, 20000, 10000), crit=6500, assist=0, tilt=None, final=3500,
                ytd=("4447.50", "8527.50"), referral="否")
    # January's claim reversed from last month's ledger: ytd (4,447.50 − 947.50 = 3,500, 0); base 10,000
    l4r1 = reversal(l4a, "2023-09-12", ytd=(3500, 0))
    # year 10,000 → 25,000: 18,500 × 65% − 3,500 × 65% = 12,025 − 2,275 = 9,750; 5,250 × 90% = 4,725;
    # 个人自付 30,000 − 15,000 − 9,750 − 4,725 = 525; ytd (4,025, 4,725)
    l4d = claim("LY-L4-4", L4, "2023-11-15", (30000, 30000, 15000), crit=9750, assist=4725, tilt=None, final=525,
                ytd=(4025, 4725))

    # ordinary: (25,000 − 13,000) × 60% = 7,200; 个人自付 50,000 − 20,000 − 7,200 = 22,800
    l5a = claim("LY-L5-1", L5, "2023-06-19", (50000, 45000, 20000), crit=7200, assist=0, tilt=None, final=22800,
                ytd=(22800, 0))
    # year 25,000 → 165,000: 87,000 × 60% + 50,000 × 65% + 15,000 × 70% = 52,200 + 32,500 + 10,500 = 95,200,
    # minus 7,200 = 88,000 (cap 200,000 not reached); 个人自付 200,000 − 60,000 − 88,000 = 52,000
    l5b = claim("LY-L5-2", L5, "2023-12-20", (200000, 200000, 60000), crit=88000, assist=0, tilt=None,
                final=52000, ytd=(74800, 0))

    month1 = [l4a, l1a, dup(l1a), l2a, l4b, l3a, BLANK, l4r2, l1b, l2b,
              bad("LY-BAD-1", L2, "2023-06-01", "符合范围金额", "壹万", "政策范围内费用不是数字：壹万"), l5a]
    month2 = [l4c, l3b, dup(l1b, "2023-07-30"), l1c, l4r1, l2c, dup(l4b, "2023-10-01"), BLANK, l1d, l4d,
              bad("LY-BAD-2", L5, "2023-11-30", "统筹基金支出", "-", "基本医保支付不是数字：-"), l1e, l5b]
    settings = [("disposable_income", 2022, "40000"), ("assistance_cap", 2023, "40000"),
                ("critical_cap", 2023, "200000")]
    return Spec("龙岩", "医疗救助台账", 2023, settings, month1, month2,  # 二(四)2: all five classes, referral required
                {k: frozenset({"第一类", "第二类", "第三类", "第四类", "第五类"}) for k in ("住院", "门诊慢特病", "门诊特药")},
                referral_required=True)


# ---------------------------------------------------------------------------- 阳城 2022
def yangcheng() -> Spec:
    """阳医保发〔2022〕2号. Settings 2022: ordinary 大病 deductible 10,000, 60%, cap 300,000. 三: 特困/低保/
    返贫致贫 deductible 5,000, 65%, no cap. 四: 住院 救助 特困 100%; 返贫致贫 70%, topped up so that one
    in-province stay's (统筹 + 大病 + 救助) / 符合范围金额 reaches 90%; 低保 70%, yearly cap 60,000 (shared with
    门诊, 五). 五: 门诊慢特病 特困 60%, 低保/返贫 30%; 门诊特药 特困 20%, 低保/返贫 10%. 倾斜救助 依申请:
    empty cell. No monitoring line."""
    Y1 = Person("孙返贫", "140522198301010011", "返贫致贫户", "返贫致贫人口", "凤城镇", "北山村")
    Y2 = Person("马低保", "14052219740202002X", "低保", "低保对象", "凤城镇", "南林村")
    Y3 = Person("韩双份", "14052219660303006X", "低保户、五保户", "特困人员", "北留镇", "西林村")
    Y4 = Person("冯普通", "140522199104040048", "", "普通参保人", "润城镇", "中山村")

    # 三: (6,000 − 5,000) × 65% = 650; selfpay 5,350 × 70% = 3,745; 四: (6,000 + 650 + 3,745) / 12,000 = 86.6%
    # < 90% → 救助 5,350 − 12,000 × 10% = 4,150 (ratio (6,000 + 650 + 4,150) / 12,000 = 90%);
    # 个人自付 12,000 − 6,000 − 650 − 4,150 = 1,200; ytd (1,200, 4,150)
    y1a = claim("YC-Y1-1", Y1, "2022-03-15", (12000, 12000, 6000), crit=650, assist=4150, tilt=None, final=1200,
                ytd=(1200, 4150), province="是")
    # year 6,000 → 22,000: 16,000 × 65% = 10,400; 5,600 × 70% = 3,920 ≥ 5,600 − 4,000 = 1,600 (ratio already
    # above 90%) → 3,920; 个人自付 40,000 − 24,000 − 10,400 − 3,920 = 1,680; ytd (2,880, 8,070)
    y1b = claim("YC-Y1-2", Y1, "2022-08-10", (40000, 40000, 24000), crit=10400, assist=3920, tilt=None,
                final=1680, ytd=(2880, 8070), province="是")
    # out of province (四: the top-up is for 省内 stays): 10,000 × 65% = 6,500; 3,500 × 70% = 2,450 (in the
    # province it would be 3,500 − 1,000 = 2,500); 个人自付 10,000 − 0 − 6,500 − 2,450 = 1,050
    y1c = claim("YC-Y1-3", Y1, "2022-10-25", (10000, 10000, 0), crit=6500, assist=2450, tilt=None, final=1050,
                ytd=(3930, 10520), province="否")
    # the same stay in the province: 6,500; 2,450 < 3,500 − 10,000 × 10% = 2,500 → 2,500; 个人自付 1,000
    y1d = claim("YC-Y1-4", Y1, "2022-12-01", (10000, 10000, 0), crit=6500, assist=2500, tilt=None, final=1000,
                ytd=(4930, 13020), province="是")

    # (60,000 − 5,000) × 65% = 35,750; 24,250 × 70% = 16,975; 100,000 − 40,000 − 35,750 − 16,975 = 7,275
    y2a = claim("YC-Y2-1", Y2, "2022-02-11", (100000, 100000, 40000), crit=35750, assist=16975, tilt=None,
                final=7275, ytd=(7275, 16975))
    # 200,000 × 65% = 130,000; 70,000 × 70% = 49,000 but the cap leaves 60,000 − 16,975 = 43,025;
    # 个人自付 300,000 − 100,000 − 130,000 − 43,025 = 26,975; ytd (34,250, 60,000)
    y2b = claim("YC-Y2-2", Y2, "2022-05-23", (300000, 300000, 100000), crit=130000, assist=43025, tilt=None,
                final=26975, ytd=(34250, 60000))
    # 10,000 × 65% = 6,500; cap used up → 0; 20,000 − 10,000 − 6,500 = 3,500; ytd (37,750, 60,000)
    y2c = claim("YC-Y2-3", Y2, "2022-09-06", (20000, 20000, 10000), crit=6500, assist=0, tilt=None, final=3500,
                ytd=(37750, 60000))

    # two identities, year below the 5,000 deductible throughout (大病 0 whatever counts toward it).
    # 五 门诊特药: 特困 1,500 × 20% = 300, 低保 × 10% = 150 → 特困 300 (never 450); 个人自付 3,000 − 1,500 − 300
    y3a = claim("YC-Y3-1", Y3, "2022-04-07", (3000, 3000, 1500), crit=0, assist=300, tilt=None, final=1200,
                ytd=(1200, 300), kind="门诊特药")
    # 五 门诊慢特病: 特困 1,000 × 60% = 600, 低保 × 30% = 300 → 600; 个人自付 2,000 − 1,000 − 600 = 400
    y3b = claim("YC-Y3-2", Y3, "2022-07-19", (2000, 2000, 1000), crit=0, assist=600, tilt=None, final=400,
                ytd=(1600, 900), kind="门诊慢特病")
    # 四 住院: 特困 2,000 × 100% = 2,000, 低保 × 70% = 1,400 → 2,000; 个人自付 5,000 − 3,000 − 2,000 = 0
    y3c = claim("YC-Y3-3", Y3, "2022-11-28", (5000, 5000, 3000), crit=0, assist=2000, tilt=None, final=0,
                ytd=(1600, 2900))

    # ordinary (三 gives no tilt): amount 28,000 − 20,000 = 8,000 < 10,000 → 0; 个人自付 30,000 − 20,000 =
    # 10,000; ytd (10,000, 0)
    y4a = claim("YC-Y4-1", Y4, "2022-01-18", (30000, 28000, 20000), crit=0, assist=0, tilt=None, final=10000,
                ytd=(10000, 0))
    # year 8,000 → 18,000 crosses the deductible: (18,000 − 10,000) × 60% = 4,800;
    # 个人自付 20,000 − 10,000 − 4,800 = 5,200; ytd (15,200, 0)
    y4b = claim("YC-Y4-2", Y4, "2022-04-21", (20000, 20000, 10000), crit=4800, assist=0, tilt=None, final=5200,
                ytd=(15200, 0))
    y4r2 = reversal(y4b, "2022-05-30", ytd=(10000, 0))      # same month: −4,800, −5,200
    y4r1 = reversal(y4a, "2022-08-03", ytd=(0, 0))          # last month's ledger: −10,000
    # the year is empty again: 8,000 < 10,000 → 0 (without the reversals: 18,000 → 26,000, 4,800);
    # 个人自付 15,000 − 7,000 = 8,000; ytd (8,000, 0)
    y4c = claim("YC-Y4-3", Y4, "2022-11-11", (15000, 15000, 7000), crit=0, assist=0, tilt=None, final=8000,
                ytd=(8000, 0))

    month1 = [y4a, y2a, dup(y2a), y1a, BLANK, y3a, y4b, y2b, y4r2,
              bad("YC-BAD-1", Y2, "2022-06-10", "医疗费总额", "待核", "医疗费总额不是数字：待核")]
    month2 = [y3b, y4r1, y1b, dup(y1a, "2022-08-15"), y2c, BLANK, y1c, dup(y4b, "2022-11-01"), y4c, y3c, y1d,
              bad("YC-BAD-2", Y3, "2022-12-20", "符合范围金额", "见附件", "政策范围内费用不是数字：见附件")]
    # 四、五: 返贫致贫人口's shared yearly cap is not stated — a required local setting; 200,000 is far above
    # 孙返贫's year, so it never binds here
    settings = [("critical_deductible", 2022, "10000"), ("critical_rate", 2022, "60%"),
                ("critical_cap", 2022, "300000"), ("assistance_cap", 2022, "200000")]
    return Spec("阳城", "医疗救助台账", 2022, settings, month1, month2,  # 四、五
                {k: frozenset({"特困人员", "低保对象", "返贫致贫人口"}) for k in ("住院", "门诊慢特病", "门诊特药")},
                extra_headers=("是否省内",))


SPECS = {"赣州": ganzhou, "西秀": xixiu, "龙岩": longyan, "阳城": yangcheng}


# ============================================================================ running the tool
@dataclass
class Run:
    items: list
    rows: list[int | None]       # source row of each item
    total_row: int               # the 合计 row
    out: Path
    stdout: str

    def source_row(self, item) -> int | None:
        for it, row in zip(self.items, self.rows):
            if it is item:
                return row
        return None


@dataclass
class Year:
    spec: Spec
    first: Run
    second: Run
    whole: Run
    again: Path                  # January–June once more
    again_stdout: str


def _fill(spec: Spec, export: Path, out: Path, settings: Path, previous: Path | None = None) -> str:
    argv = ["fill", spec.ledger, str(export), "--region", spec.region, "--out", str(out),
            "--settings", str(settings), "--quiet", "--unit", "测试医保局"]
    if previous is not None:
        argv += ["--previous", str(previous)]
    buf, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        code = main(argv)
    assert code == 0, err.getvalue()
    return buf.getvalue()


def _run(spec: Spec, folder: Path, name: str, items: list, settings: Path, previous: Path | None = None) -> Run:
    export = folder / f"{name}_结算导出.xlsx"
    rows = exports.write_export(export, [None if x is BLANK else x.values if isinstance(x, Rejected)
                                         else x.export() for x in items],
                                title=f"{spec.region} 医疗保障信息平台 结算明细导出（测试数据）",
                                extra_headers=spec.extra_headers)
    out = folder / f"{name}_台账.xlsx"
    stdout = _fill(spec, export, out, settings, previous)
    return Run(items, rows, exports.FIRST_DATA_ROW + len(items), out, stdout)


@pytest.fixture(scope="module", params=list(SPECS), ids=["ganzhou", "xixiu", "longyan", "yangcheng"])
def year(request, tmp_path_factory) -> Year:
    """The region's year filled four times: January–June; July–December with --previous; the whole year
    in one file; January–June again (same export, new output file)."""
    region = request.param
    spec = SPECS[region]()
    folder = tmp_path_factory.mktemp(f"months_{region}")
    settings = exports.write_settings(folder / "settings.toml", region, spec.settings)
    first = _run(spec, folder, "01-06", spec.month1, settings)
    second = _run(spec, folder, "07-12", spec.month2, settings, previous=first.out)
    whole = _run(spec, folder, "全年", spec.month1 + spec.month2, settings)
    again = folder / "01-06_again_台账.xlsx"
    stdout = _fill(spec, folder / "01-06_结算导出.xlsx", again, settings)
    return Year(spec, first, second, whole, again, stdout)


# ============================================================================ reading the output
def fen(value) -> int | None:
    if value is None:
        return None
    assert isinstance(value, (int, float)), f"money cell holds {value!r}"
    return int((Decimal(repr(value)) * 100).to_integral_value())


MONEY = ("医疗费总额", "政策范围内费用", "基本医保支付", "大病保险", "医疗救助", "倾斜救助", "个人自付",
         "年度累计个人自付", "年度累计医疗救助")


def ledger(path: Path) -> list[dict]:
    rows = exports.ledger_rows(path)
    for row in rows:
        for k in MONEY:
            if k in row:
                row[k] = fen(row[k])
    return rows


def sheet_rows(path: Path, sheet: str, first: int | None = None) -> list[list]:
    ws = openpyxl.load_workbook(path)[sheet]
    first = first or SHEET_ROWS[sheet][0]
    return [list(r) for r in ws.iter_rows(min_row=first, values_only=True) if any(v is not None for v in r)]


def by_key(rows: list[dict]) -> dict[tuple[str, bool], dict]:
    out = {}
    for r in rows:
        key = (r["结算ID"], r["政策范围内费用"] < 0)
        assert key not in out, f"{key} written twice"
        out[key] = r
    return out


def printed(stdout: str) -> dict:
    m = re.search(r"读入结算行 ([\d,]+) = 写入台账 ([\d,]+) \+ 异常 ([\d,]+)（另有空行/合计行 ([\d,]+) 行未计入）", stdout)
    assert m, stdout
    counts = [int(x.replace(",", "")) for x in m.groups()]
    m = re.search(r"大病保险 ([-\d,.]+) 元；医疗救助 ([-\d,.]+) 元；倾斜救助 ([-\d,.]+) 元；个人自付 ([-\d,.]+) 元", stdout)
    assert m, stdout
    totals = [Y(x.replace(",", "")) for x in m.groups()]
    return {"read": counts[0], "written": counts[1], "rejected": counts[2], "skipped": counts[3],
            "大病保险": totals[0], "医疗救助": totals[1], "倾斜救助": totals[2], "个人自付": totals[3]}


def check_row(row: dict, c: Claim) -> None:
    what = f"{c.sid}{'（冲销）' if c.reversal else ''}"
    got = {k: row[k] for k in ("大病保险", "医疗救助", "倾斜救助", "个人自付", "年度累计个人自付", "年度累计医疗救助")}
    # 倾斜救助 None (the region computes none): the cell shows 0.00 like its total, never blank
    want = {"大病保险": c.crit, "医疗救助": c.assist, "倾斜救助": c.tilt or 0, "个人自付": c.final,
            "年度累计个人自付": c.ytd_final, "年度累计医疗救助": c.ytd_assist}
    assert got == want, what
    assert (row["医疗费总额"], row["政策范围内费用"], row["基本医保支付"]) == (c.total, c.policy, c.basic), what
    assert (row["姓名"], row["证件号码"], row["人员类别"] or "", row["镇（街）"]) == \
        (c.who.name, c.who.idno, c.who.category, c.who.township), what
    assert row["医疗类别"] == c.kind, what
    assert row["结算日期"] == datetime(c.on.year, c.on.month, c.on.day), what
    if "是否转诊" in row:
        assert row["是否转诊"] == c.referral, what
    assert row["适用身份"] == c.shown_identity, what
    note = row["监测提示"] or ""
    if c.reversal:
        assert "冲销" in (row["备注"] or ""), what  # the reversal note has its own 备注 column
        assert note == "", what
    else:
        assert note == c.monitor, what


# ============================================================================ the tests
def test_each_month_matches_the_hand_numbers(year: Year):
    for run in (year.first, year.second):
        rows = by_key(ledger(run.out))
        claims = [x for x in run.items if isinstance(x, Claim)]
        assert set(rows) == {(c.sid, c.reversal) for c in claims}
        for c in claims:
            check_row(rows[(c.sid, c.reversal)], c)
        # written in settlement order
        dates = [r["结算日期"] for r in ledger(run.out)]
        assert dates == sorted(dates)
        assert [r["序号"] for r in ledger(run.out)] == list(range(1, len(claims) + 1))


def test_whole_year_matches_the_hand_numbers_and_the_second_month(year: Year):
    whole = by_key(ledger(year.whole.out))
    claims = year.spec.claims()
    assert set(whole) == {(c.sid, c.reversal) for c in claims}
    for c in claims:
        check_row(whole[(c.sid, c.reversal)], c)
    second = by_key(ledger(year.second.out))
    for key, row in second.items():
        other = whole[key]
        if key[1]:  # a reversal: the notes say where the original was, the basis may differ
            same = ("结算ID", "姓名", "证件号码", "人员类别", "适用身份", "医疗类别", "结算日期", *MONEY)
        else:
            same = tuple(k for k in row if k != "序号")
        assert {k: row[k] for k in same} == {k: other[k] for k in same}, key


def _expected_state(spec: Spec, until: date) -> dict[tuple[str, int], tuple[int, ...]]:
    out: dict[tuple[str, int], tuple[int, ...]] = {}
    for c in spec.claims():
        if c.on <= until:
            key = (c.who.idno, spec.year)
            acc = out.get(key, (0,) * 7)
            out[key] = tuple(a + b for a, b in zip(acc, c.delta(spec)))
    return out


def _state_sheet(path: Path) -> dict[tuple[str, int], tuple[int, ...]]:
    ws = openpyxl.load_workbook(path)["年度累计"]
    assert [c.value for c in ws[3]][: len(STATE_COLUMNS)] == STATE_COLUMNS  # header under title and 填报单位…
    out = {}
    for r in ws.iter_rows(min_row=4, values_only=True):  # 证件号码, 姓名, 年度, the seven amounts
        if r[0] is None:
            continue
        out[(r[0], int(r[2]))] = tuple(fen(v) for v in r[3:10])
    return out


def test_year_state_sheet_carries_the_year(year: Year):
    spec = year.spec
    june = date(spec.year, 6, 30)
    # after January–June: each person's sums of the hand-computed rows up to June
    assert _state_sheet(year.first.out) == _expected_state(spec, june)
    # after July–December (with --previous): the whole year, everybody (also those without a claim since June)
    dec = date(spec.year, 12, 31)
    assert _state_sheet(year.second.out) == _expected_state(spec, dec)
    assert _state_sheet(year.whole.out) == _state_sheet(year.second.out)
    # the ytd columns of a person's last row are the state sheet's 个人自付累计 and 医疗救助累计
    state = _state_sheet(year.second.out)
    last = {}
    for c in spec.claims():
        last[c.who.idno] = c
    for idno, c in last.items():
        st = state[(idno, spec.year)]
        assert (st[6], st[3]) == (c.ytd_final, c.ytd_assist)


def _expected_anomalies(run: Run, previous: Run | None) -> list[tuple]:
    """(源行号, 结算ID, 姓名, 原因) of every row that must be rejected; a duplicate names the row it repeats,
    or last month's ledger."""
    out = []
    for item, row in zip(run.items, run.rows):
        if not isinstance(item, Rejected):
            continue
        reason = item.reason
        if item.dup_of is not None:
            original = run.source_row(item.dup_of)
            if original is None:
                assert previous is not None and previous.source_row(item.dup_of) is not None
                reason = "重复的结算ID（与此前台账重复），不重复计算"
            else:
                reason = f"重复的结算ID（与第{original}行重复），不重复计算"
        out.append((row, item.values["结算ID"], item.values["姓名"], reason))
    return out


def test_rejected_rows_and_row_counts(year: Year):
    for run, previous in ((year.first, None), (year.second, year.first), (year.whole, None)):
        rejected = _expected_anomalies(run, previous)
        blank_rows = [i for i, x in enumerate(run.items) if x is BLANK]
        sheet = sheet_rows(run.out, "异常")
        got_rejected = [tuple(r[:4]) for r in sheet if not str(r[3]).startswith("未计入")]
        got_skipped = [(r[0], r[3]) for r in sheet if str(r[3]).startswith("未计入")]
        assert got_rejected == sorted(rejected)
        blank_source = [exports.FIRST_DATA_ROW + i for i in blank_rows]
        assert sorted(got_skipped) == sorted([(n, "未计入：空行") for n in blank_source]
                                             + [(run.total_row, "未计入：合计行，不是结算记录")])
        claims = [x for x in run.items if isinstance(x, Claim)]
        p = printed(run.stdout)
        assert p["read"] == len(claims) + len(rejected) == p["written"] + p["rejected"]
        assert (p["written"], p["rejected"], p["skipped"]) == (len(claims), len(rejected), len(blank_rows) + 1)
        assert len(ledger(run.out)) == p["written"]


def test_duplicates_are_not_paid_twice(year: Year):
    # every repeated 结算ID: one positive ledger row only (the hand numbers after it assume one payment)
    for run in (year.first, year.second, year.whole):
        positive = [r["结算ID"] for r in ledger(run.out) if r["政策范围内费用"] >= 0]
        assert len(positive) == len(set(positive))
        for item in run.items:
            if isinstance(item, Rejected) and item.dup_of is not None:
                assert positive.count(item.dup_of.sid) == (1 if run.source_row(item.dup_of) else 0)


def test_a_reversal_is_the_negated_original(year: Year):
    rows = by_key(ledger(year.whole.out))
    reversals = [k for k in rows if k[1]]
    assert len(reversals) >= 2, "every year has a reversal in the same month and one across months"
    for sid, _ in reversals:
        orig, rev = rows[(sid, False)], rows[(sid, True)]
        for k in ("医疗费总额", "政策范围内费用", "基本医保支付", "大病保险", "医疗救助", "个人自付"):
            assert rev[k] == -orig[k], (sid, k)
        assert rev["倾斜救助"] == (None if orig["倾斜救助"] is None else -orig["倾斜救助"]), sid
    # the one whose original is in last month's ledger: same negated amounts from the --previous file
    first = by_key(ledger(year.first.out))
    second = by_key(ledger(year.second.out))
    across = [sid for sid, rev in second if rev and (sid, False) in first]
    assert across
    for sid in across:
        orig, rev = first[(sid, False)], second[(sid, True)]
        for k in ("大病保险", "医疗救助", "倾斜救助", "个人自付"):
            assert rev[k] == (None if orig[k] is None else -orig[k]), (sid, k)


def _sum_column(rows: list[dict], col: str) -> int:
    return sum(r[col] or 0 for r in rows)


def test_money_columns_add_up_to_the_printed_totals_and_the_summary(year: Year):
    for run in (year.first, year.second, year.whole):
        rows = ledger(run.out)
        p = printed(run.stdout)
        for col in ("大病保险", "医疗救助", "倾斜救助", "个人自付"):
            assert _sum_column(rows, col) == p[col], col
        # the same totals from the hand numbers
        claims = [x for x in run.items if isinstance(x, Claim)]
        assert p["大病保险"] == sum(c.crit for c in claims)
        assert p["医疗救助"] == sum(c.assist for c in claims)
        assert p["倾斜救助"] == sum(c.tilt or 0 for c in claims)
        assert p["个人自付"] == sum(c.final for c in claims)
        # 汇总: by identity and by township, each adds up to the ledger
        summary = sheet_rows(run.out, "汇总")
        for how in ("适用身份", "乡镇"):
            groups = [r for r in summary if r[0] == how]
            assert groups, how
            assert len({r[1] for r in groups}) == len(groups)
            assert sum(r[2] for r in groups) == len(rows), how
            for i, col in enumerate(("医疗费总额", "大病保险", "医疗救助", "倾斜救助", "个人自付"), start=3):
                assert sum(fen(r[i]) for r in groups) == _sum_column(rows, col), (how, col)
        townships = {r[1] for r in summary if r[0] == "乡镇"}
        assert townships == {c.who.township for c in claims}
        # a reversal counts under its original's identity, also when the original is last month's
        assert {r[1] for r in summary if r[0] == "适用身份"} == {c.shown_identity for c in claims}


def test_rerunning_a_month_gives_the_same_workbook(year: Year):
    a = openpyxl.load_workbook(year.first.out)
    b = openpyxl.load_workbook(year.again)
    assert a.sheetnames == b.sheetnames
    skip = ("台账", INFO_CELLS[_template(year.spec)]["date"])
    for name in a.sheetnames:
        wa, wb = a[name], b[name]
        assert (wa.max_row, wa.max_column) == (wb.max_row, wb.max_column), name
        for ra, rb in zip(wa.iter_rows(), wb.iter_rows()):
            for ca, cb in zip(ra, rb):
                if (name, ca.coordinate) == skip:
                    assert str(ca.value).startswith("制表日期") and str(cb.value).startswith("制表日期")
                    continue
                assert ca.value == cb.value, (name, ca.coordinate)
    assert year.again_stdout.splitlines()[1:3] == year.first.stdout.splitlines()[1:3]


def _template(spec: Spec) -> str:
    from processor.ledgers.benefit import template_for
    name = template_for(spec.ledger)
    assert name in LEDGER_COLUMNS
    return name
