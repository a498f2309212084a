"""The bundled samples carry the platform's paid columns with planted differences (samples/make_sample.py
with_paid): reconcile lists exactly those claims with their causes. 赣州 sample, as generated: row 341 政府兜底
200.00 (no document gives it), row 1306 threshold, row 1252 another identity, row 313 one fen, row 634 cap."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import openpyxl

from processor.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_ganzhou_sample_planted_rows(tmp_path):
    out = tmp_path / "对账.xlsx"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["reconcile", str(ROOT / "samples/赣州_结算导出.xlsx"), "--region", "赣州", "--out", str(out),
                     "--settings", str(ROOT / "settings.example.toml"), "--quiet"]) == 0
    ws = openpyxl.load_workbook(out)["差异"]
    got = {(r[1], r[9], r[13]) for r in ws.iter_rows(min_row=6, values_only=True) if r[0] not in ("合计", "月份")}
    assert got == {(341, "政府兜底", "文件未给该项待遇"), (1306, "医疗救助", "未达起付标准"),
                   (1252, "医疗救助", "身份不符"), (313, "医疗救助", "舍入差1分"), (634, "医疗救助", "年度限额已用完")}
