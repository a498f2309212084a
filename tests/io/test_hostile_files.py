"""Reader-side defects of issue 7: every file is built here, in tmp_path, and is hostile or odd in one way.

- a worksheet stored outside xl/worksheets/ (the workbook's relationships point there) holding A1 and
  XFD1048576: calamine would allocate the whole grid and abort the process (SIGABRT). The scan must
  refuse it before calamine sees it, as the export and as --previous;
- merged cells in the data: a text column is filled from the top-left cell, an amount column is
  rejected (never counted twice);
- a required column missing or misspelt: one file-level error (exit 2) before computing;
- formulas saved without a result (openpyxl writes none): the row is rejected naming the column;
- a string longer than Excel's 32,767 characters (shared or inline, one run or several): refused.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import struct
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from processor.book import default_book
from processor.cli import main
from processor.errors import FileError
from processor.io.reader import read_export, require_columns
from processor.io.safety import MAX_CELL_CHARS, MergedCell, UncomputedFormula, check_xlsx
from processor.ledgers.compute import compute
from processor.ledgers.normalise import REQUIRED_COLUMNS
from processor.settings import parse_settings

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "阳城_结算导出.xlsx"
SETTINGS_FILE = ROOT / "settings.example.toml"
HEADERS = ["结算ID", "姓名", "证件号码", "人员类别", "医疗类别", "结算日期", "医疗费总额", "符合范围金额",
           "统筹基金支出", "目录外费用"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def resident_id(body17: str) -> str:
    """A synthetic 居民身份证 number with its GB 11643 check digit (ISO 7064 MOD 11-2)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(body17, weights))
    return body17 + "10X98765432"[total % 11]


ID1, ID2, ID3, ID4 = (resident_id(f"99900019900101{n:03d}") for n in (123, 125, 127, 129))


def claim(sid: str, pid: str, category: str = "低保对象", out_of_catalog=0) -> list:
    # 医疗费总额 1,200.00, 政策范围内 1,000.00, 统筹基金 600.00
    return [sid, "测试", pid, category, "住院", date(2022, 5, 1), 1200, 1000, 600, out_of_catalog]


