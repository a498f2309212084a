"""`yibao fill` amounts a mutation run showed the month tests did not pin down: 阳城's out-of-catalog
assistance, the export's own 大病保险支付, the 大病 cap passed by a wide margin, the mixed-sign row
check, the several-identity tie-break and several --previous ledgers.

Every expected amount is worked out by hand from the clause cited beside it; the settings are round
test figures (not official). Reading of a row, as in test_months.py: "amount" = 符合范围金额 − 统筹基金支出
(what 大病保险 applies to); "selfpay" = amount − 大病 (what 医疗救助 applies to).
"""
from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
from xlsx_templates.build import SHEET_ROWS
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/ledgers for the export builder
import exports  # noqa: E402


# 阳城 2022 test settings: ordinary 大病 deductible 10,000, 60%, cap 300,000 (阳医保发〔2022〕2号 三 leaves
# them to the bureau); a 医疗救助 annual cap of 100,000 (far above every claim below).
YC_SETTINGS = [("critical_deductible", 2022, "10000"), ("critical_rate", 2022, "60%"),
               ("critical_cap", 2022, "300000"), ("assistance_cap", 2022, "100000")]
# 赣州 test settings: 2021 城乡居民人均可支配收入 40,000 (2022 大病 deductible 40,000 × 50% = 20,000,
# 赣市医保字〔2021〕37号 二(三)2); 2021 全省农村 20,000 (monitoring, 三(六); not asserted here).
GZ_SETTINGS = [("disposable_income", 2021, "40000"), ("rural_income_province", 2021, "20000")]


def Y(yuan) -> int:
    """Yuan as written in the comments → int fen."""
    return int(Decimal(str(yuan)) * 100)


def fen(value) -> int | None:
    if value is None:
        return None
    assert isinstance(value, (int, float)), f"money cell holds {value!r}"
    return int((Decimal(repr(value)) * 100).to_integral_value())


