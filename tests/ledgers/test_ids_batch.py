"""`yibao fill` with person IDs as exports really hold them, amounts out of range (defect 2) and impossible
dates (defect 16): every bad row goes to 异常 with its reason, rows in = rows written + rows rejected, and
one person keeps one year-to-date however the number was typed.

Region 赣州 2022, ordinary insured persons (人员类别 empty), settings: 2021 城乡居民人均可支配收入 40,000
(test figure), 全省农村 20,000. Each good claim: 医疗费总额 1,200, 符合范围金额 1,000, 统筹基金支出 600.
赣市医保字〔2021〕37号 二(三)2: 大病 deductible 40,000 × 50% = 20,000; the claim's amount 1,000 − 600 = 400
stays below it → 大病 0; 普通参保人 get no 医疗救助 and no 倾斜救助; 个人自付 = 1,200 − 600 = 600.
"""
from __future__ import annotations

import contextlib
import io
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
from xlsx_templates.build import SHEET_ROWS
import pytest

from processor.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/ledgers for the export builder
import exports  # noqa: E402

SAME = "999703197110086025"           # check digit 5, worked out by hand in tests/io/test_ids.py
FIRST_GEN = "360702800101001"         # 15 digits → 360702198001010016 (check digit 6, tests/io/test_ids.py)
LOST = "证件号码被 Excel 存成了数字/科学计数法，后几位已丢失，请把该列设为文本后重新导出"
TOO_LARGE = "超出范围（超过10亿元）"
# test figures (not official); 三(六)2's 因病致贫 line 20,000 is never reached by these small years
SETTINGS = [("disposable_income", 2021, "40000"), ("rural_income_province", 2021, "20000")]


def row(sid, name, idno, on=date(2022, 3, 1), **changes) -> dict:
    values = {"结算ID": sid, "姓名": name, "证件号码": idno, "人员类别": "", "镇街": "红旗镇", "医疗类别": "住院",
              "是否转诊": "是", "入院日期": date(on.year, on.month, 1), "出院日期": on, "结算日期": on,
              "医疗费总额": 1200, "符合范围金额": 1000, "统筹基金支出": 600}
    values.update(changes)
    return values


def fill(tmp_path: Path, name: str, rows: list[dict], previous: Path | None = None,
         extra_headers: tuple[str, ...] = ()) -> tuple[Path, str, list[int | None]]:
    export = tmp_path / f"{name}_导出.xlsx"
    numbers = exports.write_export(export, rows, extra_headers=extra_headers)
    settings = exports.write_settings(tmp_path / "settings.toml", "赣州", SETTINGS)
    out = tmp_path / f"{name}_台账.xlsx"
    argv = ["fill", "医疗救助台账", str(export), "--region", "赣州", "--out", str(out), "--settings", str(settings),
            "--quiet"]
    if previous is not None:
        argv += ["--previous", str(previous)]
    buf, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        code = main(argv)
    assert code == 0, err.getvalue()
    return out, buf.getvalue(), numbers


def fen(value) -> int:
    return int(Decimal(repr(value)) * 100)


ledger_rows = exports.ledger_rows


def sheet(path: Path, name: str) -> list[list]:
    ws = openpyxl.load_workbook(path)[name]
    return [list(r) for r in ws.iter_rows(min_row=SHEET_ROWS[name][0], values_only=True) if any(v is not None for v in r)]


def year_state(path: Path) -> dict[str, list]:
    return {r[0]: r for r in sheet(path, "年度累计")}


