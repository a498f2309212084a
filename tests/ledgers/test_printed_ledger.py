"""What a clerk sees (issue 10): every sheet of every sample ledger printed through LibreOffice, widths
measured after filling, page blocks that fit the paper, every sheet a report, and the CLI traps."""
from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from processor.cli import main
from xlsx_templates.build import (LEDGER_COLUMNS, PAGE, SHEET_ROWS, STATE_COLUMNS, TITLE_COLUMNS, WRAP_COLUMNS,
                                  page_units)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))  # lo_util
import lo_util  # noqa: E402
SAMPLES = {"赣州": "医疗救助台账", "龙岩": "医疗救助台账", "阳城": "医疗救助台账", "西秀": "待遇台账"}


def run(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse
            rc = exc.code
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("printed")
    out = {}
    for region, ledger in SAMPLES.items():
        path = folder / f"{region}.xlsx"
        rc, _o, err = run("fill", ledger, ROOT / "samples" / f"{region}_结算导出.xlsx", "--region", region,
                          "--settings", ROOT / "settings.example.toml", "--out", path, "--unit", f"{region}医疗保障局",
                          "--quiet")
        assert rc == 0, err
        out[region] = path
    return out


def display_width(value) -> int:
    """The units a value needs: a CJK character 2, others 1; money as #,##0.00."""
    if isinstance(value, float):
        text = f"{value:,.2f}"
    elif hasattr(value, "year"):
        text = "2022-01-01"
    else:
        text = str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def widths_of(ws) -> dict[int, float]:
    return {i: ws.column_dimensions[get_column_letter(i)].width for i in range(1, ws.max_column + 1)}


# ------------------------------------------------------------------------------- LibreOffice PDF
@pytest.mark.skipif(not lo_util.available(), reason="LibreOffice (soffice) is not installed")
def test_every_sheet_prints_without_hash_marks(ledgers, tmp_path):
    """Each sheet of each sample ledger through LibreOffice to PDF: a number too wide for its column
    prints as ###; none may. Also: 8 pt or more on paper (fixed scale, never fit-to-width)."""
    for region, path in ledgers.items():
        outdir = tmp_path / region
        subprocess.run([lo_util.soffice(), f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                        "--convert-to", "pdf", "--outdir", str(outdir), str(path)],
                       check=True, capture_output=True, timeout=300)
        pdf = outdir / f"{region}.pdf"
        text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
        assert "###" not in text, region
        for sheet in ("台账", "异常", "政策依据", "汇总", "核对", "年度累计"):  # every sheet was printed
            assert openpyxl.load_workbook(path, read_only=True)[sheet] is not None
        assert "填报单位：" in text and f"{region}医疗保障局" in text
    for sheet, (_paper, _orient, scale) in PAGE.items():
        assert 10 * scale / 100 >= 8, sheet


# ------------------------------------------------------------------------------- widths and blocks
def test_widths_fit_the_largest_value_after_filling(ledgers):
    """Every non-wrapping column is at least as wide as the widest value it holds (+1), the totals
    row's sums included (赣州/龙岩/阳城 showed ### at width 12); wrapping columns are set to wrap."""
    for region, path in ledgers.items():
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            proto = SHEET_ROWS[ws.title][0]
            header = [ws.cell(proto - 1, j).value or ws.cell(proto - 2, j).value for j in range(1, ws.max_column + 1)]
            widths = widths_of(ws)
            for row in ws.iter_rows(min_row=proto, values_only=False):
                if row[0].value == "合计":  # the totals row: its sums are checked below
                    continue
                for cell in row:
                    v = cell.value
                    if v is None or (isinstance(v, str) and v.startswith("=")):
                        continue
                    name = header[cell.column - 1]
                    if name in WRAP_COLUMNS or isinstance(v, str):
                        assert cell.alignment.wrap_text, (region, ws.title, cell.coordinate)
                        continue
                    assert widths[cell.column] >= display_width(v) + 1, (region, ws.title, cell.coordinate, v)
            if ws.title == "台账":  # the totals: sum of the column (a width check, on the fen values)
                last = ws.max_row
                assert ws.cell(last, 1).value == "合计"
                for j, name in enumerate(header, 1):
                    if name in ("医疗费总额", "政策范围内费用", "基本医保支付"):
                        total = sum(round(v * 100) for v in (ws.cell(r, j).value for r in range(proto, last))
                                    if isinstance(v, (int, float)))
                        assert widths[j] >= len(f"{total / 100:,.2f}") + 1, (region, name)


def test_page_blocks_fit_the_paper(ledgers):
    """Column breaks: each printed block (with the repeated 序号/结算ID/姓名) fits one page width, and
    breaks fall between column groups (费用信息 is never split from its pair)."""
    for region, path in ledgers.items():
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            widths = widths_of(ws)
            breaks = sorted(b.id for b in ws.col_breaks.brk)
            repeated = sum(widths[c] for c in range(1, TITLE_COLUMNS[ws.title] + 1))
            edges = [0, *breaks, ws.max_column]
            for k, (a, b) in enumerate(zip(edges, edges[1:])):
                used = sum(widths[c] for c in range(a + 1, b + 1)) + (repeated if k else 0)
                assert used <= page_units(ws.title) + 1e-6, (region, ws.title, k, used)
            if ws.title == "台账":
                cols = LEDGER_COLUMNS[SAMPLES[region] == "待遇台账" and "待遇台账" or "医疗救助待遇台账"]
                pair = cols.index("医疗费总额") + 1
                assert pair not in breaks  # 医疗费总额 | 政策范围内费用 stay together
                assert ws.print_title_cols == "$A:$C" and ws.print_title_rows == "$3:$4"


def test_header_words_do_not_break(ledgers):
    """是否转诊 printed as 是否转/诊: a header of up to four characters fits its column on one line."""
    ws = openpyxl.load_workbook(ledgers["西秀"])["台账"]
    for j in range(1, ws.max_column + 1):
        text = ws.cell(4, j).value or ws.cell(3, j).value
        if text and len(text) <= 4:
            assert ws.column_dimensions[get_column_letter(j)].width >= 2 * len(text) + 1, text


# ------------------------------------------------------------------------------- every sheet a report
def test_every_sheet_is_a_report(ledgers):
    for region, path in ledgers.items():
        wb = openpyxl.load_workbook(path)
        title = wb["台账"]["A1"].value
        for sheet in ("异常", "政策依据", "汇总", "核对", "年度累计"):
            ws = wb[sheet]
            assert ws["A1"].value.startswith(title), (region, sheet)
            assert "填报单位：" + f"{region}医疗保障局" in ws["A2"].value
            assert re.search(r"所属期：\d{4}-\d{2}", ws["A2"].value) and re.search(r"制表日期：\d{4}-\d{2}-\d{2}", ws["A2"].value)


def test_summary_has_totals_per_grouping(ledgers):
    """汇总: each grouping closed by a 合计 row; its 人次 is the ledger's row count (every settlement
    falls in exactly one 适用身份 and one 乡镇)."""
    for region, path in ledgers.items():
        wb = openpyxl.load_workbook(path)
        ledger_rows = sum(1 for r in wb["台账"].iter_rows(min_row=5, values_only=True) if isinstance(r[0], int))
        rows = [r for r in wb["汇总"].iter_rows(min_row=4, values_only=True) if r[0]]
        totals = {r[0]: r for r in rows if r[0].endswith("合计")}
        assert set(totals) == {"适用身份合计", "乡镇合计"}
        for how in ("适用身份", "乡镇"):
            parts = [r for r in rows if r[0] == how]
            assert totals[how + "合计"][2] == sum(r[2] for r in parts) == ledger_rows
            for j in range(3, 8):  # the amounts: the sum of the groups, to the fen
                assert round(totals[how + "合计"][j] * 100) == sum(round(r[j] * 100) for r in parts), (region, how, j)


def test_basis_sheet_speaks_chinese(ledgers):
    """政策依据: no internal codes (on_application, computed, undefined, setting keys)."""
    for region, path in ledgers.items():
        ws = openpyxl.load_workbook(path)["政策依据"]
        for row in ws.iter_rows(min_row=4, max_col=4, values_only=True):
            for v in row:
                assert not (isinstance(v, str) and re.search(r"[a-z_]{4,}", v)), (region, v)


def test_state_sheet_names_people_and_tilt_is_never_blank(ledgers):
    for region, path in ledgers.items():
        wb = openpyxl.load_workbook(path)
        ws = wb["年度累计"]
        assert [c.value for c in ws[3]] == STATE_COLUMNS
        rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if r[0]]
        assert rows and all(r[1] for r in rows), region  # every person with a name
        led = wb["台账"]
        col = [c.value for c in led[4]].index("倾斜救助") + 1
        cells = [led.cell(r, col).value for r in range(5, led.max_row)]
        assert all(isinstance(v, (int, float)) for v in cells), region  # 0.00 where none is computed


