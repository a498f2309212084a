"""The ledgers of a province run: one per 参保地 (统筹区), the amounts worked out by hand from the clauses,
and a 统筹区 with more rows than a sheet holds written in several workbooks (the limit lowered to 50)."""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import openpyxl

import processor.province.outputs as outputs
from xlsx_templates.build import SHEET_ROWS

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "ledgers"))
import exports  # noqa: E402
from helpers import claims, rejects, run, synthetic, write_csv, write_parquet  # noqa: E402
from test_batch_amounts import YC_SETTINGS, Y, fen, gb11643  # noqa: E402
from test_equality import SETTINGS_TOML  # noqa: E402

M = ("马低保", gb11643("14052219740202002"), "低保", "凤城统筹区")
N = ("牛低保", gb11643("14052219750505005"), "低保", "北留统筹区")


def row(sid, who, on, total, policy, basic):
    name, idno, cat, area = who
    return {"settlement_id": sid, "name": name, "id_number": idno, "category": cat, "kind": "住院",
            "settlement_date": on, "total_cost": float(total), "policy_cost": float(policy),
            "basic_paid": float(basic), "insured_area": area}


def ledger_rows(path: Path) -> list[tuple]:
    ws = openpyxl.load_workbook(path, read_only=True)["台账"]
    first, _ = SHEET_ROWS["台账"]
    return [r for r in ws.iter_rows(min_row=first, values_only=True) if isinstance(r[0], int)]


def test_two_counties_two_files_amounts_by_hand(tmp_path):
    """阳医保发〔2022〕2号 三: 低保 大病 tilt — the test deductible 10,000 halved to 5,000, 60% + 5 = 65%;
    四: 低保 住院 医疗救助 70% (no top-up for 低保). total = policy, so 个人自付 = total − 统筹 − 大病 − 救助.
    The settings are round test figures (tests/ledgers/test_batch_amounts.py YC_SETTINGS)."""
    settings = exports.write_settings(tmp_path / "s.toml", "阳城", YC_SETTINGS)
    csv_rows = [
        # M, 凤城: policy 10,000, basic 2,000 → amount 8,000: 大病 (8,000 − 5,000) × 65% = 1,950;
        #   救助 (8,000 − 1,950) × 70% = 4,235; 个人自付 10,000 − 2,000 − 1,950 − 4,235 = 1,815
        row("A", M, date(2022, 3, 10), 10000, 10000, 2000),
        # N's reversal of C (below, in the other file): undoes C — N's year is back to 0
        row("C", N, date(2022, 5, 1), -30000, -30000, -10000),
    ]
    parquet_rows = [
        # M again: year base 8,000 → 12,000: (12,000 − 5,000) × 65% − 1,950 = 2,600; 救助 (4,000 − 2,600) × 70%
        #   = 980; 个人自付 6,000 − 2,000 − 2,600 − 980 = 420; M's year: 救助 4,235 + 980 = 5,215
        row("B", M, date(2022, 4, 10), 6000, 6000, 2000),
        # N, 北留: amount 20,000: 大病 (20,000 − 5,000) × 65% = 9,750; 救助 10,250 × 70% = 7,175;
        #   个人自付 30,000 − 10,000 − 9,750 − 7,175 = 3,075
        row("C", N, date(2022, 3, 11), 30000, 30000, 10000),
        # A again (the same settlement in the next export): a duplicate, rejected, never paid twice
        row("A", M, date(2022, 3, 10), 10000, 10000, 2000),
    ]
    write_csv(tmp_path / "1.csv", csv_rows)
    write_parquet(tmp_path / "2.parquet", parquet_rows, typed=True)
    code, out, err = run(str(tmp_path), "--region", "阳城", "--settings", str(settings), "--out", str(tmp_path / "out"),
                         "--workers", "1", "--partitions", "4")
    assert code == 0, err
    assert f"输入文件夹 {tmp_path}：2 个文件（1.csv、2.parquet）" in err
    got = {(r["结算ID"], r["医疗费总额（分）"] < 0): r for r in claims(tmp_path / "out")}
    amounts = {k: (r["大病保险（分）"], r["医疗救助（分）"], r["个人自付（分）"], r["年度累计医疗救助（分）"])
               for k, r in got.items()}
    assert amounts == {("A", False): (Y(1950), Y(4235), Y(1815), Y(4235)),
                       ("B", False): (Y(2600), Y(980), Y(420), Y(5215)),
                       ("C", False): (Y(9750), Y(7175), Y(3075), Y(7175)),
                       ("C", True): (Y(-9750), Y(-7175), Y(-3075), 0)}
    assert got[("A", False)]["源文件"] == "1.csv" and got[("B", False)]["源文件"] == "2.parquet"
    [dup] = [r for r in rejects(tmp_path / "out") if r["类别"] == "拒绝"]
    assert (dup["源文件"], dup["源行号"], dup["结算ID"]) == ("2.parquet", 4, "A")  # names are row 1
    assert "重复的结算ID" in dup["原因"]
    # 大病 1,950 + 2,600 + 9,750 − 9,750 = 4,550; 救助 4,235 + 980 + 7,175 − 7,175 = 5,215
    assert "读入结算行 5 = 计算 4 + 异常 1" in out
    assert "大病保险 4,550.00 元；医疗救助 5,215.00 元" in out
    # one ledger per 统筹区, its rows in settlement order, amounts in yuan as `yibao fill` writes them
    fc = ledger_rows(tmp_path / "out" / "台账" / "凤城统筹区_医疗救助待遇台账.xlsx")
    bl = ledger_rows(tmp_path / "out" / "台账" / "北留统筹区_医疗救助待遇台账.xlsx")
    assert [(r[0], r[1], fen(r[16]), fen(r[18])) for r in fc] == [(1, "A", Y(1950), Y(4235)), (2, "B", Y(2600), Y(980))]
    assert [(r[1], fen(r[16])) for r in bl] == [("C", Y(9750)), ("C", Y(-9750))]
    wb = openpyxl.load_workbook(tmp_path / "out" / "台账" / "凤城统筹区_医疗救助待遇台账.xlsx", read_only=True)
    assert "参保地：凤城统筹区" in wb["台账"]["A1"].value
    anomalies = [r for r in wb["异常"].iter_rows(min_row=SHEET_ROWS["异常"][0], values_only=True) if r[1]]
    assert [(r[0], r[1]) for r in anomalies] == [(4, "A")] and "2.parquet" in anomalies[0][3]
    note = [r for r in wb["汇总"].iter_rows(values_only=True) if r[0] == "说明"]
    assert "结算明细.parquet" in note[0][1]