# the month's export: (row, expected 原因 fragment or None when written)
MONTH = [
    (row("OK-1", "张同", "9997 03197110086025", date(2022, 3, 1)), None),
    (row("OK-2", "张同", SAME, date(2022, 4, 1)), None),
    (row("OK-3", "李一代", FIRST_GEN, date(2022, 4, 2)), None),
    # two different people whose IDs Excel turned into the same 1.40522E+17: neither is keyed
    (row("SCI-1", "王甲", 1.40522e17), LOST),
    (row("SCI-2", "赵乙", 1.40522e17), LOST),
    (row("SCI-3", "钱丙", "1.40522E+17"), LOST),
    # a numeric cell that lost its last digits: what calamine hands over for 999703197110086025 as a number
    (row("NUM-1", "孙丁", float(SAME)), LOST),
    (row("CHK-1", "周戊", "999703197110086016"), "证件号码校验位不符"),
    (row("TXT-1", "吴己", "张三"), "证件号码不是居民身份证号码"),
    (row("NONE-1", "郑庚", None), "缺少必填项：证件号码"),
    # defect 2: 1e300 as a number and as text
    (row("BIG-1", "冯辛", SAME, 符合范围金额=1e300), "政策范围内费用" + TOO_LARGE),
    (row("BIG-2", "陈壬", SAME, 统筹基金支出="1e300"), "基本医保支付" + TOO_LARGE),
    (row("BIG-3", "褚癸", SAME, 医疗费总额=1_000_000_000.01), "医疗费总额" + TOO_LARGE),
    # defect 16: an impossible time; stays in the wrong order
    (row("DT-1", "卫子", SAME, 结算日期="2022-9-10 25:99"), "结算日期的时间无效"),
    (row("DT-2", "蒋丑", SAME, date(2022, 5, 1), 入院日期=date(2022, 5, 10), 出院日期=None),
     "入院日期 2022-05-10 晚于结算日期 2022-05-01"),
    (row("DT-4", "韩卯", SAME, date(2022, 5, 2), 入院日期=date(2022, 5, 1), 出院日期=date(2022, 4, 20)),
     "出院日期 2022-04-20 早于入院日期 2022-05-01"),
]


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ids_batch")
    out, stdout, numbers = fill(tmp, "03", [r for r, _ in MONTH])
    return tmp, out, stdout, numbers


def test_rows_in_equal_rows_out_plus_rejected(month):
    _tmp, out, stdout, _numbers = month
    written = [r for r, why in MONTH if why is None]
    rejected = [r for r, why in MONTH if why is not None]
    assert len(ledger_rows(out)) == len(written) == 3
    listed = sheet(out, "异常")
    assert len([r for r in listed if r[1]]) == len(rejected) == 13
    assert [r[3] for r in listed if not r[1]] == ["未计入：合计行，不是结算记录"]  # the export's 合计 line
    assert f"读入结算行 {len(MONTH)} = 写入台账 {len(written)} + 异常 {len(rejected)}" in stdout


def test_each_bad_row_is_in_the_anomaly_sheet_with_its_reason(month):
    _tmp, out, _stdout, numbers = month
    listed = {r[1]: r for r in sheet(out, "异常") if r[1]}
    for (values, why), number in zip(MONTH, numbers):
        if why is None:
            assert values["结算ID"] not in listed
            continue
        source_row, sid, name, reason = listed[values["结算ID"]]
        assert (source_row, name) == (number, values["姓名"])
        assert why in reason, (sid, reason)


def test_one_person_one_year_to_date_however_the_number_was_typed(month):
    _tmp, out, _stdout, _numbers = month
    rows = {r["结算ID"]: r for r in ledger_rows(out)}
    assert rows["OK-1"]["证件号码"] == rows["OK-2"]["证件号码"] == SAME
    assert rows["OK-3"]["证件号码"] == "360702198001010016"
    # 个人自付 600 each (module docstring); the second claim of the same person carries 600 + 600 = 1,200
    assert [fen(rows[s]["个人自付"]) for s in ("OK-1", "OK-2", "OK-3")] == [600_00, 600_00, 600_00]
    assert fen(rows["OK-1"]["年度累计个人自付"]) == 600_00
    assert fen(rows["OK-2"]["年度累计个人自付"]) == 1200_00
    assert fen(rows["OK-3"]["年度累计个人自付"]) == 600_00
    state = year_state(out)
    # only the two valid people: the 1.40522E+17 rows opened no year of their own
    assert set(state) == {SAME, "360702198001010016"}
    assert fen(state[SAME][9]) == 1200_00  # 个人自付累计: 600 + 600


def test_no_id_number_printed(month):
    _tmp, _out, stdout, _numbers = month
    assert SAME not in stdout and "360702198001010016" not in stdout


def test_next_month_reads_the_people_back(month, tmp_path):
    _tmp, first, _stdout, _numbers = month
    # the same person typed with spaces and a full-width digit; 15-digit one as the 18-digit number
    nxt = [row("M4-1", "张同", "９９９7 0319 7110 0860 25", date(2022, 6, 1)),
           row("M4-2", "李一代", "360702198001010016", date(2022, 6, 2))]
    out, stdout, _ = fill(tmp_path, "06", nxt, previous=first)
    rows = {r["结算ID"]: r for r in ledger_rows(out)}
    # year 1,200 + 600 = 1,800; 600 + 600 = 1,200
    assert fen(rows["M4-1"]["年度累计个人自付"]) == 1800_00
    assert fen(rows["M4-2"]["年度累计个人自付"]) == 1200_00
    assert "读入结算行 2 = 写入台账 2 + 异常 0" in stdout


