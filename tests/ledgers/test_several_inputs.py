"""`yibao fill` over several export files or a folder of them (issue 12 item 3): the month split into a
CSV and a Parquet file gives the same 台账 as the one workbook it came from; a 结算ID in two files is
rejected naming both files; rows in = rows out + rows rejected across the files."""
from __future__ import annotations

import contextlib
import csv
import io
import sys
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from processor.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exports import ledger_rows  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "阳城_结算导出.xlsx"
SETTINGS = ROOT / "settings.example.toml"


def sample_rows() -> tuple[list[str], list[list]]:
    ws = openpyxl.load_workbook(SAMPLE, read_only=True).worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(rows) if "结算ID" in r)
    return [str(h) for h in rows[header]], rows[header + 1:]


def write_csv(path: Path, headers: list[str], rows: list[list]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for r in rows:
            w.writerow(["" if v is None else v.date().isoformat() if isinstance(v, datetime) else v for v in r])


def write_parquet(path: Path, headers: list[str], rows: list[list]) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq
    columns = {}
    for i, h in enumerate(headers):
        values = [r[i] if i < len(r) else None for r in rows]
        values = [v.date() if isinstance(v, datetime) else v for v in values]
        kinds = {type(v) for v in values if v is not None}
        if kinds <= {int, float} and kinds:
            values = [None if v is None else float(v) for v in values]
        elif kinds - {date}:
            values = [None if v is None else str(v) for v in values]
        columns[h] = values
    pq.write_table(pa.table(columns), path)


def fill(tmp: Path, inputs: list[Path], name: str) -> tuple[int, str, str, Path]:
    out = tmp / f"{name}.xlsx"
    argv = ["fill", "医疗救助台账", *map(str, inputs), "--region", "阳城", "--settings", str(SETTINGS),
            "--out", str(out)]
    so, se = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
        rc = main(argv)
    return rc, so.getvalue(), se.getvalue(), out


def by_id(path: Path) -> dict:
    return {r["结算ID"]: (r["大病保险"], r["医疗救助"], r["个人自付"], r["年度累计个人自付"]) for r in ledger_rows(path)}


def test_a_month_in_a_csv_and_a_parquet_gives_the_ledger_of_the_one_workbook(tmp_path):
    headers, rows = sample_rows()
    half = len(rows) // 2
    folder = tmp_path / "exports"
    folder.mkdir()
    write_csv(folder / "a_上半月.csv", headers, rows[:half])
    write_parquet(folder / "b_下半月.parquet", headers, rows[half:])
    rc, out_one, _e, one = fill(tmp_path, [SAMPLE], "one")
    assert rc == 0
    rc, out_two, err, two = fill(tmp_path, [folder], "two")
    assert rc == 0, err
    assert "2 个文件" in err  # the folder's files are named before reading
    assert by_id(two) == by_id(one)  # same claims, same amounts, same year-to-date, to the fen
    # the sample: 1,503 rows read = 1,501 written + 2 rejected, whichever way it is split
    assert "读入结算行 1,503 = 写入台账 1,501 + 异常 2" in out_one
    assert "读入结算行 1,503 = 写入台账 1,501 + 异常 2" in out_two
    # the per-fund totals line is the same
    assert out_one.splitlines()[3] == out_two.splitlines()[3]


def test_a_settlement_in_two_files_is_rejected_naming_both(tmp_path):
    headers, rows = sample_rows()
    first = [r for r in rows if r[0]][:3]
    write_csv(tmp_path / "甲.csv", headers, first)
    write_csv(tmp_path / "乙.csv", headers, first[:1])  # the first settlement again, in another file
    rc, out, err, ledger = fill(tmp_path, [tmp_path / "甲.csv", tmp_path / "乙.csv"], "dup")
    assert rc == 0, err
    assert "读入结算行 4 = 写入台账 3 + 异常 1" in out
    reasons = [r[3] for r in openpyxl.load_workbook(ledger)["异常"].iter_rows(min_row=4, values_only=True) if r[3]]
    assert any(r.startswith("〔乙.csv〕重复的结算ID（与甲.csv 第2行重复）") for r in reasons), reasons


def test_one_file_given_twice_or_an_empty_folder_is_refused(tmp_path):
    rc, _o, err, _p = fill(tmp_path, [SAMPLE, SAMPLE], "twice")
    assert rc == 2 and "同一个输入文件给了两次" in err
    (tmp_path / "empty").mkdir()
    rc, _o, err, _p = fill(tmp_path, [tmp_path / "empty"], "empty")
    assert rc == 2 and "没有 .parquet、.csv 或 .xlsx 文件" in err


def test_a_later_previous_ledger_names_the_file_and_row_of_the_first_settlement(tmp_path):
    headers, rows = sample_rows()
    rc, _o, _e, ledger = fill(tmp_path, [SAMPLE], "year")  # the sample's months, as last month's ledger
    assert rc == 0
    first = [r for r in rows if r[0]][:2]
    write_csv(tmp_path / "甲.csv", headers, first[:1])
    write_csv(tmp_path / "乙.csv", headers, first[1:])
    out = tmp_path / "again.xlsx"
    argv = ["fill", "医疗救助台账", str(tmp_path / "甲.csv"), str(tmp_path / "乙.csv"), "--region", "阳城",
            "--settings", str(SETTINGS), "--out", str(out), "--previous", str(ledger)]
    se = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(se):
        assert main(argv) == 2
    err = se.getvalue()
    assert "--previous 只能给本月之前的台账" in err and ".csv 第2行，" in err and "第甲" not in err, err
    assert not out.exists()


def test_two_files_of_the_same_name_in_two_folders_are_told_apart(tmp_path):
    headers, rows = sample_rows()
    first = [r for r in rows if r[0]][:1]
    for folder in ("一月", "二月"):
        (tmp_path / folder).mkdir()
        write_csv(tmp_path / folder / "导出.csv", headers, first)  # the same settlement in both
    rc, out, err, ledger = fill(tmp_path, [tmp_path / "一月", tmp_path / "二月"], "same_name")
    assert rc == 0, err
    reasons = [r[3] for r in openpyxl.load_workbook(ledger)["异常"].iter_rows(min_row=4, values_only=True) if r[3]]
    assert len(reasons) == 1 and "二月/导出.csv〕重复的结算ID" in reasons[0] and "一月/导出.csv 第2行" in reasons[0], reasons


def test_period_names_the_file_and_row_of_the_first_settlement_outside_it(tmp_path):
    headers, rows = sample_rows()
    data = [r for r in rows if r[0]]
    write_csv(tmp_path / "甲.csv", headers, data[:1])
    write_csv(tmp_path / "乙.csv", headers, data[1:2])
    on = data[0][headers.index("结算日期")]
    other = "2021-01" if on.year != 2021 else "2020-01"  # a month none of them is in
    out = tmp_path / "p.xlsx"
    argv = ["fill", "医疗救助台账", str(tmp_path / "甲.csv"), str(tmp_path / "乙.csv"), "--region", "阳城",
            "--settings", str(SETTINGS), "--out", str(out), "--period", other]
    se = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(se):
        assert main(argv) == 2
    err = se.getvalue()
    assert f"不在所属期 {other} 内" in err and "第一行是甲.csv 第2行）" in err, err
    assert not out.exists()


def test_a_broken_file_among_several_is_named_in_the_message(tmp_path):
    # with --quiet nothing but the message is printed: of several files it must say which one
    headers, rows = sample_rows()
    write_csv(tmp_path / "甲.csv", headers, rows[:20])
    cut = tmp_path / "乙.xlsx"
    cut.write_bytes(SAMPLE.read_bytes()[:-300])  # cut short: refused by the safety scan before any row is read
    rc, _o, err, out = fill(tmp_path, [tmp_path / "甲.csv", cut, "--quiet"], "cut")
    assert rc == 2 and "错误：乙.xlsx：不是有效的 xlsx 文件" in err, err
    assert not out.exists()
    for line, said in ((11, "错误：结算导出 丙.csv：CSV 文件第11行格式错误"),  # within the header's search: named so
                       (101, "错误：丙.csv：CSV 文件第101行格式错误")):       # while reading the rows: named here
        broken = tmp_path / "丙.csv"  # a field of 200,000 characters (csv's limit is 131,072) on that line
        write_csv(broken, headers, rows[:120])
        lines = broken.read_text(encoding="utf-8-sig").splitlines()
        lines[line - 1] += "x" * 200_000
        broken.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
        rc, _o, err, out = fill(tmp_path, [tmp_path / "甲.csv", broken, "--quiet"], "broken")
        assert rc == 2 and said in err, err
        assert not out.exists()
