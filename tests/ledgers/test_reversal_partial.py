"""A reversal undoes the whole original settlement, so it must carry the original's amounts negated.
A partial one (-1.00 against 2,475.70) is rejected with the amounts named, and the original keeps
counting in the year-to-date: it is never taken as a full reversal. Within one month and across
months (--previous).

Figures (阳医保发〔2022〕2号 四: 低保对象 住院 医疗救助 70% of the in-policy self-pay, no deductible;
大病 deductible 100,000 × 50% not reached, so 大病保险 0):
  ORIG  政策范围内 2,475.70, 基本医保 1,000.00 → self-pay 1,475.70 × 70% = 1,032.99
  LATER 政策范围内 1,000.00, 基本医保   600.00 → self-pay   400.00 × 70% =   280.00
The ledger's cells hold fen / 100 (correctly rounded), so they compare exactly with the two-decimal literals.
"""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import openpyxl
from xlsx_templates.build import SHEET_ROWS
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/ledgers for the export builder
import exports  # noqa: E402

from processor.io.ids import check_digit  # noqa: E402

ID = "99900019500101123" + check_digit("99900019500101123")
PERSON = dict(姓名="甲", 证件号码=ID, 人员类别="低保对象", 镇街="凤城镇", 医疗类别="住院", 是否转诊="是")


def claim(sid, day, policy, basic, total=None):
    return dict(PERSON, 结算ID=sid, 结算日期=day, 符合范围金额=policy, 统筹基金支出=basic,
                医疗费总额=policy if total is None else total)


ORIG = claim("ORIG", date(2022, 1, 10), 2475.70, 1000)
LATER = claim("LATER", date(2022, 2, 20), 1000, 600)


@pytest.fixture
def settings(tmp_path):
    return exports.write_settings(tmp_path / "s.toml", "阳城", [
        ("critical_deductible", 2022, "100000"), ("critical_rate", 2022, "60%"), ("critical_cap", 2022, "300000"),
        ("assistance_cap", 2022, "60000")])


def fill(tmp, name, rows, settings, previous=()) -> Path:
    return exports.run_fill(tmp, name, rows, settings, previous=previous)


def read(path) -> tuple[dict, list]:
    wb = openpyxl.load_workbook(path)
    ws = wb["台账"]
    header = [str(c.value or "").strip() for c in ws[4]]
    header = [h or str(t.value or "").strip() for h, t in zip(header, ws[3])]
    rows = {}
    for r in ws.iter_rows(min_row=5, values_only=True):
        if r[0] in (None, "合计"):
            continue
        rows[r[header.index("结算ID")]] = dict(zip(header, r))
    rejected = [r for r in wb["异常"].iter_rows(min_row=SHEET_ROWS["异常"][0], values_only=True) if r[1]]
    return rows, rejected


PARTIAL = "冲销金额与原结算不一致（医疗费总额 原 2,475.70 本行 -1.00；政策范围内费用 原 2,475.70 本行 -1.00；" \
          "基本医保支付 原 1,000.00 本行 0.00），部分冲销请由平台重新结算"


def test_partial_reversal_in_the_same_month_is_rejected(tmp_path, settings):
    out = fill(tmp_path, "m", [ORIG, claim("ORIG", date(2022, 1, 15), -1.00, 0), LATER], settings)
    rows, rejected = read(out)
    assert [(r[1], r[3]) for r in rejected] == [("ORIG", PARTIAL)]
    assert rows["ORIG"]["医疗救助"] == 1032.99
    # the original still counts: 1,032.99 + 280.00 = 1,312.99 year to date after LATER
    assert rows["LATER"]["医疗救助"] == 280
    assert rows["LATER"]["年度累计医疗救助"] == 1312.99


def test_full_reversal_in_the_same_month_undoes_the_original(tmp_path, settings):
    """The control: the exact negation is accepted and takes 1,032.99 back: year to date 280.00."""
    out = fill(tmp_path, "m", [ORIG, claim("ORIG", date(2022, 1, 15), -2475.70, -1000), LATER], settings)
    rows, rejected = read(out)
    assert rejected == []
    assert rows["LATER"]["年度累计医疗救助"] == 280


@pytest.mark.parametrize("policy, basic, total, words", [
    (-2475.70, -999.99, None, "基本医保支付 原 1,000.00 本行 -999.99"),        # one fen short
    (-2475.70, -1000, -2500, "医疗费总额 原 2,475.70 本行 -2,500.00"),          # the total differs
])
def test_partial_reversal_of_last_months_claim_is_rejected(tmp_path, settings, policy, basic, total, words):
    jan = fill(tmp_path, "01", [ORIG], settings)
    feb = fill(tmp_path, "02", [claim("ORIG", date(2022, 2, 1), policy, basic, total), LATER], settings, [jan])
    rows, rejected = read(feb)
    assert len(rejected) == 1 and rejected[0][1] == "ORIG"
    assert words in rejected[0][3] and "部分冲销请由平台重新结算" in rejected[0][3]
    assert "ORIG" not in rows
    # January's 1,032.99 stands: 1,032.99 + 280.00 = 1,312.99
    assert rows["LATER"]["年度累计医疗救助"] == 1312.99


def test_full_reversal_of_last_months_claim_is_accepted(tmp_path, settings):
    jan = fill(tmp_path, "01", [ORIG], settings)
    feb = fill(tmp_path, "02", [claim("ORIG", date(2022, 2, 1), -2475.70, -1000), LATER], settings, [jan])
    rows, rejected = read(feb)
    assert rejected == []
    assert rows["ORIG"]["医疗救助"] == -1032.99
    # 1,032.99 − 1,032.99 + 280.00 = 280.00
    assert rows["LATER"]["年度累计医疗救助"] == 280
