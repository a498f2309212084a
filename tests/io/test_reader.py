"""Settlement-export reader: header detection, skipped rows, encodings, hostile workbooks.

All fixtures are built in tmp_path (openpyxl for xlsx, hand-written XML spliced into its zip for
the hostile ones). Hostile sheets are never handed to calamine: a giant grid aborts the process.
"""
from __future__ import annotations

import datetime as dt
import re
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest

from processor.errors import FileError
from processor.io import safety
from processor.enrolment.run import PAYMENT_REQUIRED
from processor.io.headers import (COLUMNS, PAYMENT_COLUMNS, ROSTER_COLUMNS, find_header_row, match_header,
                                  normalise_header)
from processor.io.reader import BLANK, REPEATED_HEADER, TOTAL, read_export, require_columns
from processor.io.safety import check_xlsx

HEADER = ["序号", "结算id", "身份证号", "姓名", "救助身份", "结算日期", "医疗费总额（元）", "医疗救助", "备注"]
TITLE = [["某区2024年5月医疗救助结算明细表"], ["填报单位：某区医疗保障局", None, None, "单位：元"]]


def person(i: int) -> list:
    return [i, f"JS{i:06d}", f"11010119900101{i:04d}", f"测试{i}", "特困人员", dt.date(2024, 5, i), 1000.5 + i, 300, "x"]


