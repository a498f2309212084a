"""The streaming worksheet reader against python-calamine: the same grid, cell for cell and type for
type, once rows are padded to one width, with safety.py's markers where calamine reads "".

Fixtures: every xlsx under samples/ and xlsx_templates/, workbooks made with openpyxl, and
hand-written parts (rich text, phonetic runs, cells without ``r``, 1904 dates …) zipped here.
Every file passes check_xlsx before either reader opens it, as in the batch. Each test runs with the
fast path (``xlsx_stream.FAST``) on and off.
"""
from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from python_calamine import CalamineWorkbook

from processor.errors import FileError
from processor.io import xlsx_stream
from processor.io.safety import CellError, UncomputedFormula, check_xlsx, error_cells, uncomputed_formulas
from processor.io.xlsx_stream import (detect_custom_format, first_visible_sheet, iter_sheet, sheet_names,
                                      workbook_sheets)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True, params=["fast", "lxml"])
def reader_path(request, monkeypatch):
    """Every test runs twice: with the fast path (rows it cannot read go to lxml) and with lxml alone."""
    monkeypatch.setattr(xlsx_stream, "FAST", request.param == "fast")
    return request.param

REAL_FILES = sorted([*ROOT.glob("samples/*.xlsx"), *ROOT.glob("xlsx_templates/*.xlsx"),
                     *ROOT.glob("tests/**/*.xlsx")])


def calamine_grid(path: Path, sheet: str) -> list[list]:
    """What reader.py builds today: calamine's grid with safety's markers put in (inside the range)."""
    report = check_xlsx(path)
    with CalamineWorkbook.from_path(str(path)) as book:
        grid = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    marks = error_cells(path, sheet) if sheet in report.errors else {}
    if sheet in report.formulas:
        marks.update(uncomputed_formulas(path, sheet))
    for (r, c), mark in marks.items():
        if r < len(grid) and c < len(grid[r]):
            grid[r][c] = mark
    return grid


def stream_grid(path: Path, sheet: str) -> list[list]:
    numbers, rows = [], []
    for n, row in iter_sheet(path, sheet):
        numbers.append(n)
        rows.append(row)
    assert numbers == list(range(1, len(rows) + 1))
    return rows


def assert_same(path: Path, sheet: str | None = None) -> list[list]:
    check_xlsx(path)
    names = [sheet] if sheet else [s.name for s in workbook_sheets(path) if s.kind == "worksheet"]
    for name in names:
        expected, got = calamine_grid(path, name), stream_grid(path, name)
        width = max([len(r) for r in expected] + [len(r) for r in got] + [0])
        expected = [list(r) + [""] * (width - len(r)) for r in expected]
        got = [list(r) + [""] * (width - len(r)) for r in got]
        assert len(got) == len(expected), (path.name, name)
        for i, (a, b) in enumerate(zip(expected, got), 1):
            assert a == b, (path.name, name, i)
            assert [type(x) for x in a] == [type(x) for x in b], (path.name, name, i, a, b)
    return got if sheet else None


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_real_files_equal_calamine(path):
    assert_same(path)
    with CalamineWorkbook.from_path(str(path)) as book:
        assert sheet_names(path) == book.sheet_names


# --- hand-written parts --------------------------------------------------------------------------

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
      'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
      'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>')
PKG_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def build(path: Path, sheets: dict[str, str], strings: list[str] = (), styles: list = (0,),
          date1904: bool = False, states: dict[str, str] | None = None, part_dir: str = "worksheets") -> Path:
    """A workbook from raw ``<sheetData>`` contents; ``strings`` are raw ``<si>`` contents;
    ``styles`` the numFmtId (int) or format code (str) of each cellXfs entry."""
    states = states or {}
    custom: dict[str, int] = {}
    for s in styles:
        if isinstance(s, str):
            custom.setdefault(s, 164 + len(custom))
    esc = lambda code: code.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")  # noqa: E731
    numfmts = "".join(f'<numFmt numFmtId="{i}" formatCode="{esc(c)}"/>' for c, i in custom.items())
    xfs = "".join(f'<xf numFmtId="{custom[s] if isinstance(s, str) else s}" fontId="0" fillId="0" borderId="0"/>'
                  for s in styles)
    style_xml = (f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{NS}"><numFmts count="{len(custom)}">'
                 f'{numfmts}</numFmts><fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
                 f'<borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="22"/></cellStyleXfs>'
                 f'<cellXfs count="{len(styles)}">{xfs}</cellXfs></styleSheet>')
    book = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}" xmlns:r="{REL[:-1]}">'
            + ('<workbookPr date1904="1"/>' if date1904 else "") + "<sheets>"
            + "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"'
                      + (f' state="{states[name]}"' if name in states else "") + "/>"
                      for i, name in enumerate(sheets, 1))
            + "</sheets></workbook>")
    rels = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="{REL}worksheet" Target="{part_dir}/s{i}.xml"/>'
                      for i in range(1, len(sheets) + 1))
            + f'<Relationship Id="rS" Type="{REL}styles" Target="styles.xml"/>'
            f'<Relationship Id="rT" Type="{REL}sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    sst = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}" count="{len(strings)}" '
           f'uniqueCount="{len(strings)}">' + "".join(f"<si>{s}</si>" for s in strings) + "</sst>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CT)
        zf.writestr("_rels/.rels", PKG_RELS)
        zf.writestr("xl/workbook.xml", book)
        zf.writestr("xl/_rels/workbook.xml.rels", rels)
        zf.writestr("xl/styles.xml", style_xml)
        zf.writestr("xl/sharedStrings.xml", sst)
        for i, data in enumerate(sheets.values(), 1):
            zf.writestr(f"xl/{part_dir}/s{i}.xml",
                        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><sheetData>{data}'
                        "</sheetData></worksheet>")
    return path


