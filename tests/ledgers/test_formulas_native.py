"""The native formulas (processor/ledgers/formulas.py) recalculated in headless LibreOffice equal the engine
to the fen, cell by cell, for a year of claims in each region: every identity, kind, caps reached,
thresholds crossed, referral missing, out-of-catalog costs, reversals — and for random small years.

The workbook here holds the ledger columns the formulas read plus the 政策参数 sheet; `yibao fill
--formulas` writes the same formulas into the real ledger.
"""
from __future__ import annotations

import random
import sys
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from openpyxl.utils import get_column_letter

from processor.book import default_book
from processor.io.reader import ExportTable, RawRow
from processor.ledgers.compute import compute
from processor.ledgers.formulas import COLUMNS, SHEET, PolicySheet, RowRefs, formulas
from processor.settings import parse_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import lo_util  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not lo_util.available(), reason="LibreOffice (soffice) not installed")]

LEDGER = ["结算ID", "适用身份", "医疗类别", "是否转诊", "医疗费总额", "政策范围内费用", "基本医保支付", "大病保险",
          "进入医疗救助金额", "医疗救助", "倾斜救助", "医疗机构承担", "个人自付", "年度累计个人自付", "年度累计医疗救助"]
COMPUTED = LEDGER[7:]
KEYS = ["settlement_id", "id_number", "name", "category", "kind", "referral", "in_province", "settlement_date",
        "total_cost", "policy_cost", "basic_paid", "out_of_catalog", "hospital_class"]
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

REGIONS = {  # region: (year, settings rows, identities, kinds, hospital classes)
    "赣州": (2022, [("disposable_income", 2021, "40000"), ("rural_income_province", 2021, "18000")],
             ["特困人员", "低保对象", "返贫致贫人口", "边缘易致贫人口", "因病支出型困难家庭患者", "稳定脱贫人口", "",
              "低保对象、边缘易致贫人口"],
             ["住院", "住院", "门诊慢特病", "门诊两病", "普通门诊", "门诊特药"], [""]),
    "西秀": (2022, [("critical_deductible", 2022, "10000"), ("critical_rate", 2022, "60%"),
                    ("critical_cap", 2022, "300000"), ("assistance_cap", 2022, "50000")],
             ["特困人员", "脱贫人口", "低保对象", "边缘人口", "脱贫不稳定户", ""], ["住院", "住院", "门诊慢特病"], [""]),
    "龙岩": (2023, [("disposable_income", 2022, "40000"), ("assistance_cap", 2023, "40000"),
                    ("critical_cap", 2023, "300000")],
             ["第一类", "第二类", "第三类", "第四类", "第五类", ""], ["住院", "住院", "门诊慢特病", "门诊特药"], [""]),
    "阳城": (2022, [("critical_deductible", 2022, "10000"), ("critical_rate", 2022, "60%"),
                    ("critical_cap", 2022, "300000"), ("assistance_cap", 2022, "100000")],
             ["特困人员", "低保对象", "返贫致贫人口", "易返贫致贫人口", ""], ["住院", "住院", "门诊慢特病", "门诊特药"],
             ["一类", "省市级二类", "县级二类及三类", ""]),
}