def make_xlsx(path: Path, rows: list[list], title: str = "结算明细") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def splice_sheet(src: Path, dst: Path, sheet_xml: bytes, member: str = "xl/worksheets/sheet1.xml") -> Path:
    """Copy an openpyxl-made xlsx, replacing one worksheet's XML."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = sheet_xml if item.filename == member else zin.read(item.filename)
            zout.writestr(item.filename, data)
    return dst


def sheet_xml(cells: str, dimension: str = "A1") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{cells}</sheetData></worksheet>'
    ).encode()


@pytest.fixture
def base_xlsx(tmp_path) -> Path:
    return make_xlsx(tmp_path / "base.xlsx", [HEADER, person(1)])


# --- headers -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, key",
    [
        ("医疗费总额（元）", "total_cost"),
        ("医疗费总额(元)", "total_cost"),
        ("结算id", "settlement_id"),
        ("结算ID", "settlement_id"),
        ("结算ＩＤ", "settlement_id"),
        (" 姓　名\n", "name"),
        ("镇（街）", "township"),
        ("镇(街)", "township"),
        ("村（居）", "village"),
        ("村", "village"),
        ("大病补充医疗保险支出（元）", "critical_paid"),
        ("*身份证号码", "id_number"),
        ("医疗救助", "assistance_paid"),
        ("医疗救助身份", "category"),
        ("就医地类型", "in_province"),
    ],
)
def test_match_header_aliases(text, key):
    assert match_header(text) == key


def test_unit_other_than_yuan_is_not_stripped():
    # A column in 万元 must not be read as 元.
    assert match_header("医疗费总额（万元）") is None
    assert normalise_header("医疗费总额（元）") == "医疗费总额"
    assert normalise_header(None) == ""


def test_every_alias_maps_to_its_own_key():
    for key, (label, aliases) in COLUMNS.items():
        assert match_header(label) == key
        for alias in aliases:
            assert match_header(alias) == key


def test_find_header_row_skips_titles_and_reports_unknown_and_duplicates():
    rows = [
        ["医疗救助结算明细"],
        ["填报单位：某区", "", "姓名：张三"],  # only one known key: a title, not the header
        ["姓名", "身份证号", "结算日期", "证件号码", "清算期", None, ""],
        ["张三", "1", "2024-05-01", "1", "202405", None, ""],
    ]
    index, mapping, unknown = find_header_row(rows)
    assert index == 2
    assert mapping == {0: "name", 1: "id_number", 2: "settlement_date"}
    assert unknown[0].startswith("证件号码") and "只使用第B列" in unknown[0]
    assert unknown[1] == "清算期"


def test_find_header_row_fails_in_chinese():
    rows = [["说明"]] * 5 + [["姓名", "身份证号", "备注"]] + [["a", "b", "c"]] * 40
    with pytest.raises(FileError, match="未找到表头行：前30行中没有识别出至少3个已知列名"):
        find_header_row(rows)


def test_header_beyond_scan_is_not_found():
    rows = [["标题"]] * 30 + [["姓名", "身份证号", "结算日期"]]
    with pytest.raises(FileError, match="未找到表头行"):
        find_header_row(rows)


def _sheet(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return path


PAY_HEAD = ["姓名", "证件号码", "参保年度", "险种", "缴费日期", "个人缴费金额", "参保地", "代缴类别"]
ROSTER_HEAD = ["乡镇", "村", "姓名", "证件号码", "人员类别", "认定日期", "取消日期"]


def test_a_payment_file_given_as_a_roster_is_named_and_recognised(tmp_path):
    # the roster columns see only 姓名 and 证件号码 (2 < 3): no header; the payment columns see all 8
    src = _sheet(tmp_path / "缴费.xlsx", [PAY_HEAD, ["甲", "11010519491231002X", 2022, "城乡居民基本医疗保险",
                                                    "2022-01-05", 320, "", ""]])
    with pytest.raises(FileError) as err:
        read_export(src, columns=ROSTER_COLUMNS, what="认定名单 缴费.xlsx ")
    assert err.value.message.startswith("认定名单 缴费.xlsx：未找到表头行")
    assert "像是「缴费记录」" in err.value.message


def test_a_roster_given_as_payments_is_recognised_in_the_missing_columns_message(tmp_path):
    # the payment set knows 4 of these headers (乡镇、村、姓名、证件号码: a header row) but not 参保年度、缴费日期、
    # 个人缴费金额; the roster set knows all 7, more than 4: the message says what the file is
    src = _sheet(tmp_path / "名单.xlsx", [ROSTER_HEAD, ["城关镇", "一村", "甲", "11010519491231002X", "低保对象",
                                                     "2022-01-05", None]])
    table = read_export(src, columns=PAYMENT_COLUMNS, what="缴费记录 名单.xlsx ")
    with pytest.raises(FileError) as err:
        require_columns(table, PAYMENT_REQUIRED)
    assert "缺少必填列" in err.value.message and "像是「认定名单」" in err.value.message


def test_a_settlement_export_missing_one_column_is_not_called_a_roster(tmp_path):
    # 5 of these headers are roster columns too (姓名、证件号码、人员类别、镇街、村（居）), but the export's own
    # set knows all 10: no hint
    head = ["姓名", "证件号码", "人员类别", "镇街", "村（居）", "医疗类别", "结算日期", "医疗费总额", "符合范围金额", "统筹基金支出"]
    src = _sheet(tmp_path / "导出.xlsx", [head, ["甲", "11010519491231002X", "低保对象", "城关镇", "一村", "住院",
                                                "2022-03-01", 1000, 900, 500]])
    table = read_export(src)
    with pytest.raises(FileError) as err:
        require_columns(table, ("settlement_id", "settlement_date"))
    assert "「结算ID」" in err.value.message and "像是" not in err.value.message


# --- xlsx --------------------------------------------------------------------------------------

def test_xlsx_header_below_two_title_rows(tmp_path):
    path = make_xlsx(tmp_path / "e.xlsx", TITLE + [HEADER, person(1), person(2)])
    table = read_export(path)
    assert table.sheet == "结算明细"
    assert table.header_row == 3
    assert table.mapping == {
        1: "settlement_id",
        2: "id_number",
        3: "name",
        4: "category",
        5: "settlement_date",
        6: "total_cost",
        7: "assistance_paid",
    }
    assert table.unknown_headers == ["序号", "备注"]
    assert [r.source_row for r in table.rows] == [4, 5]
    first = table.rows[0].values
    assert first["settlement_id"] == "JS000001"
    assert first["id_number"] == "110101199001010001"
    assert first["settlement_date"] == dt.date(2024, 5, 1)  # dates stay dates
    assert first["total_cost"] == 1001.5
    assert first["assistance_paid"] == 300
    assert "序号" not in first and "备注" not in first  # unmapped columns dropped
    assert table.skipped == []


def test_total_and_blank_rows_go_to_skipped_with_sheet_row_numbers(tmp_path):
    rows = TITLE + [HEADER]  # header on row 3
    rows += [person(1)]  # row 4
    rows += [[None] * 9]  # row 5: blank
    rows += [person(2)]  # row 6
    rows += [["", "  ", None]]  # row 7: only whitespace
    rows += [person(3)]  # row 8
    rows += [[None, None, None, "小计", None, None, 3003, 900]]  # row 9: 小计 in the name column
    rows += [[4, "合 计", None, None, None, None, 3003]]  # row 10: 合计 in the settlement-ID column
    rows += [HEADER]  # row 11: header pasted again
    rows += [person(4)]  # row 12
    rows += [["总计：", None, None, None, None, None, 4004]]  # row 13: first non-empty cell
    path = make_xlsx(tmp_path / "e.xlsx", rows)

    table = read_export(path)
    assert table.header_row == 3
    assert [r.source_row for r in table.rows] == [4, 6, 8, 12]
    assert table.skipped == [(5, BLANK), (7, BLANK), (9, TOTAL), (10, TOTAL), (11, REPEATED_HEADER), (13, TOTAL)]
    assert TOTAL == "合计行，不是结算记录" and BLANK == "空行"

    seen = [r.source_row for r in table.rows] + [n for n, _ in table.skipped]
    assert sorted(seen) == list(range(table.header_row + 1, len(rows) + 1))  # each data row once
    assert len(seen) == len(set(seen))


def test_strings_are_stripped_and_empty_cells_are_none(tmp_path):
    row = person(1)
    row[3] = "  张三 \n"
    row[4] = "   "
    path = make_xlsx(tmp_path / "e.xlsx", [HEADER, row])
    values = read_export(path).rows[0].values
    assert values["name"] == "张三"
    assert values["category"] is None


def test_first_visible_sheet_unless_named(tmp_path):
    wb = openpyxl.Workbook()
    hidden = wb.active
    hidden.title = "说明"
    hidden.append(["隐藏的说明页"])
    hidden.sheet_state = "hidden"
    data = wb.create_sheet("明细")
    for row in [HEADER, person(1)]:
        data.append(row)
    other = wb.create_sheet("二月")
    for row in [HEADER, person(2), person(3)]:
        other.append(row)
    wb.active = 1
    path = tmp_path / "e.xlsx"
    wb.save(path)

    assert read_export(path).sheet == "明细"
    table = read_export(path, sheet="二月")
    assert table.sheet == "二月" and len(table.rows) == 2
    with pytest.raises(FileError, match="找不到工作表「三月」"):
        read_export(path, sheet="三月")


def test_missing_file_and_other_suffixes(tmp_path):
    with pytest.raises(FileError, match="找不到输入文件："):
        read_export(tmp_path / "nope.xlsx")
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(FileError, match="不支持的文件类型"):
        read_export(tmp_path / "a.txt")


@pytest.mark.parametrize("suffix", [".xls", ".XLS", ".xlsb"])
def test_old_binary_formats_refused(tmp_path, suffix, no_calamine):
    path = tmp_path / f"export{suffix}"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(FileError) as err:
        read_export(path)
    shown = suffix.lower()
    assert str(err.value) == f"不支持 {shown} 格式，请在 Excel 中另存为 .xlsx 或 CSV（UTF-8）后再导入"


def test_non_zip_xlsx_refused(tmp_path, no_calamine):
    path = tmp_path / "export.xlsx"
    path.write_text("姓名,身份证号\n张三,1\n", encoding="utf-8")
    with pytest.raises(FileError, match="不是有效的 xlsx 文件"):
        read_export(path)
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)  # .xls renamed, or encrypted
    with pytest.raises(FileError, match="不是有效的 xlsx 文件.*旧版 .xls 格式或设有打开密码"):
        read_export(path)


def test_corrupt_zip_refused(tmp_path, base_xlsx, no_calamine):
    data = bytearray(base_xlsx.read_bytes())
    data[100:400] = b"\xff" * 300  # damage the first member's deflate stream
    path = tmp_path / "broken.xlsx"
    path.write_bytes(bytes(data))
    with pytest.raises(FileError, match="不是有效的 xlsx 文件|已损坏"):
        read_export(path)


# --- zip bombs ---------------------------------------------------------------------------------

def test_declared_size_over_limit_refused(tmp_path, base_xlsx, monkeypatch, no_calamine):
    monkeypatch.setattr(safety, "STREAMED_BYTES", 4096)  # the reader streams: its limit
    with pytest.raises(FileError, match=r"文件解压后过大（声明 .*），疑似压缩炸弹，已拒绝"):
        read_export(base_xlsx)


def test_absurd_compression_ratio_refused(tmp_path, base_xlsx, monkeypatch, no_calamine):
    path = tmp_path / "ratio.xlsx"
    with zipfile.ZipFile(base_xlsx) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, zin.read(item.filename))
        zout.writestr("xl/media/padding.bin", b"\0" * (2 << 20))  # ~1000:1
    monkeypatch.setattr(safety, "RATIO_MIN_BYTES", 1 << 20)
    with pytest.raises(FileError, match="压缩比异常.*疑似压缩炸弹"):
        read_export(path)


def test_member_inflating_beyond_its_declared_size_refused(tmp_path, base_xlsx, no_calamine):
    """The declared size is a lie: calamine's zip reader would inflate everything."""
    path = tmp_path / "liar.xlsx"
    with zipfile.ZipFile(base_xlsx) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, zin.read(item.filename))
        zout.writestr("xl/media/big.bin", b"A" * 100_000)
    data = bytearray(path.read_bytes())
    # Rewrite the declared uncompressed size (100000 → 10) in the local and central headers.
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        pos = data.find(sig)
        while pos >= 0:
            if struct.unpack_from("<I", data, pos + offset)[0] == 100_000:
                struct.pack_into("<I", data, pos + offset, 10)
            pos = data.find(sig, pos + 4)
    path.write_bytes(bytes(data))
    with pytest.raises(FileError, match="实际解压大小超过声明大小"):
        read_export(path)