STRINGS = [
    "<t> a </t>", '<t xml:space="preserve"> a </t>', "<r><t> x</t></r><r><rPr><b/></rPr><t>y </t></r>",
    "<t>a\n b</t>", "<t>\n</t>", "<t>&#32;a&#32;</t>", "<t>\u3000张\u3000</t>", "<t>\ta\r\n</t>",
    "<t>a</t><t>b</t>", "<t><![CDATA[ c ]]></t>", "<t>_x0041__x_x005F_x0041_x_X0041_</t>", "<t>\u00a0x\u00a0</t>",
    '<r><t xml:space="preserve"> x </t></r><r><t> y </t></r>', "<t>x_x000D_y_x000d_</t>", "<t></t>", "",
    '<t>課きく</t><rPh sb="0" eb="1"><t>カ</t></rPh><phoneticPr fontId="1"/>',
    '<r><t>低保</t></r><r><t>对象</t></r><rPh sb="0" eb="2"><t>ディ</t></rPh>', "<t>a&amp;b&lt;c&gt;&quot;</t>",
]


def test_strings_rich_text_phonetic_and_escapes(tmp_path):
    shared = "".join(f'<row r="{i + 1}"><c r="A{i + 1}" t="s"><v>{i}</v></c>'
                     f'<c r="B{i + 1}" t="inlineStr"><is>{s}</is></c></row>' for i, s in enumerate(STRINGS))
    got = assert_same(build(tmp_path / "s.xlsx", {"S": shared}, STRINGS), "S")
    assert got[0][:2] == ["a", "a"] and got[1][:2] == [" a ", " a "] and got[2][0] == "xy"
    assert got[16][0] == "課きく" and got[17][0] == "低保对象"  # phonetic runs left out


def test_numbers_booleans_and_odd_types(tmp_path):
    data = ('<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>1.5</v></c><c r="C1"><v>1E3</v></c>'
            '<c r="D1" t="b"><v>1</v></c><c r="E1" t="b"><v>0</v></c><c r="F1" t="n"><v>-0</v></c>'
            '<c r="G1"><v>abc</v></c><c r="H1"><v>12345678901234567890</v></c><c r="I1" t="n"><v>0.1</v></c>'
            '<c r="J1" t="b"><v></v></c><c r="K1"><v></v></c><c r="L1" t="s"><v></v></c></row>'
            '<row r="2"><c r="A2" t="str"><f>A1</f><v>res</v></c><c r="B2" t="str"><f>A1</f><v></v></c>'
            '<c r="C2" t="str"><v> sp </v></c><c r="D2" t="d"><v>2022-05-01T08:30:00</v></c>'
            '<c r="E2" t="d"><v>2022-05-01</v></c><c r="F2" t="d"><v>08:30:00</v></c>'
            '<c r="G2" t="inlineStr"><v>ignored</v><is><t>kept</t></is></c><c r="H2" t="inlineStr"><is/></c></row>')
    got = assert_same(build(tmp_path / "n.xlsx", {"S": data}), "S")
    assert got[0][:6] == [1.0, 1.5, 1000.0, True, False, -0.0] and type(got[0][0]) is float