def test_passports_and_person_numbers_are_keys(tmp_path):
    rows = [
        row("PP-1", "Anna", "e1234 5678", date(2022, 3, 1), 证件类型="护照"),
        row("PP-2", "Anna", "E12345678", date(2022, 3, 5), 证件类型="护照"),
        # the same characters under another document type are another person
        row("HK-1", "陈港", "E12345678", date(2022, 3, 6), 证件类型="港澳居民来往内地通行证"),
        # an empty 证件类型 is a 居民身份证
        row("ID-1", "张同", SAME, date(2022, 3, 7), 证件类型=None),
        row("BAD-1", "李错", "X1", date(2022, 3, 8), 证件类型="护照"),
        row("BAD-2", "王错", SAME, date(2022, 3, 9), 证件类型="身分证"),
    ]
    out, stdout, _ = fill(tmp_path, "pp", rows, extra_headers=("证件类型",))
    got = {r["结算ID"]: r for r in ledger_rows(out)}
    assert got["PP-1"]["证件号码"] == got["PP-2"]["证件号码"] == "护照:E12345678"
    assert got["HK-1"]["证件号码"] == "港澳居民来往内地通行证:E12345678"
    assert got["ID-1"]["证件号码"] == SAME
    # 600 + 600 for the passport holder; 600 for each of the others
    assert fen(got["PP-2"]["年度累计个人自付"]) == 1200_00
    assert fen(got["HK-1"]["年度累计个人自付"]) == 600_00
    reasons = {r[1]: r[3] for r in sheet(out, "异常") if r[1]}
    assert "护照号码无效" in reasons["BAD-1"]
    assert "未知证件类型：身分证" in reasons["BAD-2"]
    assert "读入结算行 6 = 写入台账 4 + 异常 2" in stdout
    # read back as last month's ledger: the passport holder's year continues (1,200 + 600 = 1,800)
    out2, _, _ = fill(tmp_path, "pp2", [row("PP-3", "Anna", "E12345678", date(2022, 4, 1), 证件类型="护照")],
                      previous=out, extra_headers=("证件类型",))
    assert fen(ledger_rows(out2)[0]["年度累计个人自付"]) == 1800_00


def test_person_number_when_the_export_has_no_id_column(tmp_path):
    # an export keyed by 人员编号 only: the header has no 证件号码 column at all
    export = tmp_path / "pno.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["结算ID", "姓名", "人员编号", "人员类别", "医疗类别", "是否转诊", "结算日期", "医疗费总额", "符合范围金额",
               "统筹基金支出"])
    ws.append(["PN-1", "甲", "36070001", None, "住院", "是", date(2022, 3, 1), 1200, 1000, 600])
    ws.append(["PN-2", "甲", 36070001, None, "住院", "是", date(2022, 3, 2), 1200, 1000, 600])
    ws.append(["PN-3", "乙", None, None, "住院", "是", date(2022, 3, 3), 1200, 1000, 600])
    wb.save(export)
    settings = exports.write_settings(tmp_path / "settings.toml", "赣州", SETTINGS)
    out = tmp_path / "pno_台账.xlsx"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
        assert main(["fill", "医疗救助台账", str(export), "--region", "赣州", "--out", str(out), "--settings",
                     str(settings), "--quiet"]) == 0
    got = {r["结算ID"]: r for r in ledger_rows(out)}
    # text "36070001" and the numeric cell 36070001 are the same person: 600 + 600 = 1,200
    assert got["PN-1"]["证件号码"] == got["PN-2"]["证件号码"] == "人员编号:36070001"
    assert fen(got["PN-2"]["年度累计个人自付"]) == 1200_00
    reasons = {r[1]: r[3] for r in sheet(out, "异常") if r[1]}
    assert "缺少必填项：证件号码" in reasons["PN-3"]
    assert "读入结算行 3 = 写入台账 2 + 异常 1" in buf.getvalue()


def test_interim_settlement_before_discharge_is_accepted():
    # 中途结算: a long stay settled on 2022-05-01 while the patient is discharged on 2022-05-20 — a real case,
    # not an error (only an admission after the settlement, or a discharge before the admission, is)
    from processor.io.reader import RawRow
    from processor.ledgers.normalise import normalise
    values = {"settlement_id": "MID-1", "id_number": "999703197110086025", "name": "沈寅",
              "settlement_date": "2022-05-01", "admission_date": "2022-04-01", "discharge_date": "2022-05-20",
              "policy_cost": 1000.0, "basic_paid": 600.0}
    row = normalise(RawRow(4, values), False)
    assert (row.admission, row.discharge) == (date(2022, 4, 1), date(2022, 5, 20))