def gb11643(first17: str) -> str:
    """A valid 居民身份证 number: the 17 digits and their ISO 7064 MOD 11-2 check digit (GB 11643-1999)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


def row(sid, who, idno, category, on, total, policy, basic, **more) -> dict:
    r = {"结算ID": sid, "姓名": who, "证件号码": gb11643(idno[:17]), "人员类别": category, "镇街": "凤城镇", "医疗类别": "住院",
         "是否转诊": "是", "结算日期": on, "医疗费总额": total, "符合范围金额": policy, "统筹基金支出": basic}
    r.update(more)
    return r


def fill(tmp: Path, name: str, region: str, rows: list, settings: Path, *, previous=(), extra_headers=()) -> Path:
    return exports.run_fill(tmp, f"{name}_结算导出", rows, settings, region=region, previous=previous,
                            extra_headers=extra_headers)


def ledger(path: Path) -> dict[tuple[str, bool], dict]:
    """(结算ID, is a reversal) → the 台账 row, money in fen."""
    out = {}
    for d in exports.ledger_rows(path):
        for k in ("医疗费总额", "政策范围内费用", "基本医保支付", "大病保险", "医疗救助", "倾斜救助", "个人自付",
                  "年度累计个人自付", "年度累计医疗救助"):
            d[k] = fen(d[k])
        key = (d["结算ID"], d["政策范围内费用"] < 0)
        assert key not in out, f"{key} written twice"
        out[key] = d
    return out


def sheet(path: Path, name: str) -> list[tuple]:
    ws = openpyxl.load_workbook(path)[name]
    return [r for r in ws.iter_rows(min_row=SHEET_ROWS[name][0], values_only=True) if any(v is not None for v in r)]


# ============================================================================ 1. 阳城 目录外
def test_yangcheng_out_of_catalog_assistance(tmp_path):
    """阳医保发〔2022〕2号 六: 返贫致贫人口 in-province 住院 — out-of-catalog cost within the hospital class's
    control share (一类 30%, 省市级二类 20%, 县级二类及三类 15% of the TOTAL cost) is assisted at 85%, with no
    threshold, sharing the annual cap. 四: 住院 70%, in-province stays topped up to a 90% combined in-catalog
    ratio. 三: 返贫致贫/低保 大病 tilt — deductible 10,000 × 50% = 5,000, 60% + 5 = 65%, no cap.
    (Only 医疗救助 and 大病保险 are asserted: the hospital bears out-of-catalog cost above its share,
    which is outside this test.)"""
    settings = exports.write_settings(tmp_path / "s.toml", "阳城", YC_SETTINGS)
    P, Q = ("孙返贫", "140522198301010018"), ("马低保", "140522197402020029")
    rows = [
        # A 县级二类及三类: total 20,000, policy 14,000, basic 10,000, 目录外 6,000.
        #   三: amount 4,000 < 5,000 → 大病 0. 四: 4,000 × 70% = 2,800; top-up 4,000 − 14,000 × 10% = 2,600
        #   < 2,800 → 2,800. 六: share 20,000 × 15% = 3,000 < 6,000 → 3,000 × 85% = 2,550.
        #   医疗救助 2,800 + 2,550 = 5,350.   (share on the in-catalog 14,000 instead: 2,100 → 1,785;
        #   dropped: 2,800)
        row("YC-OOC-A", *P, "返贫致贫户", date(2022, 3, 10), 20000, 14000, 10000, 是否省内="是", 目录外费用=6000,
            医疗机构等级="县级二类及三类"),
        # B 一类: total 30,000, policy 26,000, basic 12,000, 目录外 4,000.
        #   三: year 4,000 → 18,000: (18,000 − 5,000) × 65% − 0 = 8,450. selfpay 14,000 − 8,450 = 5,550;
        #   四: 5,550 × 70% = 3,885; top-up 5,550 − 26,000 × 10% = 2,950 < 3,885 → 3,885.
        #   六: share 30,000 × 30% = 9,000 ≥ 4,000 → 4,000 × 85% = 3,400.  医疗救助 3,885 + 3,400 = 7,285.
        row("YC-OOC-B", *P, "返贫致贫户", date(2022, 5, 10), 30000, 26000, 12000, 是否省内="是", 目录外费用=4000,
            医疗机构等级="一类"),
        # C 省市级二类, OUT of province: total 10,000, policy 8,000, basic 3,000, 目录外 2,000.
        #   三: year 18,000 → 23,000: 5,000 × 65% = 3,250. selfpay 1,750 × 70% = 1,225 (四: no top-up out of
        #   the province). 六 is for 省内 stays only: no 目录外 assistance. 医疗救助 1,225.
        row("YC-OOC-C", *P, "返贫致贫户", date(2022, 7, 10), 10000, 8000, 3000, 是否省内="否", 目录外费用=2000,
            医疗机构等级="省市级二类"),
        # D 低保 (六 names 返贫致贫人口 only): total 20,000, policy 14,000, basic 8,000, 目录外 6,000.
        #   三: (6,000 − 5,000) × 65% = 650. 四: 5,350 × 70% = 3,745 (no top-up for 低保). 医疗救助 3,745.
        row("YC-OOC-D", *Q, "低保", date(2022, 3, 12), 20000, 14000, 8000, 是否省内="是", 目录外费用=6000,
            医疗机构等级="县级二类及三类"),
    ]
    out = fill(tmp_path, "ooc", "阳城", rows, settings, extra_headers=("是否省内", "目录外费用", "医疗机构等级"))
    got = ledger(out)
    want = {"YC-OOC-A": (0, 5350), "YC-OOC-B": (8450, 7285), "YC-OOC-C": (3250, 1225), "YC-OOC-D": (650, 3745)}
    for sid, (crit, assist) in want.items():
        r = got[(sid, False)]
        assert (r["大病保险"], r["医疗救助"]) == (Y(crit), Y(assist)), sid
    # the shared annual figure: 5,350 + 7,285 + 1,225 = 13,860 for the 返贫致贫 person
    assert got[("YC-OOC-C", False)]["年度累计医疗救助"] == Y(13860)
    assert [r for r in sheet(out, "异常") if r[1]] == []  # no claim rejected (the 合计 row is listed as 未计入)


# ============================================================================ 2. the export's 大病保险支付
def test_exported_critical_payment_is_used_and_checked(tmp_path):
    """README 月度台账: "导出里有大病保险金额的直接采用并核对". 阳医保发〔2022〕2号 三 (低保 tilt: deductible 5,000,
    65%), 四 (低保 70%, annual cap 60,000). total = policy, so 个人自付 = total − 统筹 − 大病 − 救助."""
    settings = exports.write_settings(tmp_path / "s.toml", "阳城", YC_SETTINGS)
    rows = [
        # policy 30,000, basic 10,000: amount 20,000 → policy 大病 (20,000 − 5,000) × 65% = 9,750; the export
        # says 9,000, which is used: selfpay 20,000 − 9,000 = 11,000 × 70% = 7,700;
        # 个人自付 30,000 − 10,000 − 9,000 − 7,700 = 3,300.  (recomputed: 9,750, 7,175, 3,075)
        row("YC-CR-1", "马低保", "140522197402020029", "低保", date(2022, 3, 10), 30000, 30000, 10000,
            大病保险支付=9000),
        # the same person later: year base 20,000 → 24,000 (the base is the amount, not the payment):
        # 4,000 × 65% = 2,600, and the export agrees (no 核对 row); selfpay 1,400 × 70% = 980;
        # 个人自付 6,000 − 2,000 − 2,600 − 980 = 420
        row("YC-CR-2", "马低保", "140522197402020029", "低保", date(2022, 4, 10), 6000, 6000, 2000,
            大病保险支付=2600),
        # another person, the cell left empty: computed. amount 8,000 → (8,000 − 5,000) × 65% = 1,950;
        # selfpay 6,050 × 70% = 4,235; 个人自付 10,000 − 2,000 − 1,950 − 4,235 = 1,815
        row("YC-CR-3", "牛低保", "140522197505050051", "低保", date(2022, 3, 11), 10000, 10000, 2000),
    ]
    out = fill(tmp_path, "crit", "阳城", rows, settings, extra_headers=("大病保险支付",))
    got = ledger(out)
    assert [(got[(s, False)]["大病保险"], got[(s, False)]["医疗救助"], got[(s, False)]["个人自付"])
            for s in ("YC-CR-1", "YC-CR-2", "YC-CR-3")] == \
        [(Y(9000), Y(7700), Y(3300)), (Y(2600), Y(980), Y(420)), (Y(1950), Y(4235), Y(1815))]
    # 核对: 序号(源行), 结算ID, 姓名, 基金, 导出金额, 按政策金额, 差额 — one row, 9,000 − 9,750 = −750
    checks = sheet(out, "核对")
    assert [(r[1], r[3], fen(r[4]), fen(r[5]), fen(r[6])) for r in checks] == \
        [("YC-CR-1", "大病保险", Y(9000), Y(9750), Y(-750))]
    assert checks[0][0] == exports.FIRST_DATA_ROW  # the source row of the first data line


# ============================================================================ 3. 大病 past its cap
def test_critical_year_well_above_the_cap_pays_zero_never_negative(tmp_path):
    """赣市医保字〔2021〕37号 二(三)2: an ordinary insured person's 大病 — deductible 50% × 40,000 = 20,000,
    60%, annual cap 300,000. The cap is reached at an amount of 20,000 + 300,000 / 60% = 520,000."""
    settings = exports.write_settings(tmp_path / "s.toml", "赣州", GZ_SETTINGS)
    who = ("陈普通", "360702198505050055", "")
    rows = [
        # amount 700,000 − 100,000 = 600,000: (600,000 − 20,000) × 60% = 348,000 → capped 300,000
        row("GZ-CAP-1", *who, date(2022, 3, 10), 700000, 700000, 100000),
        # year 600,000 → 700,000, far above 520,000: 300,000 − 300,000 = 0
        # (an uncapped year-to-date base would give 300,000 − 348,000 = −48,000)
        row("GZ-CAP-2", *who, date(2022, 6, 10), 150000, 150000, 50000),
        # and once more: 700,000 → 720,000: 0
        row("GZ-CAP-3", *who, date(2022, 9, 10), 30000, 30000, 10000),
    ]
    out = fill(tmp_path, "cap", "赣州", rows, settings)
    got = ledger(out)
    crit = [got[(s, False)]["大病保险"] for s in ("GZ-CAP-1", "GZ-CAP-2", "GZ-CAP-3")]
    assert crit == [Y(300000), 0, 0]
    assert all(c >= 0 for c in crit)


# ============================================================================ 4. mixed signs
def test_mixed_sign_row_is_rejected(tmp_path):
    """A reversal has every amount negative (or zero); a row mixing signs is neither a settlement nor a
    reversal and goes to 异常 with its reason (rows in = rows out + rows rejected)."""
    settings = exports.write_settings(tmp_path / "s.toml", "阳城", YC_SETTINGS)
    who = ("马低保", "140522197402020029", "低保")
    rows = [
        # 三/四: amount 4,000 < 5,000 → 大病 0; 4,000 × 70% = 2,800
        row("YC-MX-1", *who, date(2022, 3, 10), 10000, 10000, 6000),
        # the same 结算ID with a negative 统筹 but positive 符合范围金额/总额: refused, not read as a reversal
        row("YC-MX-1", *who, date(2022, 3, 20), 10000, 10000, -6000),
        # a fresh ID with mixed signs
        row("YC-MX-2", *who, date(2022, 3, 21), -10000, 10000, 6000),
    ]
    out = fill(tmp_path, "mixed", "阳城", rows, settings)
    got = ledger(out)
    assert list(got) == [("YC-MX-1", False)]
    assert got[("YC-MX-1", False)]["医疗救助"] == Y(2800)
    rejected = [(r[0], r[1], r[3]) for r in sheet(out, "异常") if r[1]]
    first = exports.FIRST_DATA_ROW
    assert [(n, sid) for n, sid, _ in rejected] == [(first + 1, "YC-MX-1"), (first + 2, "YC-MX-2")]
    assert all("金额正负混杂" in reason for _, _, reason in rejected)


# ============================================================================ several identities: the tie-break
def test_equal_totals_go_to_the_identity_earlier_in_the_region_priority(tmp_path):
    """阳医保发〔2022〕2号 一 (多重身份就高不叠加); region.toml priority: 特困人员, 返贫致贫人口, 低保对象, …
    Out of the province (四's 90% top-up does not apply) 低保 and 返贫致贫 get the same: 三 tilt for both,
    四 70% for both. Policy 10,000, basic 2,000 → amount 8,000:
    (8,000 − 5,000) × 65% = 1,950; selfpay 6,050 × 70% = 4,235 — equal totals, so priority decides:
    返贫致贫人口, whichever identity the cell names first."""
    settings = exports.write_settings(tmp_path / "s.toml", "阳城", YC_SETTINGS)
    rows = [row("YC-TIE-1", "甲", "140522198001010011", "低保、返贫致贫户", date(2022, 3, 10), 10000, 10000, 2000,
                是否省内="否"),
            row("YC-TIE-2", "乙", "140522198001010022", "返贫致贫户、低保", date(2022, 3, 10), 10000, 10000, 2000,
                是否省内="否")]
    got = ledger(fill(tmp_path, "tie", "阳城", rows, settings, extra_headers=("是否省内",)))
    for sid in ("YC-TIE-1", "YC-TIE-2"):
        r = got[(sid, False)]
        assert r["适用身份"] == "返贫致贫人口", sid
        assert (r["大病保险"], r["医疗救助"]) == (Y(1950), Y(4235)), sid


# ============================================================================ several --previous ledgers
# README 月度台账: with several --previous ledgers the year-to-date state is the LAST one's, and the 结算IDs of
# ALL of them (and the reversals already in them) are known. 阳城 低保 (阳医保发〔2022〕2号): 三 deductible 5,000,
# 65%; 四 70%, cap 60,000 (never reached here). Year lines: base = Σ amount (大病), ytd 救助.
WHO = ("马低保", "140522197402020029", "低保")


@pytest.fixture(scope="module")
def three_months(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("previous")
    settings = exports.write_settings(tmp / "s.toml", "阳城", YC_SETTINGS)
    # January. J1: amount 4,000 < 5,000 → 大病 0; 救助 4,000 × 70% = 2,800.  J2: amount 1,000, base 4,000 →
    # 5,000 (at the deductible) → 0; 救助 700.  base 5,000, 救助 3,500.
    jan = fill(tmp, "01", "阳城", [row("J1", *WHO, date(2022, 1, 10), 10000, 10000, 6000),
                                  row("J2", *WHO, date(2022, 1, 20), 3000, 3000, 2000)], settings)
    # February. F1: amount 4,000, base 5,000 → 9,000: 4,000 × 65% = 2,600; selfpay 1,400 × 70% = 980.
    # J2 reversed: 大病 −0, 救助 −700; base 9,000 − 1,000 = 8,000; 救助 3,500 + 980 − 700 = 3,780.
    feb = fill(tmp, "02", "阳城", [row("F1", *WHO, date(2022, 2, 10), 12000, 12000, 8000),
                                  row("J2", *WHO, date(2022, 2, 20), -3000, -3000, -2000)], settings, previous=[jan])
    # March. M1: amount 2,000, base 8,000 → 10,000: 2,000 × 65% = 1,300; selfpay 700 × 70% = 490.
    # base 10,000, 救助 4,270.
    mar = fill(tmp, "03", "阳城", [row("M1", *WHO, date(2022, 3, 10), 6000, 6000, 4000)], settings,
               previous=[jan, feb])
    m1 = ledger(mar)[("M1", False)]
    assert (m1["大病保险"], m1["医疗救助"], m1["年度累计医疗救助"]) == (Y(1300), Y(490), Y(4270))
    return tmp, settings, [jan, feb, mar]


def test_three_previous_ledgers(three_months):
    tmp, settings, previous = three_months
    apr = fill(tmp, "04", "阳城", [
        row("J1", *WHO, date(2022, 4, 1), 10000, 10000, 6000),          # duplicate of a January claim
        row("F1", *WHO, date(2022, 4, 1), 12000, 12000, 8000),          # duplicate of a February claim
        row("J1", *WHO, date(2022, 4, 2), -10000, -10000, -6000),       # reversal of a January claim
        row("A1", *WHO, date(2022, 4, 10), 3000, 3000, 1000),
    ], settings, previous=previous)
    got = ledger(apr)
    assert set(got) == {("J1", True), ("A1", False)}
    # J1 reversed: its own figures negated (大病 0, 救助 −2,800); base 10,000 − 4,000 = 6,000,
    # 救助 4,270 − 2,800 = 1,470.
    assert (got[("J1", True)]["大病保险"], got[("J1", True)]["医疗救助"]) == (0, Y(-2800))
    assert got[("J1", True)]["年度累计医疗救助"] == Y(1470)
    # A1: amount 2,000, base 6,000 → 8,000: 2,000 × 65% = 1,300; selfpay 700 × 70% = 490; 救助 1,960.
    # (January's state would give base 5,000 − 4,000 + 2,000 = 3,000 → 大病 0, 救助 1,190; February's:
    # 4,000 → 6,000 → 650.)
    assert (got[("A1", False)]["大病保险"], got[("A1", False)]["医疗救助"]) == (Y(1300), Y(490))
    assert got[("A1", False)]["年度累计医疗救助"] == Y(1960)
    first = exports.FIRST_DATA_ROW
    rejected = [(r[0], r[1], r[3]) for r in sheet(apr, "异常") if r[1]]
    assert [(n, sid) for n, sid, _ in rejected] == [(first, "J1"), (first + 1, "F1")]
    assert all("重复的结算ID" in reason for _, _, reason in rejected)


def test_a_reversal_already_in_an_earlier_ledger_cannot_be_repeated(three_months):
    tmp, settings, previous = three_months
    apr = fill(tmp, "04b", "阳城", [
        row("J2", *WHO, date(2022, 4, 1), -3000, -3000, -2000),         # J2's reversal, already in February
        row("A1", *WHO, date(2022, 4, 10), 3000, 3000, 1000),
    ], settings, previous=previous)
    rejected = [(r[1], r[3]) for r in sheet(apr, "异常") if r[1]]
    assert len(rejected) == 1 and rejected[0][0] == "J2" and "冲销过" in rejected[0][1]
    got = ledger(apr)
    assert set(got) == {("A1", False)}
    # A1: base 10,000 → 12,000: 2,000 × 65% = 1,300; 700 × 70% = 490; 救助 4,270 + 490 = 4,760
    assert (got[("A1", False)]["大病保险"], got[("A1", False)]["医疗救助"]) == (Y(1300), Y(490))
    assert got[("A1", False)]["年度累计医疗救助"] == Y(4760)