# --- giant grids (never given to calamine) ----------------------------------------------------

def test_far_cell_refused_before_calamine(tmp_path, base_xlsx, no_calamine):
    cells = '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    path = splice_sheet(base_xlsx, tmp_path / "giant.xlsx", sheet_xml(cells, dimension="A1"))
    assert path.stat().st_size < 10_000
    with pytest.raises(FileError, match=r"工作表「结算明细」实际使用区域 A1:XFD1048576 过大"):
        read_export(path)


@pytest.mark.parametrize("dimension", ["A1:XFD1048576", "$A$1:$XFD$1048576"])
def test_declared_giant_dimension_refused(tmp_path, base_xlsx, no_calamine, dimension):
    # "$" signs: the dimension is read as a cell reference is (they once made the column a negative number,
    # and the declared grid passed)
    cells = '<row r="1"><c r="A1"><v>1</v></c></row>'
    path = splice_sheet(base_xlsx, tmp_path / "dim.xlsx", sheet_xml(cells, dimension=dimension))
    with pytest.raises(FileError, match=f"声明的数据区域 {re.escape(dimension)}"):
        check_xlsx(path)


def test_far_cell_written_unusually_goes_through_exact_scan(tmp_path, base_xlsx, no_calamine):
    # `r` not the first attribute, single quotes, lower-case column: the regex pass cannot vouch
    # for these cells, the defusedxml pass finds them.
    for cell in ("<c t=\"n\" r=\"XFD1048576\"><v>1</v></c>", "<c r='xfd1048576'><v>1</v></c>"):
        cells = f'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576">{cell}</row>'
        path = splice_sheet(base_xlsx, tmp_path / "odd.xlsx", sheet_xml(cells))
        with pytest.raises(FileError, match="过大"):
            check_xlsx(path)