def test_a_county_above_the_sheet_limit_is_written_in_volumes(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "SHEET_ROW_LIMIT", 50)  # 4 header rows + 45 rows + the totals row
    rows = [dict(r, insured_area="章贡区") for r in synthetic(100, seed=5, persons=12)]
    write_parquet(tmp_path / "a.parquet", rows)
    (tmp_path / "s.toml").write_text(SETTINGS_TOML, encoding="utf-8")
    code, out, err = run(str(tmp_path / "a.parquet"), "--region", "赣州", "--settings", str(tmp_path / "s.toml"),
                         "--out", str(tmp_path / "out"), "--workers", "1", "--partitions", "3")
    assert code == 0, err
    n = len(claims(tmp_path / "out"))
    volumes = -(-n // 45)
    assert volumes >= 2
    assert f"参保地 章贡区：{n:,} 行，超过一张工作表的行数上限（50 行，含表头），分 {volumes} 册写出，每册至多 45 行" in err
    paths = [tmp_path / "out" / "台账" / f"章贡区_医疗救助待遇台账_第{k}册.xlsx" for k in range(1, volumes + 1)]
    assert sorted((tmp_path / "out" / "台账").iterdir()) == sorted(paths)
    seq = []
    for k, p in enumerate(paths, 1):
        wb = openpyxl.load_workbook(p, read_only=True)
        for sheet in ("台账", "异常"):  # the sheets that grow with the data (政策依据: the policy's few dozen rows)
            ws = wb[sheet]
            ws.reset_dimensions()
            assert sum(1 for _ in ws.iter_rows()) <= 50, (p.name, sheet)
        assert f"第{k}册，共{volumes}册" in wb["台账"]["A1"].value
        seq += [r[0] for r in ledger_rows(p)]
    assert seq == list(range(1, n + 1))  # 序号 runs on across the volumes; every claim once
    # the rows of the volumes, in order, are the claims in settlement order
    dates = [r[12] for p in paths for r in ledger_rows(p)]
    assert dates == sorted(dates)
    # rerun with room for every row (and another partition count: all redone): one workbook, the volumes gone
    monkeypatch.setattr(outputs, "SHEET_ROW_LIMIT", 1_048_576)
    code, out, err = run(str(tmp_path / "a.parquet"), "--region", "赣州", "--settings", str(tmp_path / "s.toml"),
                         "--out", str(tmp_path / "out"), "--workers", "1", "--partitions", "2")
    assert code == 0, err
    assert [p.name for p in (tmp_path / "out" / "台账").iterdir()] == ["章贡区_医疗救助待遇台账.xlsx"]
    assert [r[0] for r in ledger_rows(tmp_path / "out" / "台账" / "章贡区_医疗救助待遇台账.xlsx")] == list(range(1, n + 1))