def test_sparse_rows_columns_cells_without_r_and_style_only_cells(tmp_path):
    data = ('<row r="2" spans="1:3"><c r="C2" s="0"/><c r="E2"><v>5</v></c></row>'
            '<row r="4"><c><v>1</v></c><c><v>2</v></c><c r="F4"><v>6</v></c><c><v>7</v></c></row>'
            '<row><c r="B5"><v>3</v></c><c s="0"/><c><v>4</v></c></row>'
            '<row r="7"><c r="A7" s="0"/></row>'
            '<row r="9"><c r="AA9" t="inlineStr"><is><t>far</t></is></c></row>'
            '<row r="10" s="0" customFormat="1"/><row r="12"><c r="B12" s="0"/></row>')
    got = assert_same(build(tmp_path / "sp.xlsx", {"S": data}), "S")
    assert len(got) == 9 and got[0] == [""] * len(got[0])


def test_an_empty_string_counts_as_a_value_a_style_does_not(tmp_path):
    data = '<row r="1"><c r="A1"><v>1</v></c></row><row r="3"><c r="B3" t="s"><v>0</v></c></row>' \
           '<row r="5"><c r="A5" s="0"/></row>'
    rows = list(iter_sheet(build(tmp_path / "e.xlsx", {"S": data}, ["<t></t>"]), "S"))
    assert rows == [(1, [1.0]), (2, []), (3, ["", ""])]
    assert_same(tmp_path / "e.xlsx", "S")


DATE_FORMATS = [14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47, "yyyy-mm-dd", "yyyy/m/d h:mm",
                'yyyy"年"m"月"d"日"', "[h]:mm:ss", "[$-F800]dddd, mmmm dd, yyyy", "m/d/yy;@", "h:mm AM/PM",
                "0.00", "@", "General", "#,##0.00_);[Red](#,##0.00)", '0.00" m"', "\\d0", "[Red]0", 2, 49, 1]
DATE_VALUES = ["44682", "44682.5", "0.5", "0", "60", "61", "59", "1", "-1", "0.999999999", "44682.99999999",
               "44682.999999999", "2958465.9", "3000000", "1e-7", "44682.0000057870", "1.5", "45000.25"]


@pytest.mark.parametrize("date1904", [False, True])
def test_dates_times_and_durations_under_every_format(tmp_path, date1904):
    data = "".join(f'<row r="{i + 1}">' + "".join(f'<c s="{j}"><v>{v}</v></c>' for j in range(len(DATE_FORMATS)))
                   + "</row>" for i, v in enumerate(DATE_VALUES))
    path = build(tmp_path / "d.xlsx", {"S": data}, styles=DATE_FORMATS, date1904=date1904)
    got = assert_same(path, "S")
    first = dt.date(2026, 5, 2) if date1904 else dt.date(2022, 5, 1)
    assert got[0][0] == first and got[1][0] == dt.datetime.combine(first, dt.time(12)) and got[2][0] == dt.time(12)
    assert got[0][10] == dt.timedelta(days=44682)


def test_custom_format_detection():
    assert detect_custom_format('yyyy"年"m"月"d"日"') == 1
    assert detect_custom_format("[h]:mm:ss") == 2
    assert detect_custom_format('"$"#,##0_);[Red]("$"#,##0)') == 0
    assert detect_custom_format("0.00_ ") == 0


