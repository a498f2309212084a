"""Excel error values (#N/A, #DIV/0!) in an export: calamine reads them as empty strings, which
would turn a #N/A 人员类别 into an ordinary person or a #N/A 医疗费总额 into a computed one. The
reader marks them and the row goes to 异常 with the reason."""
import re
import shutil
import zipfile
from datetime import date

from openpyxl import Workbook

from processor.book import default_book
from processor.io.reader import read_export
from processor.io.safety import CellError
from processor.ledgers.compute import compute
from processor.settings import parse_settings

HEADERS = ["结算ID", "姓名", "证件号码", "人员类别", "医疗类别", "结算日期", "医疗费总额", "符合范围金额", "统筹基金支出"]


def _export(tmp_path, errors: dict[str, str]):
    """An export of two claims; `errors` turns cells (e.g. 'D3') into Excel error cells."""
    wb = Workbook()
    ws = wb.active
    ws.title = "结算明细"
    ws.append(HEADERS)
    ws.append(["JS1", "甲", "999000199001011237", "低保对象", "住院", date(2022, 5, 1), 1200, 1000, 600])
    ws.append(["JS2", "乙", "999000199001015676", "低保对象", "住院", date(2022, 5, 2), 1200, 1000, 600])
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    out = tmp_path / "errors.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for ref, value in errors.items():
                    # replace the cell, whatever it held, by an error cell as Excel writes it
                    text = re.sub(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)', f'<c r="{ref}" t="e"><v>{value}</v></c>', text)
                data = text.encode()
            dst.writestr(info, data)
    return out


def test_error_cells_are_marked_not_empty(tmp_path):
    table = read_export(_export(tmp_path, {"D3": "#N/A", "G2": "#DIV/0!"}))
    by_id = {r.values["settlement_id"]: r.values for r in table.rows}
    assert isinstance(by_id["JS2"]["category"], CellError) and by_id["JS2"]["category"] == "#N/A"
    assert by_id["JS1"]["total_cost"] == "#DIV/0!"


def test_a_row_with_an_error_cell_is_rejected_with_the_reason(tmp_path):
    table = read_export(_export(tmp_path, {"D3": "#N/A"}))
    settings = parse_settings('[[setting]]\nregion = "赣州"\nkey = "disposable_income"\nyear = 2021\n'
                              'value = "40000"\nsource = "test"\n'
                              '[[setting]]\nregion = "赣州"\nkey = "rural_income_province"\nyear = 2021\n'
                              'value = "18000"\nsource = "test"\n')
    outcome = compute(table, default_book().region("赣州"), settings)
    assert [ln.row.claim.settlement_id for ln in outcome.lines] == ["JS1"]
    (rejected,) = outcome.rejected
    assert rejected.source_row == 3 and "#N/A" in rejected.reason and "人员类别" in rejected.reason


def test_no_error_cells_no_change(tmp_path):
    path = tmp_path / "copy.xlsx"
    shutil.copy(_export(tmp_path, {}), path)
    assert all(not isinstance(v, CellError) for r in read_export(path).rows for v in r.values.values())
