"""processor.io.xlsx_splice: rows streamed into a styled template."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings, strategies as st

from processor.errors import FileError, InputError
from processor.io.xlsx_splice import Formula, SheetFill, write_workbook
from xlsx_templates.build import LEDGER_COLUMNS, SHEET_ROWS, template_path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ for lo_util
import lo_util  # noqa: E402

TEMPLATE = template_path("医疗救助待遇台账")
COLS = LEDGER_COLUMNS["医疗救助待遇台账"]
C = {name: i for i, name in enumerate(COLS)}


def _row(n: int, more: dict | None = None, **values) -> list:
    row: list = [None] * len(COLS)
    row[C["序号"]] = n
    for key, value in {**(more or {}), **values}.items():
        row[C[key]] = value
    return row


def _three_rows() -> list[list]:
    return [
        _row(1, {"镇（街）": "新安街道"}, 结算ID="JS001", 姓名="张三", 证件号码="520402199001011234",
             入院日期=dt.date(2024, 1, 2), 出院日期=dt.date(2024, 1, 9), 结算日期=dt.date(2024, 1, 10),
             医疗费总额=Decimal("1234.50"), 政策范围内费用=1000, 基本医保支付=600.25, 大病保险=Decimal("0.10"),
             医疗救助=100, 倾斜救助=0, 个人自付=Decimal("534.15"), 监测提示="=1+1", 政策依据="赣医保发〔2021〕13号"),
        _row(2, 结算ID="JS002", 姓名="李\x01四", 证件号码="36070219800101002X", 结算日期=dt.date(2024, 2, 29),
             医疗费总额=200, 政策范围内费用=150.5, 基本医保支付=100, 大病保险=0, 医疗救助=20.5, 倾斜救助=None,
             个人自付=79.5, 监测提示="+cmd|' /C calc'!A0", 人员类别=True, 适用身份=False, more={"村（居）": "-2+3"}),
        _row(3, 结算ID="JS003", 姓名="王五", 证件号码="@SUM(1)", 结算日期=dt.date(2024, 3, 31),
             医疗费总额=0.3, 个人自付=Decimal("0.3"), 监测提示=Formula("=SUM(N5:N7)"), 政策依据="a & b <c>",
             more={"村（居）": " 前后空格 "}),
    ]


def _sheet_xml(path: Path, member: str = "xl/worksheets/sheet1.xml") -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read(member).decode("utf-8")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def written(tmp_path):
    before = _digest(TEMPLATE)
    out = tmp_path / "ledger.xlsx"
    write_workbook(
        TEMPLATE, out, {"台账": SheetFill(_three_rows(), 5, 6)},
        cell_text={"台账": {"A1": "赣州市医疗救助待遇台账", "A2": "填报单位：章贡区医疗保障局"}},
    )
    assert _digest(TEMPLATE) == before  # the template is never modified
    return out


def test_values_styles_and_totals(written):
    wb = openpyxl.load_workbook(written)
    ws = wb["台账"]
    assert ws["A1"].value == "赣州市医疗救助待遇台账"
    assert ws["A1"].font.sz == 16  # the title cell keeps its style
    assert ws["A2"].value == "填报单位：章贡区医疗保障局"
    assert ws["B4"].value == "结算ID"  # header untouched
    assert [ws.cell(row=r, column=1).value for r in (5, 6, 7)] == [1, 2, 3]
    assert ws["C5"].value == "张三"
    assert ws["D5"].value == "520402199001011234" and ws["D5"].data_type == "s"
    assert ws["D5"].number_format == "@"
    assert ws["N5"].value == 1234.5 and ws["N5"].number_format == "#,##0.00"
    assert ws["P5"].value == 600.25
    assert ws["O6"].value == 150.5
    # styles come from the prototype cell of the same column
    proto = openpyxl.load_workbook(TEMPLATE)["台账"]
    for col in ("A", "D", "K", "N", "Y"):
        for r in (5, 6, 7):
            assert ws[f"{col}{r}"].number_format == proto[f"{col}5"].number_format
            assert ws[f"{col}{r}"].border.left.style == "thin"
    # None → empty (still bordered)
    assert ws["T6"].value is None and ws["T6"].border.left.style == "thin"
    # totals row moved below the data, ranges widened (=SUM(N5:N5) → =SUM(N5:N7))
    assert ws["A8"].value == "合计"
    template_formula = proto["N6"].value
    assert "N5:N5" in template_formula
    assert ws["N8"].value == template_formula.replace("N5:N5", "N5:N7")
    assert ws["V8"].value == proto["V6"].value.replace("V5:V5", "V5:V7")
    assert ws.max_row == 8
    assert ws.print_area == "'台账'!$A$1:$AA$8"
    assert ws.print_title_rows == "$3:$4"
    assert "A1:M1" in {str(r) for r in ws.merged_cells.ranges}  # the title over the first printed block


def test_dates_are_serials_with_date_format(written):
    ws = openpyxl.load_workbook(written)["台账"]
    assert ws["K5"].value == dt.datetime(2024, 1, 2)
    assert ws["K5"].number_format == "yyyy-mm-dd"
    assert ws["M6"].value == dt.datetime(2024, 2, 29)
    xml = _sheet_xml(written)
    assert re.search(r'<c r="K5" s="\d+"><v>45293</v></c>', xml)  # 2024-01-02
    assert re.search(r'<c r="M6" s="\d+"><v>45351</v></c>', xml)  # 2024-02-29


def test_text_never_becomes_formula(written):
    ws = openpyxl.load_workbook(written)["台账"]
    assert ws["Y5"].value == "=1+1" and ws["Y5"].data_type == "s"
    assert ws["Y6"].value == "+cmd|' /C calc'!A0" and ws["Y6"].data_type == "s"
    assert ws["F6"].value == "-2+3" and ws["F6"].data_type == "s"
    assert ws["D7"].value == "@SUM(1)" and ws["D7"].data_type == "s"
    # a Formula is a formula, without a cached value
    assert ws["Y7"].value == "=SUM(N5:N7)"
    xml = _sheet_xml(written)
    assert '<c r="Y7" s="8"><f>SUM(N5:N7)</f></c>' in xml
    assert "<f>1+1</f>" not in xml


def test_text_escaping(written):
    ws = openpyxl.load_workbook(written)["台账"]
    assert ws["C6"].value == "李四"  # \x01 removed
    assert ws["AA7"].value == "a & b <c>"  # 政策依据
    assert ws["F7"].value == " 前后空格 "
    assert ws["G6"].value == "是" and ws["H6"].value == "否"
    xml = _sheet_xml(written)
    assert "a &amp; b &lt;c&gt;" in xml
    assert '<t xml:space="preserve"> 前后空格 </t>' in xml


def test_numbers_exact(written):
    xml = _sheet_xml(written)
    assert '<c r="Q5" s="10"><v>0.10</v></c>' in xml  # Decimal as its string
    assert '<c r="N5" s="10"><v>1234.50</v></c>' in xml
    assert '<c r="N7" s="10"><v>0.3</v></c>' in xml  # float as repr


def test_workbook_parts(written):
    with zipfile.ZipFile(written) as out, zipfile.ZipFile(TEMPLATE) as tpl:
        assert out.namelist() == tpl.namelist()
        edited = {"xl/worksheets/sheet1.xml", "xl/workbook.xml"}
        for name in tpl.namelist():
            if name not in edited:
                assert out.read(name) == tpl.read(name), name
        workbook = out.read("xl/workbook.xml").decode()
        assert 'fullCalcOnLoad="1"' in workbook
        assert "'台账'!$A$1:$AA$8" in workbook
        assert "'异常'!$A$1:$D$4" in workbook  # other sheets' names untouched
    xml = _sheet_xml(written)
    assert '<dimension ref="A1:AA8"' in xml
    assert xml.count("<row ") == 8


def test_no_overwrite_without_force(written):
    before = _digest(written)
    with pytest.raises(FileError, match="输出文件已存在：.*如需覆盖请加 --force"):
        write_workbook(TEMPLATE, written, {"台账": SheetFill([], 5, 6)})
    assert _digest(written) == before
    write_workbook(TEMPLATE, written, {"台账": SheetFill([_row(1)], 5, 6)}, force=True)
    assert _digest(written) != before


def test_output_is_not_the_template(tmp_path):
    copy = tmp_path / "t.xlsx"
    copy.write_bytes(TEMPLATE.read_bytes())
    with pytest.raises(FileError, match="模板本身"):
        write_workbook(copy, copy, {"台账": SheetFill([], 5, 6)}, force=True)


def _failing_rows():
    yield _row(1, 姓名="a")
    yield _row(2, 姓名="b")
    raise RuntimeError("source broke")


@pytest.mark.parametrize("rows, error", [
    (_failing_rows, RuntimeError),                                            # generator (spilled)
    (lambda: [_row(1), _row(2, 医疗费总额=float("inf"))], InputError),          # list (streamed)
    (lambda: [_row(1), [1] * (len(COLS) + 1)], ValueError),                   # too many columns
])
def test_failure_leaves_no_temp_and_keeps_old_output(written, rows, error):
    before = _digest(written)
    with pytest.raises(error):
        write_workbook(TEMPLATE, written, {"台账": SheetFill(rows(), 5, 6)}, force=True)
    assert _digest(written) == before
    assert sorted(p.name for p in written.parent.iterdir()) == ["ledger.xlsx"]


def test_generator_and_list_give_the_same_sheet(tmp_path):
    rows = _three_rows()
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_workbook(TEMPLATE, a, {"台账": SheetFill(rows, 5, 6)})
    write_workbook(TEMPLATE, b, {"台账": SheetFill(iter(rows), 5, 6)})
    assert _sheet_xml(a) == _sheet_xml(b)


def test_zero_rows_keep_prototype(tmp_path):
    out = tmp_path / "empty.xlsx"
    write_workbook(TEMPLATE, out, {"台账": SheetFill([], 5, 6)})
    ws = openpyxl.load_workbook(out)["台账"]
    assert ws["A6"].value == "合计" and "(N5:N5" in ws["N6"].value
    assert ws.max_row == 6


def test_several_sheets_and_big_ints(tmp_path):
    out = tmp_path / "multi.xlsx"
    rows = [_row(i, 结算ID=f"JS{i:05d}", 医疗费总额=i) for i in range(1, 1001)]
    rows[0][C["证件号码"]] = 520402199001011234  # an int of 18 digits stays exact (as text)
    write_workbook(TEMPLATE, out, {
        "台账": SheetFill(rows, *SHEET_ROWS["台账"]),
        "异常": SheetFill([(7, "JS9", "赵六", "证件号码校验位错误")], *SHEET_ROWS["异常"]),
        "汇总": SheetFill((("人员类别", "特困人员", 3, Decimal("10.00"), 1, 2, 3, 4),), *SHEET_ROWS["汇总"]),
    })
    wb = openpyxl.load_workbook(out)
    ws = wb["台账"]
    assert ws["D5"].value == "520402199001011234"
    assert ws["N1004"].value == 1000
    assert ws["A1005"].value == "合计" and "(N5:N1004" in ws["N1005"].value
    assert [c.value for c in wb["异常"][SHEET_ROWS["异常"][0]]] == [7, "JS9", "赵六", "证件号码校验位错误"]
    assert wb["汇总"]["D4"].value == 10 and wb["汇总"]["D4"].number_format == "#,##0.00"
    assert wb["汇总"].max_row == 4


def test_calc_chain_removed(tmp_path):
    # a template as Excel would save it, with a calcChain part
    src = io.BytesIO()
    with zipfile.ZipFile(TEMPLATE) as tpl, zipfile.ZipFile(src, "w") as zf:
        for info in tpl.infolist():
            data = tpl.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/calcChain.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>')
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rId99" Type="http://schemas.openxmlformats'
                                    b'.org/officeDocument/2006/relationships/calcChain" Target="calcChain.xml"/>'
                                    b"</Relationships>")
            if info.filename == "xl/workbook.xml":
                data = data.replace(b' fullCalcOnLoad="1"', b"")
            zf.writestr(info, data)
        zf.writestr("xl/calcChain.xml", '<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    '<c r="N6" i="1"/></calcChain>')
    template = tmp_path / "with_chain.xlsx"
    template.write_bytes(src.getvalue())
    out = tmp_path / "out.xlsx"
    write_workbook(template, out, {"台账": SheetFill(_three_rows(), 5, 6)})
    with zipfile.ZipFile(out) as zf:
        assert "xl/calcChain.xml" not in zf.namelist()
        assert b"calcChain" not in zf.read("[Content_Types].xml")
        assert b"calcChain" not in zf.read("xl/_rels/workbook.xml.rels")
        assert 'fullCalcOnLoad="1"' in zf.read("xl/workbook.xml").decode()
    assert "(N5:N7" in openpyxl.load_workbook(out)["台账"]["N8"].value


def test_unknown_sheet_or_missing_prototype(tmp_path):
    with pytest.raises(FileError, match="没有工作表"):
        write_workbook(TEMPLATE, tmp_path / "x.xlsx", {"不存在": SheetFill([], 2, None)})
    with pytest.raises(FileError, match="第9行"):
        write_workbook(TEMPLATE, tmp_path / "x.xlsx", {"台账": SheetFill([], 9, None)})
    assert list(tmp_path.iterdir()) == []


def test_calamine_reads_the_result(written):
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(written)).get_sheet_by_name("台账").to_python()
    assert len(rows) == 8
    assert rows[4][2] == "张三"
    assert rows[4][10] == dt.date(2024, 1, 2)
    assert rows[4][C["监测提示"]] == "=1+1"
    assert rows[6][C["监测提示"]] == ""  # a formula cell carries no cached value


@pytest.mark.slow
@pytest.mark.skipif(not lo_util.available(), reason="LibreOffice (soffice) not installed")
def test_libreoffice_recalculates_totals(written, tmp_path):
    converted = lo_util.recalculate(written, tmp_path / "lo")
    ws = openpyxl.load_workbook(converted, data_only=True)["台账"]
    assert ws["A8"].value == "合计"
    assert ws["N8"].value == pytest.approx(1234.5 + 200 + 0.3)
    assert ws["V8"].value == pytest.approx(534.15 + 79.5 + 0.3)
    assert ws["Y7"].value == pytest.approx(1434.8)       # the Formula cell
    assert ws["Y5"].value == "=1+1"                       # text stayed text
    assert ws["A1"].value == "赣州市医疗救助待遇台账"
    assert ws["D5"].value == "520402199001011234"
    assert ws["K5"].value == dt.datetime(2024, 1, 2)


def _margins(path: Path, member: str = "xl/worksheets/sheet1.xml") -> dict:
    with zipfile.ZipFile(path) as zf:
        tag = re.search(r"<pageMargins\b[^>]*>", zf.read(member).decode()).group()
    return {k: float(v) for k, v in re.findall(r'(\w+)="([^"]*)"', tag)}


def test_a_running_page_header_gets_room_above_the_rows(tmp_path):
    """The page header (title, 所属期) sits ``header`` inches below the paper's edge, the rows start at ``top``:
    the template's 0.5 and 0.6 let the repeated header rows cover the lower half of the title on every page
    after the first (seen in LibreOffice's PDF). With a page header the header margin leaves 0.3 inch; the rows
    keep their margin, so the pages hold as many rows. Without one the template's margins stay."""
    rows = [_row(n) for n in range(1, 4)]
    plain = write_workbook(TEMPLATE, tmp_path / "plain.xlsx", {"台账": SheetFill(rows, 5, 6)})
    titled = write_workbook(TEMPLATE, tmp_path / "titled.xlsx",
                            {"台账": SheetFill(rows, 5, 6, page_header="&C赣州市医疗救助待遇台账&R所属期：2022-01")})
    template = _margins(TEMPLATE)
    assert _margins(plain) == template
    got = _margins(titled)
    assert got["header"] <= got["top"] - 0.3 + 1e-9 and got["header"] >= 0.1
    assert {k: v for k, v in got.items() if k != "header"} == {k: v for k, v in template.items() if k != "header"}


# ----------------------------------------------------------------------------- a row's two ways to XML
def _renderer(n_cols: int):
    from processor.io.xlsx_splice import _parse_rows, _RowRenderer, _Values
    cells = "".join(f'<c r="{chr(65 + i)}5" s="{i % 3}"/>' for i in range(n_cols))
    proto = _parse_rows(f'<row r="5" spans="1:{n_cols}" ht="18" customHeight="1">{cells}</row>', "测试")[0]
    return _RowRenderer(proto, _Values(False), "测试")


_TEXT = st.text(alphabet=st.sampled_from(list("张三 %{}<>&\"'_x0041_%s{0}ab\t")), max_size=12)
_VALUE = st.one_of(st.none(), _TEXT, st.integers(-10**16, 10**16), st.booleans(),
                   st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=False, places=3),
                   st.dates(min_value=dt.date(1899, 12, 1), max_value=dt.date(2100, 1, 1)))