def test_openpyxl_workbook_with_dates_rich_text_formulas_and_errors(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "结算明细"
    ws.append(["标题"])
    ws.append(["结算ID", "日期", "时间", "日期时间", "金额", "是否", "公式", "富文本"])
    ws.append(["JS1", dt.date(2024, 5, 1), dt.time(8, 30), dt.datetime(2024, 5, 1, 8, 30), 12.5, True, "=E3*2",
               CellRichText(["低保", TextBlock(InlineFont(b=True), "对象 ")])])
    ws.append([None, None, None, None, 0, False, "=1/0"])
    ws["A6"] = "稀疏"
    ws["J6"] = 3
    ws["B6"].number_format = "yyyy/m/d h:mm"
    ws["B6"] = dt.datetime(2024, 5, 2, 9, 15)
    ws["C6"].number_format = 'yyyy"年"m"月"d"日"'
    ws["C6"] = dt.date(2024, 5, 3)
    ws["D6"].number_format = "yyyy-mm-dd"
    ws["D6"] = 45000
    ws["E8"].font = openpyxl.styles.Font(bold=True)  # a styled, empty cell
    wb.create_sheet("第二页").append([1, 2, 3])
    path = tmp_path / "o.xlsx"
    wb.save(path)
    got = assert_same(path, "结算明细")
    assert got[2][6].__class__ is UncomputedFormula and got[3][6].__class__ is UncomputedFormula
    assert got[5][1] == dt.datetime(2024, 5, 2, 9, 15) and got[5][2] == dt.date(2024, 5, 3)
    assert_same(path, "第二页")
    assert sheet_names(path) == ["结算明细", "第二页"] and first_visible_sheet(path) == "结算明细"


def test_error_values_and_formulas_without_result_are_safety_markers(tmp_path):
    data = ('<row r="1"><c r="A1" t="e"><v>#N/A</v></c><c r="B1" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
            '<c r="C1"><f>A1+1</f></c><c r="D1"><f>A1</f><v>3</v></c><c r="E1" t="str"><f>"x"</f></c>'
            '<c r="F1" t="e"><f>A1</f></c><c r="G1"><v>1</v></c></row>'
            '<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="e"><v>#REF!</v></c><c r="C2"><f>Z9</f><v></v></c>'
            '<c r="D2"><v>9</v></c></row>')
    path = build(tmp_path / "err.xlsx", {"S": data})
    got = assert_same(path, "S")
    assert got[0][0] == "#N/A" and got[0][0].__class__ is CellError
    assert got[0][1] == "#DIV/0!" and got[0][1].__class__ is CellError
    assert got[0][2].__class__ is UncomputedFormula and got[0][5].__class__ is UncomputedFormula
    assert got[0][3] == 3.0 and got[0][4] == ""
    assert got[1][1].__class__ is CellError and got[1][2].__class__ is UncomputedFormula


def test_markers_beyond_calamines_range_are_kept(tmp_path):
    """calamine reads both as empty, so its range (and the old second pass) ended before them."""
    data = ('<row r="1"><c r="A1"><v>1</v></c><c r="C1" t="e"><v>#N/A</v></c></row>'
            '<row r="2"><c r="B2"><f>A1</f></c></row>')
    rows = list(iter_sheet(build(tmp_path / "far.xlsx", {"S": data}), "S"))
    assert rows == [(1, [1.0, "", "#N/A"]), (2, ["", ""])]
    assert rows[0][1][2].__class__ is CellError and rows[1][1][1].__class__ is UncomputedFormula


def test_sheet_part_resolved_through_relationships_and_sheet_lookup(tmp_path):
    path = build(tmp_path / "r.xlsx", {"隐藏": '<row r="1"><c r="A1"><v>1</v></c></row>',
                                       "数据": '<row r="1"><c r="A1"><v>2</v></c></row>'},
                 states={"隐藏": "hidden"}, part_dir="data")
    assert first_visible_sheet(path) == "数据"
    assert [r for _n, r in iter_sheet(path, "数据")] == [[2.0]]
    assert_same(path, "隐藏")
    with pytest.raises(FileError, match="找不到工作表"):
        list(iter_sheet(path, "没有"))
    hidden_only = build(tmp_path / "h.xlsx", {"A": ""}, states={"A": "hidden"})
    with pytest.raises(FileError, match="没有可见的工作表"):
        first_visible_sheet(hidden_only)


def test_an_empty_sheet_yields_nothing(tmp_path):
    path = build(tmp_path / "empty.xlsx", {"S": '<row r="3"><c r="B3" s="0"/></row>'})
    assert list(iter_sheet(path, "S")) == []
    assert_same(path, "S")


def test_cells_placed_in_a_later_row_are_kept_out_of_order_rows_refused(tmp_path):
    later = build(tmp_path / "later.xlsx", {"S": '<row r="1"><c r="A1"><v>1</v></c><c r="B3"><v>2</v></c></row>'
                                                 '<row r="3"><c r="A3"><v>3</v></c></row>'})
    assert list(iter_sheet(later, "S")) == [(1, [1.0]), (2, []), (3, [3.0, 2.0])]
    assert_same(later, "S")
    backwards = build(tmp_path / "back.xlsx", {"S": '<row r="3"><c r="A3"><v>1</v></c></row>'
                                                    '<row r="1"><c r="A1"><v>2</v></c></row>'})
    with pytest.raises(FileError, match="顺序"):
        list(iter_sheet(backwards, "S"))


def test_a_doctype_is_refused(tmp_path):
    path = build(tmp_path / "dtd.xlsx", {"S": '<row r="1"><c r="A1" t="inlineStr"><is><t>&x;</t></is></c></row>'})
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    parts["xl/worksheets/s1.xml"] = parts["xl/worksheets/s1.xml"].replace(
        b"<worksheet", b'<!DOCTYPE worksheet [<!ENTITY x "boom">]><worksheet', 1)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    with pytest.raises(FileError):
        list(iter_sheet(path, "S"))


def test_rows_are_yielded_as_they_are_read(tmp_path):
    """A generator: the first row arrives before the sheet is read to the end."""
    data = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 2001))
    it = iter_sheet(build(tmp_path / "g.xlsx", {"S": data}), "S")
    assert next(it) == (1, [1.0])
    assert sum(1 for _ in it) == 1999