def gb_id(n: int) -> str:
    """A valid GB 11643 number for person n (any n: the birth date moves on every 999 persons)."""
    born = date(1950, 1, 1) + timedelta(days=n // 999)
    body = f"360702{born:%Y%m%d}{n % 999 + 1:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS)) % 11]


def settings_of(region):
    year, rows, *_ = REGIONS[region]
    return parse_settings("".join(f'[[setting]]\nregion = "{region}"\nkey = "{k}"\nyear = {y}\nvalue = "{v}"\n'
                                  f'source = "测试"\n' for k, y, v in rows))


def year_of_claims(region: str, rnd: random.Random, n: int, people: int) -> list[dict]:
    year, _rows, identities, kinds, classes = REGIONS[region]
    who = [rnd.choice(identities) for _ in range(people)]
    rows = []
    for i in range(n):
        p = rnd.randrange(people)
        big = rnd.random() < 0.3
        policy = rnd.randint(0, 30_000_000 if big else 2_000_000)          # fen: up to 300,000 / 20,000 yuan
        basic = rnd.randint(0, policy) if rnd.random() < 0.8 else 0
        ooc = rnd.randint(0, policy // 2) if region == "阳城" and rnd.random() < 0.4 else 0
        rows.append({"settlement_id": f"S{i}", "id_number": gb_id(p + 1), "name": f"人{p}", "category": who[p],
                     "kind": rnd.choice(kinds), "referral": "否" if rnd.random() < 0.15 else "是",
                     "in_province": "否" if rnd.random() < 0.1 else "是",
                     "settlement_date": date(year, 1, 1) + timedelta(days=rnd.randrange(330)),
                     "total_cost": (policy + ooc + rnd.randint(0, 50_000)) / 100, "policy_cost": policy / 100,
                     "basic_paid": basic / 100, "out_of_catalog": ooc / 100 if ooc else None,
                     "hospital_class": rnd.choice(classes) or None})
    for j in range(2):  # reversals of earlier claims, later in the year
        orig = rows[rnd.randrange(len(rows))]
        rev = dict(orig, settlement_date=orig["settlement_date"] + timedelta(days=1))
        for k in ("total_cost", "policy_cost", "basic_paid", "out_of_catalog"):
            rev[k] = None if rev[k] is None else -rev[k]
        rows.append(rev)
    return rows


def outcome_of(region, rows):
    t = ExportTable(Path("x.xlsx"), "s", 1, dict(enumerate(KEYS)), [])
    t.rows = [RawRow(n, dict(r)) for n, r in enumerate(rows, 2)]
    return compute(t, default_book().region(region), settings_of(region))


def build(outcome, path: Path) -> dict[str, int]:
    """The ledger columns with the engine's values, formulas over them, and 政策参数. Returns the fen the
    engine computed for every formula cell ('H5' → fen)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append(LEDGER)
    col = {name: get_column_letter(i + 1) for i, name in enumerate(LEDGER)}
    sheet = PolicySheet(first_row=2)
    expected: dict[str, int] = {}
    for r, line in enumerate(outcome.lines, 2):
        s, c = line.result, line.row.claim
        st_ = line.state_after
        fen = {"大病保险": s.critical, "进入医疗救助金额": s.assist_base, "医疗救助": s.assist, "倾斜救助": s.tilt,
               "医疗机构承担": s.hospital_borne, "个人自付": s.final_selfpay, "年度累计个人自付": st_.final_selfpay,
               "年度累计医疗救助": st_.assist}
        values = [c.settlement_id, s.identity, c.kind, "是" if c.referral else "否", c.total_cost / 100,
                  c.policy_cost / 100, c.basic_paid / 100] + [None if fen[k] is None else fen[k] / 100 for k in COMPUTED]
        ws.append(values)
        ctx = outcome.views[c.settled_on]
        refs = RowRefs({name: f"{col[name]}{r}" for name in LEDGER})
        for name, text in formulas(ctx, sheet, refs, line, c.chronic_class2).items():
            ws[f"{col[name]}{r}"] = text
            expected[f"{col[name]}{r}"] = fen[name] or 0
    ps = wb.create_sheet(SHEET)
    ps.append(COLUMNS)
    for row in sheet.rows:
        ps.append(row.cells())
    wb.save(path)
    return expected


def recalculated(path: Path, tmp: Path) -> dict[str, object]:
    out = lo_util.recalculate(path, tmp / "lo")
    ws = openpyxl.load_workbook(out, data_only=True)["台账"]
    return {cell.coordinate: cell.value for row in ws.iter_rows(min_row=2) for cell in row}


def check(outcome, tmp: Path):
    path = tmp / "ledger.xlsx"
    expected = build(outcome, path)
    assert expected, "no formula written"
    got = recalculated(path, tmp)
    wrong = {ref: (got[ref], fen) for ref, fen in expected.items()
             if not isinstance(got[ref], (int, float)) or round(got[ref] * 100) != fen}
    assert not wrong, list(wrong.items())[:10]
    return expected


@pytest.mark.parametrize("region", list(REGIONS))
def test_a_year_per_region_recalculates_to_the_engines_fen(region, tmp_path):
    outcome = outcome_of(region, year_of_claims(region, random.Random(7), 160, 12))
    expected = check(outcome, tmp_path)
    # the year exercised what it must: payments, caps, thresholds, reversals
    paid = [ln for ln in outcome.lines if not ln.row.reversal]
    assert sum(1 for ln in paid if ln.result.assist) > 10
    assert sum(1 for ln in paid if ln.result.critical) > 10
    assert any(ln.row.reversal for ln in outcome.lines)
    if region == "赣州":
        assert any(ln.result.tilt for ln in paid)  # 倾斜救助 paid beyond a cap
    if region == "阳城":
        assert any(ln.result.hospital_borne for ln in paid)
    assert len(expected) > 5 * len(paid) // 2


def test_half_fen_cases_survive_binary_floating_point(tmp_path):
    # 0.015 yuan and 925.9275: what ROUND(x, 2) on binary floats can get wrong. Here the formula computes
    # in integer fen: 低保 75% of a self-pay of 1,234.57 = 925.9275 → half-up 925.93; of 0.02 → 0.015 → 0.02.
    rows = [{"settlement_id": f"H{i}", "id_number": gb_id(i + 1), "name": "半分", "category": "低保对象", "kind": "住院",
             "referral": "是", "in_province": "是", "settlement_date": date(2022, 3, 1), "total_cost": amt,
             "policy_cost": amt, "basic_paid": 0.0, "out_of_catalog": None, "hospital_class": None}
            for i, amt in enumerate([1234.57, 0.02, 1.06, 8.50])]
    outcome = outcome_of("赣州", rows)
    assert [ln.result.assist for ln in outcome.lines] == [92593, 2, 80, 638]  # 925.93, 0.02, 0.795→0.80, 6.375→6.38
    check(outcome, tmp_path)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(region=st.sampled_from(list(REGIONS)), seed=st.integers(0, 10_000))
def test_random_small_years(region, seed, tmp_path_factory):
    outcome = outcome_of(region, year_of_claims(region, random.Random(seed), 25, 4))
    check(outcome, tmp_path_factory.mktemp("rnd"))