@settings(max_examples=400, deadline=None)
@given(rows=st.lists(st.lists(_VALUE, max_size=8), min_size=1, max_size=6), r=st.integers(1, 1_048_576))
def test_a_rows_fast_plan_writes_what_the_cell_by_cell_path_writes(rows, r):
    # _RowRenderer.plan: one template per row's types, filled by %-formatting (xlsx_splice._percent); any row
    # it does not vouch for (escapes, edge spaces, big ints, NaN, early dates…) goes cell by cell. Where it
    # writes a row, the row is the cell-by-cell path's, character for character; '%' and braces in text too.
    # One difference, older than the %-templates and harmless: an empty text in a column without a style is an
    # empty <c r=".."/> from the plan and no element from the cell path — the same empty cell to every reader.
    renderer = _renderer(8)
    bare = re.compile(r'<c r="[A-Z]+[0-9]+"/>')
    for values in rows:
        plan = renderer.plan(tuple(map(type, values)))
        line = plan(values, r) if plan is not None else None
        if line is not None:
            assert bare.sub("", line) == bare.sub("", renderer.slow_row(values, r))


@given(parts=st.lists(st.one_of(st.integers(0, 5).map(lambda k: "{%d}" % k),
                                st.text(alphabet=st.sampled_from(list("ab%{}<s")), max_size=5)
                                .map(lambda t: t.replace("{", "{{").replace("}", "}}"))), max_size=12),
       args=st.lists(st.one_of(st.integers(), _TEXT, st.floats()), min_size=6, max_size=6))
def test_a_percent_template_fills_in_what_str_format_does(parts, args):
    from processor.io.xlsx_splice import _percent
    template = "".join(parts)
    text, pick = _percent(template)
    assert text % pick(tuple(args)) == template.format(*args)