def make_xlsx(path: Path, rows: list[list], headers=HEADERS, edit=None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "结算明细"
    ws.append(headers)
    for row in rows:
        ws.append(row)
    if edit:
        edit(ws)
    wb.save(path)
    return path


def rewrite(src: Path, dst: Path, replace: dict[str, bytes | None], add: dict[str, bytes] | None = None) -> Path:
    """Copy an xlsx member by member: ``replace`` swaps a member's bytes (None drops it), ``add`` adds members."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = replace.get(item.filename, zin.read(item.filename))
            if data is not None:
                zout.writestr(item.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def sheet_xml(cells: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<sheetData>{cells}</sheetData></worksheet>').encode()


def settings():
    return parse_settings('[[setting]]\nregion = "赣州"\nkey = "disposable_income"\nyear = 2021\n'
                          'value = "40000"\nsource = "test"\n'
                          '[[setting]]\nregion = "赣州"\nkey = "rural_income_province"\nyear = 2021\n'
                          'value = "18000"\nsource = "test"\n')


def run_cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in argv])
    return rc, out.getvalue(), err.getvalue()


def run_process(*argv) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "processor.cli", *map(str, argv)], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", timeout=300, env=dict(os.environ))


def fill_argv(src: Path, out: Path, *extra) -> list:
    return ["fill", "医疗救助台账", src, "--region", "阳城", "--out", out, "--settings", SETTINGS_FILE, *extra]


# --- 1. a worksheet outside xl/worksheets/ ------------------------------------------------------------

GIANT = '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'


def moved_sheet(tmp_path: Path, target: str, cells: str = GIANT, name: str = "moved.xlsx") -> Path:
    """An openpyxl workbook whose only sheet is stored where ``target`` (workbook.xml.rels) points."""
    base = make_xlsx(tmp_path / f"base_{name}", [])
    member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    with zipfile.ZipFile(base) as z:
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rels = rels.replace("/xl/worksheets/sheet1.xml", target).replace('"worksheets/sheet1.xml"', f'"{target}"')
    assert target in rels
    return rewrite(base, tmp_path / name, {"xl/worksheets/sheet1.xml": None,
                                           "xl/_rels/workbook.xml.rels": rels.encode()},
                   add={member: sheet_xml(cells)})


@pytest.mark.parametrize("target", ["data/sheet1.xml", "/custom/grid.xml"])
def test_sheet_outside_worksheets_is_scanned_and_refused_before_calamine(tmp_path, no_calamine, target):
    path = moved_sheet(tmp_path, target)
    assert path.stat().st_size < 6_000  # the file was 4.7 KB
    with pytest.raises(FileError, match=r"工作表「结算明细」实际使用区域 A1:XFD1048576 过大") as caught:
        check_xlsx(path)
    assert CJK.search(str(caught.value))
    with pytest.raises(FileError, match="过大"):
        read_export(path)


def test_sheet_outside_worksheets_does_not_kill_the_process(tmp_path):
    # In a child process: calamine would abort it by SIGABRT (a negative return code); the reader must
    # raise FileError first, and `yibao fill` must exit 2 with a Chinese message and no traceback.
    path = moved_sheet(tmp_path, "data/sheet1.xml")
    code = ("import sys\nfrom processor.errors import FileError\nfrom processor.io.reader import read_export\n"
            f"try:\n    read_export({str(path)!r})\nexcept FileError:\n    sys.exit(2)\n")
    child = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=300)
    assert child.returncode == 2, child.stderr

    proc = run_process(*fill_argv(path, tmp_path / "out.xlsx"))
    assert proc.returncode == 2, proc.stderr
    assert "过大" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out.xlsx").exists()


# A reference the readers take with "$" signs (xlsx_stream._split_ref: "$A$900000000" is row 900,000,000). The
# scan once looked for letters and digits only, passed this 1 KB sheet, and the reader listed 900 million
# empty rows before it: the process was killed for want of memory (24 GiB), with no message.
DOLLAR = '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="$A$900000000"><v>2</v></c></row>'
# beyond Excel's last row, on a grid well under the limit (2,000,000 × 1 cells)
PAST_EXCEL = '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="a$2000000"><v>2</v></c></row>'


def test_a_reference_with_dollar_signs_counts_for_the_grid(tmp_path):
    path = moved_sheet(tmp_path, "worksheets/sheet1.xml", DOLLAR)
    assert path.stat().st_size < 6_000
    with pytest.raises(FileError, match=r"实际使用区域 A1:A900000000 过大（900000000 行 × 1 列）"):
        check_xlsx(path)


def test_a_row_past_excels_last_is_refused_however_small_the_grid(tmp_path):
    path = moved_sheet(tmp_path, "worksheets/sheet1.xml", PAST_EXCEL)
    with pytest.raises(FileError, match=r"单元格位置 A1:A2000000 超出 Excel 的上限（1,048,576 行、16,384 列）"):
        check_xlsx(path)
    proc = run_process(*fill_argv(path, tmp_path / "out.xlsx"))
    assert proc.returncode == 2, proc.stderr
    assert "超出 Excel 的上限" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out.xlsx").exists()


def test_a_grid_past_the_limit_is_read_when_a_quarter_of_it_is_filled(tmp_path, monkeypatch):
    # A dense export of 1,000,000 rows and 60 columns spans 60 million cells, past the 50 million any sheet may
    # span: it was refused as "过大". A larger grid is now taken when the sheet holds at least a quarter of its
    # cells. Here the limit is 100 cells: 20 rows × 10 columns (J) = 200 cells, all written → read; the same
    # corners alone (A1, J20: 2 cells, 200 > 4 × 2) → refused.
    from processor.io import safety
    monkeypatch.setattr(safety, "MAX_GRID_CELLS", 100)
    dense = "".join(f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>{r}</v></c>' for c in "ABCDEFGHIJ") + "</row>"
                    for r in range(1, 21))
    check_xlsx(moved_sheet(tmp_path, "worksheets/sheet1.xml", dense, name="dense.xlsx"))
    sparse = '<row r="1"><c r="A1"><v>1</v></c></row><row r="20"><c r="J20"><v>1</v></c></row>'
    with pytest.raises(FileError, match=r"实际使用区域 A1:J20 过大（20 行 × 10 列）"):
        check_xlsx(moved_sheet(tmp_path, "worksheets/sheet1.xml", sparse, name="sparse.xlsx"))
    # one cell more, in row 61: 61 × 10 = 610 spanned ≤ 4 × 201 = 804 → read; in row 201: 2,010 > 804 → refused
    check_xlsx(moved_sheet(tmp_path, "worksheets/sheet1.xml", dense + '<row r="61"><c r="A61"><v>1</v></c></row>',
                           name="quarter.xlsx"))
    with pytest.raises(FileError, match="过大"):
        check_xlsx(moved_sheet(tmp_path, "worksheets/sheet1.xml", dense + '<row r="201"><c r="A201"><v>1</v></c></row>',
                               name="tenth.xlsx"))


def test_a_row_number_of_thousands_of_digits_is_refused_as_too_large(tmp_path):
    # a cell without r sends the sheet to the exact scan, which reads the row's r: 5,000 nines were an int()
    # error, said as a broken zip; now the grid is refused like any other (the number counted as 10**12)
    path = moved_sheet(tmp_path, "worksheets/sheet1.xml", '<row r="' + "9" * 5000 + '"><c><v>1</v></c></row>')
    with pytest.raises(FileError, match=r"实际使用区域 A1:A1000000000000 过大"):
        check_xlsx(path)


@pytest.mark.parametrize("cells", [DOLLAR, PAST_EXCEL, '<row r="2000000"><c><v>1</v></c></row>',
                                   '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
                                   '<row r="2000000"><c r="A2000000"><v>1</v></c></row>'])  # the fast path's form
def test_the_reader_itself_refuses_a_row_past_excels_last(tmp_path, cells):
    # without the scan (as if it had missed one): a FileError at once, never a gap listed up to that row
    from processor.io.xlsx_stream import iter_sheet
    path = moved_sheet(tmp_path, "worksheets/sheet1.xml", cells)
    with pytest.raises(FileError, match="文件已损坏"):
        for _ in iter_sheet(path, "结算明细"):
            pass


def with_wrong_crc(src: Path, dst: Path, member: str = "xl/worksheets/sheet1.xml") -> Path:
    """``src`` with ``member``'s CRC-32 off by one bit, in its local header and the central directory: the part
    still inflates, to bytes that are not what the zip says they are (a damaged file, or one altered after)."""
    data = bytearray(src.read_bytes())
    info = zipfile.ZipFile(src).getinfo(member)
    wrong = struct.pack("<I", info.CRC ^ 1)
    data[info.header_offset + 14:info.header_offset + 18] = wrong
    entry = data.find(b"PK\x01\x02")
    while entry >= 0:  # the central directory's entry for the member
        if data[entry + 46:entry + 46 + len(member)] == member.encode():
            data[entry + 16:entry + 20] = wrong
        entry = data.find(b"PK\x01\x02", entry + 4)
    dst.write_bytes(bytes(data))
    with pytest.raises(zipfile.BadZipFile, match="CRC"):  # zipfile itself says so at the end of the part
        zipfile.ZipFile(dst).read(member)
    return dst


def test_a_part_whose_crc_is_wrong_is_refused_by_the_scan_and_fill_exits_2(tmp_path):
    # It was a traceback: the scan inflated the part without checking its CRC-32, and the reader's zipfile raised
    # BadZipFile at the end of the sheet, which nothing turned into a message (seen on a 100,000-row export,
    # whose reader process reported it as its own bug).
    path = with_wrong_crc(SAMPLE, tmp_path / "crc.xlsx")
    with pytest.raises(FileError, match="压缩包已损坏"):
        check_xlsx(path)
    proc = run_process(*fill_argv(path, tmp_path / "out.xlsx"))
    assert proc.returncode == 2, proc.stderr
    assert "压缩包已损坏" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out.xlsx").exists()


@pytest.mark.parametrize("member", ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"])
def test_the_reader_itself_refuses_a_part_whose_crc_is_wrong(tmp_path, member):
    # without the scan (a file changed after it): the reader's own message, never zipfile's BadZipFile
    from processor.io.xlsx_stream import iter_sheet
    made = with_shared_string(tmp_path, "张三")  # 姓名 of JS1 from the shared-strings part
    assert list(iter_sheet(made, "结算明细"))[1][1][:3] == ["JS1", "张三", ID1]
    path = with_wrong_crc(made, tmp_path / "crc.xlsx", member)
    with pytest.raises(FileError, match="文件已损坏或格式不正确"):
        for _ in iter_sheet(path, "结算明细"):
            pass


def test_the_reader_process_says_a_wrong_crc_as_the_reader_does(tmp_path):
    # the reader process of a big sheet (sheet_process) passes the reader's FileError on, not a bug report
    from processor.io import sheet_process
    path = with_wrong_crc(SAMPLE, tmp_path / "crc.xlsx")
    with pytest.raises(FileError, match="文件已损坏或格式不正确"):
        for _ in sheet_process._from_reader(path, "结算明细"):
            pass


def test_the_same_file_as_previous_ledger_exits_2(tmp_path):
    path = moved_sheet(tmp_path, "data/sheet1.xml")
    proc = run_process(*fill_argv(SAMPLE, tmp_path / "out.xlsx", "--previous", path))
    assert proc.returncode == 2, proc.stderr
    assert "过大" in proc.stderr and CJK.search(proc.stderr) and "Traceback" not in proc.stderr
    assert f"上月台账 {path.name}：" in proc.stderr  # the export was read first: the message says which file
    assert not (tmp_path / "out.xlsx").exists()


def test_a_normal_sheet_stored_elsewhere_is_still_read(tmp_path):
    # the scan follows the relationships; a well-formed sheet at an unusual path is read as usual
    cells = ('<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="B1" t="inlineStr"><is><t>身份证号</t></is></c>'
             '<c r="C1" t="inlineStr"><is><t>结算日期</t></is></c></row>'
             '<row r="2"><c r="A2" t="inlineStr"><is><t>张三</t></is></c><c r="B2" t="inlineStr"><is><t>X1</t></is></c>'
             '<c r="C2" t="inlineStr"><is><t>2024-05-01</t></is></c></row>')
    path = moved_sheet(tmp_path, "data/sheet1.xml", cells, name="fine.xlsx")
    table = read_export(path)
    assert [r.values for r in table.rows] == [{"name": "张三", "id_number": "X1", "settlement_date": "2024-05-01"}]


# --- 8. merged cells in the data -------------------------------------------------------------------------

def merged_export(tmp_path: Path) -> Path:
    rows = [claim("JS1", ID1), claim("JS2", ID2, category=None), claim("JS3", ID3), claim("JS4", ID4)]

    def merge(ws):
        ws.merge_cells("D2:D3")  # 人员类别 of JS1 and JS2: both 低保对象
        ws.merge_cells("H4:H5")  # 符合范围金额 of JS3 and JS4: one amount for two settlements?

    return make_xlsx(tmp_path / "merged.xlsx", rows, edit=merge)


def test_merged_text_is_filled_and_merged_amount_is_marked(tmp_path):
    table = read_export(merged_export(tmp_path))
    by_id = {r.values["settlement_id"]: r.values for r in table.rows}
    assert by_id["JS2"]["category"] == "低保对象"  # filled from D2, not empty
    for sid in ("JS3", "JS4"):  # the top-left row too: the amount cannot be shared out
        assert isinstance(by_id[sid]["policy_cost"], MergedCell) and by_id[sid]["policy_cost"] == "H4:H5"
    assert by_id["JS1"]["policy_cost"] == 1000 and by_id["JS2"]["policy_cost"] == 1000


def test_merged_rows_are_computed_or_rejected_with_the_range(tmp_path):
    outcome = compute(read_export(merged_export(tmp_path)), default_book().region("赣州"), settings())
    lines = {ln.row.claim.settlement_id: ln for ln in outcome.lines}
    assert sorted(lines) == ["JS1", "JS2"]
    # JS2 is JS1's twin (another person, same category and amounts): the same assistance, not the 0 an
    # ordinary insured person (empty 人员类别) would get
    assert lines["JS2"].row.category == "低保对象"
    assert lines["JS2"].result.assist == lines["JS1"].result.assist
    assert lines["JS1"].result.assist > 0
    assert sorted(r.source_row for r in outcome.rejected) == [4, 5]
    assert all("H4:H5" in r.reason and "符合范围金额" in r.reason for r in outcome.rejected)
    assert outcome.rows_read == len(outcome.lines) + len(outcome.rejected)  # 4 = 2 + 2


# --- 9. required columns -----------------------------------------------------------------------------------

@pytest.mark.parametrize("wrong, right, alias", [("证件号", "证件号码", "身份证号"), ("结算曰期", "结算日期", "结算时间")])
def test_missing_or_misspelt_required_column_exits_2_before_computing(tmp_path, wrong, right, alias):
    headers = [wrong if h == right else h for h in HEADERS]
    path = make_xlsx(tmp_path / "typo.xlsx", [claim("JS1", ID1), claim("JS2", ID2)], headers=headers)
    with pytest.raises(FileError) as caught:
        require_columns(read_export(path), REQUIRED_COLUMNS)
    message = str(caught.value)
    assert f"「{right}」" in message and alias in message and wrong in message

    out = tmp_path / "out.xlsx"
    rc, stdout, stderr = run_cli(*fill_argv(path, out))
    assert rc == 2
    assert "缺少必填列" in stderr and f"「{right}」" in stderr
    assert alias in stderr  # the names accepted
    assert wrong in stderr and "结算ID" in stderr  # the headers seen
    assert not out.exists() and "计算中" not in stderr


def test_person_number_satisfies_the_id_column():
    # 证件号码 or 人员编号: an export keyed by 人员编号 has what it needs
    from processor.io.reader import ExportTable
    table = ExportTable(Path("x.xlsx"), "s", 1, {0: "settlement_id", 1: "person_no", 2: "name", 3: "settlement_date",
                                                  4: "policy_cost", 5: "basic_paid"}, [])
    require_columns(table, REQUIRED_COLUMNS)
    del table.mapping[1]
    with pytest.raises(FileError, match="「证件号码」或「人员编号」"):
        require_columns(table, REQUIRED_COLUMNS)


# --- 10. formulas without a cached value -------------------------------------------------------------------

def test_formula_without_result_rejects_the_row_naming_the_column(tmp_path):
    path = make_xlsx(tmp_path / "formula.xlsx", [claim("JS1", ID1), claim("JS2", ID2, out_of_catalog="=100+50")])
    table = read_export(path)
    by_id = {r.values["settlement_id"]: r.values for r in table.rows}
    assert isinstance(by_id["JS2"]["out_of_catalog"], UncomputedFormula)
    outcome = compute(table, default_book().region("赣州"), settings())
    assert [ln.row.claim.settlement_id for ln in outcome.lines] == ["JS1"]
    (rejected,) = outcome.rejected
    assert rejected.source_row == 3
    assert "「目录外费用」是没有计算结果的公式，请在 Excel 中打开并保存后重新导出" in rejected.reason


def test_formula_with_its_result_is_read_as_the_result(tmp_path):
    base = make_xlsx(tmp_path / "base.xlsx", [claim("JS1", ID1, out_of_catalog="=100+50")])
    with zipfile.ZipFile(base) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    # as Excel saves them: the last result in <v>; an empty text result is a result too (t="str")
    xml = re.sub(r'<c r="J2"[^>]*>.*?</c>', '<c r="J2"><f>100+50</f><v>150</v></c>', xml)
    xml = re.sub(r'<c r="B2"[^>]*>.*?</c>', '<c r="B2" t="str"><f>""</f><v></v></c>', xml)
    path = rewrite(base, tmp_path / "cached.xlsx", {"xl/worksheets/sheet1.xml": xml.encode()})
    (row,) = read_export(path).rows
    assert row.values["out_of_catalog"] == 150
    assert row.values["name"] is None  # an empty result, not a marker


# --- 13. strings longer than a cell may hold ------------------------------------------------------------------

def with_shared_string(tmp_path: Path, text: str, rich: bool = False) -> Path:
    """A valid export whose 姓名 of JS1 (B2) is ``text`` in a shared-string table (one run, or rich runs)."""
    base = make_xlsx(tmp_path / "base.xlsx", [claim("JS1", ID1)])
    with zipfile.ZipFile(base) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    xml, n = re.subn(r'<c r="B2"[^>]*>.*?</c>', '<c r="B2" t="s"><v>0</v></c>', xml)
    assert n == 1
    if rich:
        half = len(text) // 2
        item = f"<si><r><t>{text[:half]}</t></r><r><rPr><b/></rPr><t>{text[half:]}</t></r></si>"
    else:
        item = f"<si><t>{text}</t></si>"
    sst = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
           f'spreadsheetml/2006/main" count="1" uniqueCount="1">{item}</sst>')
    return rewrite(base, tmp_path / "sst.xlsx", {"xl/worksheets/sheet1.xml": xml.encode()},
                   add={"xl/sharedStrings.xml": sst.encode()})


def test_shared_string_of_40000_characters_is_refused(tmp_path, no_calamine):
    with pytest.raises(FileError, match="超过 32,767 个字符"):
        check_xlsx(with_shared_string(tmp_path, "a" * 40_000))


def test_shared_string_split_into_runs_is_counted_whole(tmp_path, no_calamine):
    # two runs of 20,000: each is short, the string calamine builds is 40,000
    with pytest.raises(FileError, match="超过 32,767 个字符"):
        check_xlsx(with_shared_string(tmp_path, "a" * 40_000, rich=True))


@pytest.mark.parametrize("char", ["a", "医"])  # 32,767 bytes, or 98,301 bytes in UTF-8 (the exact pass)
def test_shared_string_of_32767_characters_is_read(tmp_path, char):
    text = char * MAX_CELL_CHARS
    (row,) = read_export(with_shared_string(tmp_path, text)).rows
    assert row.values["name"] == text


def test_inline_string_over_the_limit_is_refused(tmp_path, no_calamine):
    base = make_xlsx(tmp_path / "base.xlsx", [claim("JS1", ID1)])
    with zipfile.ZipFile(base) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    # 40,000 characters written with entities (&amp; is one character): the count is of characters
    xml = re.sub(r'<c r="B2"[^>]*>.*?</c>', '<c r="B2" t="inlineStr"><is><t>' + "&amp;" * 40_000 + "</t></is></c>", xml)
    path = rewrite(base, tmp_path / "inline.xlsx", {"xl/worksheets/sheet1.xml": xml.encode()})
    with pytest.raises(FileError, match="超过 32,767 个字符"):
        check_xlsx(path)
