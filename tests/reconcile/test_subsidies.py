"""`yibao reconcile … --requests --payments`: the 代缴请款明细 against the payment records, person by person.
Hand-made case (赣州 2022, subsidies of 赣市医保字〔2021〕37号 二(二) are 320 元):
  A requested 320, recorded 320 → 一致
  B requested 300, recorded 320 → 不一致, −20
  C requested —,   recorded 320 → 未请款, −320
  D requested 320, recorded —   → 无缴费记录, +320
  E requested 320 twice, recorded 320 → 重复请款, 640 − 320 = +320
Totals: requested 320 + 300 + 320 + 640 = 1,580; recorded 4 × 320 = 1,280; difference 300 =
−20 − 320 + 320 + 320 (the 核对 row is 0.00, 平)."""
from __future__ import annotations

import contextlib
import io
import sys
from datetime import date
from pathlib import Path

import openpyxl

from processor.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ledgers"))
import exports  # noqa: E402

W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def gb(n: int) -> str:
    body = f"36070219800101{n:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, W)) % 11]


def sheet(path, headers, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_requests_against_payment_records(tmp_path):
    ids = {k: gb(i) for i, k in enumerate("ABCDE", 1)}
    requests = sheet(tmp_path / "请款.xlsx", ["证件号码", "姓名", "代缴类别", "代缴金额", "个人缴费金额", "缴费总额", "请款批次"], [
        [ids["A"], "甲", "低保对象", 320, 0, 320, "2022-01"], [ids["B"], "乙", "特困人员", 300, 0, 300, "2022-01"],
        [ids["D"], "丁", "低保对象", 320, 0, 320, "2022-01"], [ids["E"], "戊", "低保对象", 320, 0, 320, "2022-01"],
        [ids["E"], "戊", "低保对象", 320, 0, 320, "2022-02"]])
    payments = sheet(tmp_path / "缴费.xlsx", ["证件号码", "姓名", "参保年度", "险种", "缴费日期", "个人缴费金额", "代缴类别",
                                            "代缴金额"], [
        [ids[k], n, 2022, "城乡居民基本医疗保险", date(2021, 11, 1), 0, "低保对象", 320]
        for k, n in (("A", "甲"), ("B", "乙"), ("C", "丙"), ("E", "戊"))])
    export = tmp_path / "export.xlsx"
    exports.write_export(export, [{"结算ID": "S1", "姓名": "甲", "证件号码": ids["A"], "人员类别": "低保对象",
                                   "医疗类别": "住院", "是否转诊": "是", "结算日期": date(2022, 3, 1),
                                   "医疗费总额": 1000, "符合范围金额": 1000, "统筹基金支出": 600, "医疗救助基金": 300}],
                         extra_headers=("医疗救助基金",))
    settings = exports.write_settings(tmp_path / "s.toml", "赣州", [("disposable_income", 2021, "40000"),
                                                                   ("rural_income_province", 2021, "18000")])
    out = tmp_path / "对账.xlsx"
    buf, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        code = main(["reconcile", str(export), "--region", "赣州", "--settings", str(settings), "--out", str(out),
                     "--requests", str(requests), "--payments", str(payments), "--quiet"])
    assert code == 0, err.getvalue()
    ws = openpyxl.load_workbook(out)["资助对账"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    head = next(i for i, r in enumerate(rows) if r[0] == "证件号码")
    body = {r[0]: r for r in rows[head + 1:] if r[0] in ids.values()}
    got = {k: (body[ids[k]][4], body[ids[k]][5]) for k in "ABCDE"}
    assert got == {"A": (0, "一致"), "B": (-20, "请款金额与缴费记录不一致"), "C": (-320, "缴费记录有代缴但未请款"),
                   "D": (320, "请款但无缴费记录"), "E": (320, "重复请款")}
    total = next(r for r in rows if r[0] == "合计")
    check = next(r for r in rows if r[0] and str(r[0]).startswith("核对"))
    assert (total[2], total[3], total[4]) == (1580, 1280, 300)
    assert check[4] == 0 and check[5] == "平"
    assert "资助请款：5 人，不一致 4 人，差额合计 300.00 元" in buf.getvalue()
    assert ids["A"] not in buf.getvalue() + err.getvalue()  # no full ID on the console


def test_requests_without_payments_is_a_clear_error(tmp_path):
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["reconcile", "x.xlsx", "--region", "赣州", "--out", str(tmp_path / "o.xlsx"),
                     "--requests", "r.xlsx", "--quiet"])
    assert code == 2