def test_empty_check_sheet_says_what_was_compared(tmp_path):
    """核对 without a difference is not a blank sheet: it says 无不一致 and what was compared. An export
    without fund columns has nothing to compare; one whose 医疗救助 agrees names the fund compared."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import exports
    from datetime import date
    settings = exports.write_settings(tmp_path / "s.toml", "阳城", [
        ("critical_deductible", 2022, "100000"), ("critical_rate", 2022, "60%"), ("critical_cap", 2022, "300000")])
    person = dict(姓名="甲", 证件号码="999000195001011239", 人员类别="低保对象", 镇街="凤城镇", 医疗类别="住院", 是否转诊="是")
    base = dict(person, 结算ID="C1", 结算日期=date(2022, 1, 10), 符合范围金额=1000, 统筹基金支出=600, 医疗费总额=1000)
    # 阳医保发〔2022〕2号 四: 低保 住院 70% of (1,000 − 600) = 280.00 医疗救助 — the export's 280 agrees
    for name, row, words in (("none", base, "没有可比较的金额"),
                             ("same", dict(base, 医疗救助=280), "已逐条比较导出的医疗救助金额")):
        export = tmp_path / f"{name}.xlsx"
        exports.write_export(export, [row], extra_headers=[k for k in row if k not in exports.HEADERS])
        out = tmp_path / f"{name}_台账.xlsx"
        rc, _o, err = run("fill", "医疗救助台账", export, "--region", "阳城", "--out", out, "--settings", settings, "--quiet")
        assert rc == 0, err
        rows = [r for r in openpyxl.load_workbook(out)["核对"].iter_rows(min_row=4, values_only=True) if any(r)]
        assert len(rows) == 1 and rows[0][:7] == (None,) * 7
        assert rows[0][7].startswith("无不一致：") and words in rows[0][7], rows[0][7]


# ------------------------------------------------------------------------------- CLI
def test_period_is_validated_and_never_mislabels(tmp_path):
    src = ROOT / "samples" / "阳城_结算导出.xlsx"
    base = ["fill", "医疗救助台账", src, "--region", "阳城", "--settings", ROOT / "settings.example.toml", "--quiet"]
    rc, _o, err = run(*base, "--out", tmp_path / "a.xlsx", "--period", "2022年3月")
    assert rc == 2 and "--period 应写作 年-月，如 2022-03" in err
    rc, _o, err = run(*base, "--out", tmp_path / "b.xlsx", "--period", "2022-03")
    # the sample holds a whole year: refused with the count of rows outside 2022-03, nothing written
    assert rc == 2 and "不在所属期 2022-03 内" in err and "2022-01 143 行" in err
    assert not (tmp_path / "b.xlsx").exists()


def test_progress_counts_every_row_read(tmp_path):
    src = ROOT / "samples" / "阳城_结算导出.xlsx"
    rc, out, err = run("fill", "医疗救助台账", src, "--region", "阳城", "--settings", ROOT / "settings.example.toml",
                       "--out", tmp_path / "a.xlsx")
    assert rc == 0
    read = re.search(r"读入结算行 ([\d,]+)", out).group(1)
    assert f"{read}/{read}" in err  # the bar ends where the summary starts


def test_settings_with_a_bom_and_chinese_toml_errors(tmp_path):
    bom = tmp_path / "bom.toml"
    bom.write_bytes("\ufeffexample = true\n".encode("utf-8"))
    rc, out, _err = run("policy", "check", "--settings", bom)
    assert rc == 0 and "示例数字" in out
    bad = tmp_path / "bad.toml"
    bad.write_text("a = \n", encoding="utf-8")
    rc, _out, err = run("policy", "check", "--settings", bad)
    assert rc == 2 and "第1行第5列：取值无效" in err and "Invalid" not in err


def test_argparse_speaks_chinese():
    rc, _o, err = run("fill")
    assert rc == 2 and "用法：" in err and "缺少必填参数" in err and "usage" not in err and "required" not in err
    rc, out, _e = run("fill", "-h")
    assert "--region" in out and "地区" in out and "输出的台账文件" in out and "显示本帮助并退出" in out
    rc, out, _e = run("--version")
    assert rc == 0 and out.startswith("yibao ")


def test_policy_output_details():
    rc, out, _e = run("policy", "list")
    cut = [line for line in out.splitlines() if line.startswith("  ") and "参数" in line]
    assert any(line.endswith("…") for line in cut)  # a long title is marked as cut
    rc, out, _e = run("explain", "assist", "--region", "赣州", "--category", "低保户", "--amount", "10000",
                      "--date", "2022-06-30")
    # 赣市医保字〔2021〕37号 二(三)3(1): 低保 75%, 10,000 × 75% = 7,500.00 with the separator of the steps
    assert "结果：7,500.00 元" in out
    rc, out, _e = run("policy", "check")
    assert "设置文件：未检查" in out and "--settings" in out


def test_udf_workbook_rebuild_is_byte_stable(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location("udf_workbook_build", ROOT / "udf" / "workbook" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    build = module.build
    a = build(tmp_path / "a.xlsx").read_bytes()
    b = build(tmp_path / "b.xlsx").read_bytes()
    assert a == b == (ROOT / "udf" / "workbook" / "yibao_functions.xlsx").read_bytes()