def test_cells_without_reference_are_positioned_like_calamine(tmp_path, base_xlsx, no_calamine):
    # 200 cells without `r` in row 1048576: calamine would place them at columns A…GR.
    cells = '<row r="1048576">' + "<c><v>1</v></c>" * 200 + "</row>"
    path = splice_sheet(base_xlsx, tmp_path / "norefs.xlsx", sheet_xml(cells))
    with pytest.raises(FileError, match="A1:GR1048576"):
        check_xlsx(path)


def test_many_columns_and_rows_within_limit_pass(tmp_path, base_xlsx):
    # 3-letter columns and 6-digit rows make the quick bound exceed the limit: the exact pass
    # must then clear the sheet (AAA = column 703; 703 × 60000 < 50 million).
    cells = '<row r="1"><c r="A1"><v>1</v></c></row><row r="60000"><c r="AAA60000"><v>2</v></c></row>'
    path = splice_sheet(base_xlsx, tmp_path / "wide.xlsx", sheet_xml(cells, dimension="A1:AAA60000"))
    check_xlsx(path)


def test_hand_written_sheet_without_references_is_read(tmp_path, base_xlsx):
    def row(values):
        return "<row>" + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values) + "</row>"

    cells = row(["姓名", "身份证号", "结算日期"]) + row(["张三", "110101199001010001", "2024-05-01"])
    path = splice_sheet(base_xlsx, tmp_path / "plain.xlsx", sheet_xml(cells, dimension="A1:C2"))
    table = read_export(path)
    assert table.header_row == 1
    assert table.rows[0].values == {"name": "张三", "id_number": "110101199001010001", "settlement_date": "2024-05-01"}


