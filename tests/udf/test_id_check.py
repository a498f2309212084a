"""ID_CHECK in a cell: the normalised number, or a '#' message (the rules are processor/io/ids.py's and are
tested in tests/io/test_ids.py; here: what Excel hands over and what the cell shows)."""
from __future__ import annotations

import pytest

from processor.io.ids import check_digit
from udf import ID_CHECK

# 99970319711008602 → check digit 5 and 36070219800101001 → 6, worked out by hand in tests/io/test_ids.py
SAME = "999703197110086025"


@pytest.mark.parametrize("cell", ["9997 03197110086025", "999703197110086025", "９９９７０３１９７１１００８６０２５",
                                  "\u3000999703197110086025"])
def test_normalised_number(cell):
    assert ID_CHECK(cell) == SAME


def test_lower_case_x_and_fifteen_digits():
    assert ID_CHECK("11010519491231002x") == "11010519491231002X"
    assert ID_CHECK("360702800101001") == "360702198001010016"
    assert ID_CHECK(360702800101001.0) == "360702198001010016"   # a 15-digit numeric cell is exact


@pytest.mark.parametrize("cell", [1.40522e17, "1.40522E+17", float(SAME)])
def test_number_excel_has_rounded(cell):
    assert ID_CHECK(cell) == "#证件号码被 Excel 存成了数字/科学计数法，后几位已丢失，请把该列设为文本后重新导出"


@pytest.mark.parametrize("cell,words", [
    ("999703197110086024", "校验位不符"), ("张三", "不是居民身份证号码"), (None, "缺少证件号码"),
    ("#N/A", "不是居民身份证号码"), ("3607021980010100", "位数不对"), ("999703198002300010", "出生日期"),
])
def test_messages(cell, words):
    got = ID_CHECK(cell)
    assert isinstance(got, str) and got.startswith("#") and words in got, got
    assert not got.startswith("#内部错误")


def test_birth_date_after_today():
    body = "99970329990101001"  # born 2999-01-01: after any day this test runs
    got = ID_CHECK(body + check_digit(body))
    assert got.startswith("#证件号码中的出生日期晚于"), got


def test_other_documents():
    assert ID_CHECK("e1234 5678", "护照") == "E12345678"
    assert ID_CHECK("E12345678", "身份证").startswith("#证件号码不是居民身份证号码")
    assert ID_CHECK("E1", "护照").startswith("#护照号码无效")
    assert ID_CHECK("E12345678", "军官证").startswith("#未知证件类型：军官证")
