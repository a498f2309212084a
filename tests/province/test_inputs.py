"""Inputs of a province run: files and folders of Parquet/CSV/xlsx through the one reader; wrong inputs stop
with a Chinese message and exit 2, before anything is computed, never with a traceback."""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import processor.province.cluster as cluster
from processor.io.parquet import read_parquet

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers import claims, rejects, run, synthetic, write_csv, write_parquet  # noqa: E402
from test_equality import SETTINGS_TOML  # noqa: E402


def _settings(tmp: Path) -> str:
    (tmp / "s.toml").write_text(SETTINGS_TOML, encoding="utf-8")
    return str(tmp / "s.toml")


def test_a_folder_of_csv_and_parquet_is_the_files_in_name_order(tmp_path):
    rows = synthetic(60, seed=11)
    folder = tmp_path / "exports"
    folder.mkdir()
    write_parquet(folder / "2022-02.parquet", rows[:30], typed=True)
    write_csv(folder / "2022-01.csv", rows[30:])
    (folder / "~$2022-03.xlsx").write_bytes(b"lock")      # Excel's lock file: left out, and said so
    (folder / "说明.txt").write_text("不是导出", encoding="utf-8")  # not an export: not read
    s = _settings(tmp_path)
    code, _, err = run(str(folder), "--region", "赣州", "--settings", s, "--out", str(tmp_path / "a"), "--workers", "1")
    assert code == 0, err
    assert f"输入文件夹 {folder}：2 个文件（2022-01.csv、2022-02.parquet）；未读取临时或隐藏文件 ~$2022-03.xlsx" in err
    code, _, err = run(str(folder / "2022-01.csv"), str(folder / "2022-02.parquet"), "--region", "赣州", "--settings", s,
                       "--out", str(tmp_path / "b"), "--workers", "1")
    assert code == 0, err
    assert claims(tmp_path / "a") == claims(tmp_path / "b")
    assert len(claims(tmp_path / "a")) + len(rejects(tmp_path / "a")) == len(rows)


def test_parquet_rows_are_numbered_as_in_the_csv_and_blank_and_total_records_skipped(tmp_path):
    t = pa.table({"结算ID": ["S1", None, "合计", "S2"], "姓名": ["甲", None, None, "乙"],
                  "证件号码": ["1", None, None, "2"], "结算日期": [date(2022, 1, 2), None, None, date(2022, 1, 3)],
                  "符合范围金额": [1.5, float("nan"), 3.0, 2.0], "其他列": ["x", None, None, "y"]})
    pq.write_table(t, str(tmp_path / "a.parquet"))
    table = read_parquet(tmp_path / "a.parquet", batch_rows=2)  # batches of two records
    rows = list(table.rows)
    assert [r.source_row for r in rows] == [2, 5]   # the names are row 1
    assert rows[0].values["settlement_date"] == date(2022, 1, 2) and rows[0].values["policy_cost"] == 1.5
    assert table.skipped == [(3, "空行"), (4, "合计行，不是结算记录")]
    assert table.unknown_headers == ["其他列"]


def _fails(tmp_path, *inputs, extra=()) -> str:
    code, out, err = run(*inputs, "--region", "赣州", "--settings", _settings(tmp_path), "--out",
                         str(tmp_path / "out"), "--workers", "1", *extra)
    assert code == 2, err
    assert err.startswith("错误：") or "\n错误：" in err
    assert "Traceback" not in err and out == ""
    return err


def test_an_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    assert "输入文件夹" in _fails(tmp_path, str(tmp_path / "empty")) and "中没有 .parquet、.csv 或 .xlsx 文件" in \
        _fails(tmp_path, str(tmp_path / "empty"))


def test_a_file_that_is_not_parquet(tmp_path):
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    err = _fails(tmp_path, str(tmp_path / "bad.parquet"))
    assert "无法读取 Parquet 文件 bad.parquet：文件已损坏或不是 Parquet 格式" in err


def test_a_parquet_without_a_required_column_is_refused_before_any_work(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "settlement_date"} for r in synthetic(5)]
    write_parquet(tmp_path / "a.parquet", rows)
    good = write_csv(tmp_path / "b.csv", synthetic(5))
    err = _fails(tmp_path, str(good), str(tmp_path / "a.parquet"))
    assert "a.parquet" in err and "缺少必填列：「结算日期」" in err
    assert not (tmp_path / "out").exists()  # checked before the output folder is made


def test_a_missing_input_and_a_file_given_twice(tmp_path):
    assert "找不到输入文件或文件夹" in _fails(tmp_path, str(tmp_path / "nope.csv"))
    good = write_csv(tmp_path / "b.csv", synthetic(5))
    assert "同一个输入文件给了两次" in _fails(tmp_path, str(good), str(tmp_path / "." / "b.csv"))


def test_an_output_folder_holding_other_files(tmp_path):
    good = write_csv(tmp_path / "b.csv", synthetic(5))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "别的文件.xlsx").write_bytes(b"x")
    assert "不是 yibao province 的输出文件夹" in _fails(tmp_path, str(good))


def test_a_scheduler_that_does_not_answer(tmp_path, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", "2s")
    good = write_csv(tmp_path / "b.csv", synthetic(5))
    code, out, err = run(str(good), "--region", "赣州", "--settings", _settings(tmp_path), "--out", str(tmp_path / "o"),
                         "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2 and "Traceback" not in err
    assert "无法连接 Dask 调度器 tcp://127.0.0.1:9" in err


def test_reading_a_parquet_holds_one_batch_not_the_file(tmp_path):
    """Record batches, constant memory: with pyarrow's read-ahead buffering (pre_buffer) the reader would hold
    the file's compressed column chunks as it goes (measured: 30 MB a million claims, growing to the end)."""
    import os
    n = 400_000
    t = pa.table({"结算ID": [os.urandom(24).hex() for _ in range(n)],  # incompressible: a file of about 20 MB
                  "姓名": [f"姓名{i}" for i in range(n)], "证件号码": [f"{360702198001010000 + i}" for i in range(n)]})
    pq.write_table(t, str(tmp_path / "big.parquet"), row_group_size=20_000)
    del t
    size = (tmp_path / "big.parquet").stat().st_size
    before = pa.total_allocated_bytes()
    held = 0
    for i, _row in enumerate(read_parquet(tmp_path / "big.parquet", batch_rows=5_000).rows):
        if i % 50_000 == 0:
            held = max(held, pa.total_allocated_bytes() - before)
    assert held < size // 2, (held, size)  # pre_buffer: more than the whole file; without: a row group or two