# --- csv ---------------------------------------------------------------------------------------

def csv_text(n: int = 3) -> str:
    lines = ["某区结算明细,,", "填报单位：某区医保局,,", "结算ID,身份证号,姓名,医疗费总额（元）,镇（街）"]
    lines += [f"JS{i:04d},11010119900101{i:04d},测试{i},{1000 + i}.50,某镇" for i in range(1, n + 1)]
    lines += [",,,,", "合计,,,3006.50,"]
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_csv_encodings(tmp_path, encoding):
    path = tmp_path / "export.csv"
    path.write_bytes(csv_text().encode(encoding))
    table = read_export(path)
    assert table.sheet is None
    assert table.header_row == 3
    assert set(table.mapping.values()) == {"settlement_id", "id_number", "name", "total_cost", "township"}
    assert [r.source_row for r in table.rows] == [4, 5, 6]
    assert table.rows[0].values["name"] == "测试1"
    assert table.rows[0].values["total_cost"] == "1001.50"  # CSV values stay strings
    assert table.skipped == [(7, BLANK), (8, TOTAL)]


def test_csv_undecodable_names_encodings_tried(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes("姓名,身份证号,结算日期\n".encode("utf-16"))
    with pytest.raises(FileError, match="UTF-8.*GB18030"):
        read_export(path)


def test_csv_line_numbers_follow_multiline_fields_and_ragged_rows(tmp_path):
    text = '姓名,身份证号,结算日期,就诊机构\n"张\n三",1,2024-05-01,"某\n医院"\n李四,2\n'
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    table = read_export(path)
    assert [r.source_row for r in table.rows] == [2, 5]  # the record spans lines 2-4
    assert table.rows[1].values == {"name": "李四", "id_number": "2", "settlement_date": None, "hospital": None}


def test_hundred_thousand_rows_read(tmp_path):
    # correctness at size only; the speed is measured in bench/, not asserted against the wall clock
    header = ",".join(["结算ID", "身份证号", "姓名", "结算日期", "医疗费总额"] + [f"列{i}" for i in range(15)])
    body = "\n".join(
        f"JS{i},11010119900101{i % 10000:04d},测试{i},2024-05-01,{i}.25," + ",".join(["x"] * 15)
        for i in range(100_000)
    )
    path = tmp_path / "big.csv"
    path.write_text(header + "\n" + body + "\n", encoding="utf-8")
    table = read_export(path)
    assert len(table.rows) == 100_000 and table.rows[-1].source_row == 100_001
    assert table.rows[0].values == {"settlement_id": "JS0", "id_number": "110101199001010000", "name": "测试0",
                                    "settlement_date": "2024-05-01", "total_cost": "0.25"}
    assert table.rows[-1].values["settlement_id"] == "JS99999"
    assert table.rows[-1].values["total_cost"] == "99999.25"
    assert table.skipped == []
