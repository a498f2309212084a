"""`yibao` on the command line: fill the four sample ledgers, policy / explain / template commands, files.

Most cases call ``processor.cli.main([...])`` in-process (stdout/stderr captured); a few run
``python -m processor.cli`` as a subprocess to see the real exit code and that no traceback escapes.

Expected counts come from how samples/make_sample.py builds each export: 1,500 claims plus a
reversal, a duplicate 结算ID and a row with a non-numeric amount (1,503 settlement rows: 2 rejected),
plus a blank row and a 合计 row (not settlement rows at all).
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import types
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
from xlsx_templates.build import SHEET_ROWS
import pytest

from processor.cli import main
from xlsx_templates.build import GENERIC, LEDGER_COLUMNS, XIXIU

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
SETTINGS = ROOT / "settings.example.toml"

sys.path.insert(0, str(ROOT / "tests"))  # lo_util
import lo_util  # noqa: E402

# region → (ledger name on the command line, template the ledger uses)
CASES = {
    "阳城": ("医疗救助台账", GENERIC),
    "赣州": ("医疗救助台账", GENERIC),
    "龙岩": ("医疗救助台账", GENERIC),
    "西秀": ("待遇台账", XIXIU),
}
SAMPLE_ROWS, SAMPLE_REJECTED, SAMPLE_SKIPPED = 1503, 2, 2
FUNDS = ("大病保险", "医疗救助", "倾斜救助", "个人自付")   # the order the summary prints them in
SUMMED = ("医疗费总额", "政策范围内费用", "基本医保支付", *FUNDS)
FIRST_ROW = 5

COUNT_LINE = re.compile(r"读入结算行 ([\d,]+) = 写入台账 ([\d,]+) \+ 异常 ([\d,]+)（另有空行/合计行 ([\d,]+) 行未计入）")
TOTALS_LINE = re.compile(r"大病保险 (-?[\d,]+\.\d\d) 元；医疗救助 (-?[\d,]+\.\d\d) 元；"
                         r"倾斜救助 (-?[\d,]+\.\d\d) 元；个人自付 (-?[\d,]+\.\d\d) 元")


# ------------------------------------------------------------------------------------------ helpers
def run_cli(*argv) -> tuple[int, str, str]:
    """``main(argv)`` with stdout and stderr captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in argv])
    return rc, out.getvalue(), err.getvalue()


def run_process(*argv, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "processor.cli", *map(str, argv)], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", timeout=300, env={**os.environ, **(env or {})})


def fill_args(region: str, out: Path, *extra, src: Path | None = None, settings: Path | None = SETTINGS) -> list:
    ledger, _ = CASES[region]
    args = ["fill", ledger, src or SAMPLES / f"{region}_结算导出.xlsx", "--region", region, "--out", out]
    if settings is not None:
        args += ["--settings", settings]
    return [*args, *extra]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fen(value) -> int:
    """A cell's amount in fen (exact for the two-decimal floats the writer emits); empty = 0."""
    if value is None:
        return 0
    assert isinstance(value, (int, float)) and not isinstance(value, bool), f"not a number: {value!r}"
    return int((Decimal(repr(value)) * 100).to_integral_value())


def printed(text: str) -> tuple[tuple[int, int, int, int], dict[str, int]]:
    """(N, A, B, skipped) and the printed fund totals in fen."""
    m = COUNT_LINE.search(text)
    assert m, text
    counts = tuple(int(g.replace(",", "")) for g in m.groups())
    t = TOTALS_LINE.search(text)
    assert t, text
    totals = {name: int(Decimal(g.replace(",", "")) * 100) for name, g in zip(FUNDS, t.groups())}
    return counts, totals


def chinese(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


def ledger_header(ws) -> list[str]:
    """Column names of 台账: the sub-header (row 4), or the header merged over rows 3–4."""
    top = [c.value for c in ws[3]]
    sub = [c.value for c in ws[4]]
    return [str(s or t or "").strip() for t, s in zip(top, sub)]


def ledger_rows(ws) -> tuple[list[tuple], tuple | None, int | None]:
    """(data rows, totals row, totals row number) of a 台账 sheet."""
    rows, totals, totals_r = [], None, None
    for r, row in enumerate(ws.iter_rows(min_row=FIRST_ROW, values_only=True), FIRST_ROW):
        if row and row[0] == "合计":
            totals, totals_r = row, r
            break
        if any(v is not None for v in row):
            rows.append(row)
    return rows, totals, totals_r


def input_counts(path: Path) -> tuple[int, int]:
    """(settlement rows, blank + 合计 rows) below the header, counted straight from the export."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()
    header = next(i for i, row in enumerate(rows) if row and row[0] == "结算ID")
    data = skipped = 0
    for row in rows[header + 1:]:
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            skipped += 1
        elif isinstance(row[0], str) and row[0].startswith("合计"):
            skipped += 1
        else:
            data += 1
    return data, skipped


def export_to_csv(src: Path, dst: Path, encoding: str) -> None:
    """The sample export as a CSV with the same headers (dates as yyyy-mm-dd, numbers as written)."""
    wb = openpyxl.load_workbook(src, read_only=True)
    try:
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    for row in rows:
        writer.writerow(["" if v is None else v.date().isoformat() if isinstance(v, dt.datetime) else v for v in row])
    dst.write_bytes(buf.getvalue().encode(encoding))


@pytest.fixture(autouse=True)
def _no_env_settings(monkeypatch):
    monkeypatch.delenv("YIBAO_SETTINGS", raising=False)


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """Each sample filled once: region → (rc, stdout, stderr, ledger path)."""
    out_dir = tmp_path_factory.mktemp("filled")
    done = {}
    for region in CASES:
        out = out_dir / f"{region}_台账.xlsx"
        done[region] = (*run_cli(*fill_args(region, out)), out)
    return done


# ------------------------------------------------------------------------------ 1. the four samples
@pytest.mark.parametrize("region", list(CASES))
def test_sample_fill_counts_and_totals(filled, region):
    rc, out, err, path = filled[region]
    assert rc == 0, err
    assert "Traceback" not in err
    (n, a, b, skipped), totals = printed(out)
    assert n == a + b
    assert (n, b, skipped) == (SAMPLE_ROWS, SAMPLE_REJECTED, SAMPLE_SKIPPED)   # from make_sample.py's construction
    assert (n, skipped) == input_counts(SAMPLES / f"{region}_结算导出.xlsx")
    assert f"完成：{path}" in out

    wb = openpyxl.load_workbook(path)
    ws = wb["台账"]
    header = ledger_header(ws)
    assert header == LEDGER_COLUMNS[CASES[region][1]]
    col = {name: i for i, name in enumerate(header)}
    rows, total_row, total_r = ledger_rows(ws)
    assert len(rows) == a
    assert [r[col["序号"]] for r in rows] == list(range(1, a + 1))
    assert total_r == FIRST_ROW + a

    # 异常: the rejections with their source row and reason, then the not-counted notes
    anomalies = [r for r in wb["异常"].iter_rows(min_row=SHEET_ROWS["异常"][0], values_only=True)
                 if any(v is not None for v in r)]
    rejected = [r for r in anomalies if not str(r[3]).startswith("未计入")]
    notes = [r for r in anomalies if str(r[3]).startswith("未计入")]
    assert len(rejected) == b and len(notes) == skipped
    assert all(isinstance(r[0], int) and chinese(r[3]) for r in rejected)
    reasons = " ".join(r[3] for r in rejected)
    assert "重复的结算ID" in reasons and "不是数字" in reasons
    assert sorted(r[3] for r in notes) == sorted(["未计入：空行", "未计入：合计行，不是结算记录"])

    # the money cells are numbers, and each fund's column sums (in fen) to the printed total
    for name in SUMMED:
        for r in rows:
            v = r[col[name]]
            assert v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)), (name, v)
    for name in FUNDS:
        assert sum(fen(r[col[name]]) for r in rows) == totals[name], name
    assert totals["大病保险"] > 0 and totals["医疗救助"] > 0
    # one reversal: written with negative amounts (undoes the 6th claim)
    assert sum(1 for r in rows if fen(r[col["政策范围内费用"]]) < 0) == 1
    # the totals row sums every data row, and shows an error for text (+0)
    for name in SUMMED:
        letter = openpyxl.utils.get_column_letter(col[name] + 1)
        assert total_row[col[name]] == f"=SUMPRODUCT({letter}{FIRST_ROW}:{letter}{FIRST_ROW + a - 1}+0)"


def test_sample_fill_as_a_process(tmp_path):
    """The real entry point: exit code 0, the summary on stdout, progress on stderr only."""
    out = tmp_path / "x.xlsx"
    proc = run_process(*fill_args("阳城", out))
    assert proc.returncode == 0, proc.stderr
    (n, a, b, _), _ = printed(proc.stdout)
    assert (n, a + b) == (SAMPLE_ROWS, SAMPLE_ROWS)
    assert "计算中" not in proc.stdout and "Traceback" not in proc.stderr
    assert "示例数字" in proc.stdout  # the example settings are flagged
    assert zipfile.is_zipfile(out)


def test_xixiu_title_is_table_three(filled):
    ws = openpyxl.load_workbook(filled["西秀"][3])["台账"]
    assert ws["A1"].value == "安顺市西秀区特殊群体待遇（报销）台账（表三）"
    ws = openpyxl.load_workbook(filled["龙岩"][3])["台账"]
    assert ws["A1"].value == "龙岩市医疗救助待遇台账"


# ----------------------------------------------------------------------------------- 2. LibreOffice
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_opens_and_recalculates_totals(filled, tmp_path):
    rc, out, _, path = filled["赣州"]      # 赣州: every fund column has amounts, 倾斜救助 too
    assert rc == 0
    _, totals = printed(out)
    src = tmp_path / "src"
    src.mkdir()
    plain = shutil.copy(path, src / "plain.xlsx")

    # a copy where a clerk typed over two money cells: non-numeric text, and a number stored as text
    wb = openpyxl.load_workbook(path)
    ws = wb["台账"]
    col = {name: i + 1 for i, name in enumerate(ledger_header(ws))}
    r = FIRST_ROW + 9
    old_critical = ws.cell(r, col["大病保险"]).value
    ws.cell(r, col["医疗救助"]).value = "见附件"
    ws.cell(r, col["大病保险"]).value = "1234.50"
    edited = src / "edited.xlsx"
    wb.save(edited)

    # conversion succeeding = LibreOffice opened the file without a repair
    converted = lo_util.recalculate(Path(plain), tmp_path / "lo")
    wb = openpyxl.load_workbook(converted, data_only=True)
    ws = wb["台账"]
    rows, total_row, _ = ledger_rows(ws)
    assert len(rows) == printed(out)[0][1]
    written = openpyxl.load_workbook(path)["台账"]
    wrows, _, _ = ledger_rows(written)
    for name in SUMMED:
        i = col[name] - 1
        expected = totals[name] if name in totals else sum(fen(x[i]) for x in wrows)
        assert round(total_row[i] * 100) == expected, name
    assert {"异常", "政策依据", "汇总", "核对", "年度累计"} <= set(wb.sheetnames)

    converted = lo_util.recalculate(edited, tmp_path / "lo2")
    _, total_row, _ = ledger_rows(openpyxl.load_workbook(converted, data_only=True)["台账"])
    assert isinstance(total_row[col["医疗救助"] - 1], str) and total_row[col["医疗救助"] - 1].startswith("#")
    # numeric text is counted (Excel and LibreOffice convert it in +0), never silently left out as SUM would
    got = round(total_row[col["大病保险"] - 1] * 100)
    assert got == totals["大病保险"] - fen(old_critical) + 123450
    assert round(total_row[col["倾斜救助"] - 1] * 100) == totals["倾斜救助"]


# -------------------------------------------------------------------------------------- 3. formulas
@pytest.fixture
def udf_plugin(monkeypatch):
    """udf's Excel functions as a pycel plugin module (as tests/udf/conftest.py does), settings = the example."""
    import udf
    monkeypatch.setenv("YIBAO_SETTINGS", str(SETTINGS))
    udf.reload_settings()
    name = "yibao_udf_pycel_plugin_cli"
    module = types.ModuleType(name)
    for fn_name in udf.__all__:
        if fn_name.isupper():
            fn = getattr(udf, fn_name)
            setattr(module, fn_name.lower(), fn)
            setattr(module, "_xludf_" + fn_name.lower(), fn)
    monkeypatch.setitem(sys.modules, name, module)
    yield name
    udf.reload_settings()


# --formulas: native formulas (processor/ledgers/formulas.py) with the engine's values cached in the cells;
# LibreOffice recalculates every one of them to the normal run's figure, to the fen
ALLOWED_FUNCTIONS = {"MIN", "MAX", "ROUND", "IF", "SUMPRODUCT"}


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
@pytest.mark.parametrize("region", ["赣州", "阳城", "龙岩", "西秀"])
def test_formulas_recalculate_to_the_values_of_a_normal_run(filled, tmp_path, region):
    import re
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import lo_util

    rc, _, err, plain_path = filled[region]
    assert rc == 0, err
    out = tmp_path / "formulas.xlsx"
    rc, stdout, err = run_cli(*fill_args(region, out, "--formulas", "--quiet"))
    assert rc == 0, err
    assert printed(stdout) == printed(filled[region][1])  # the summary does not depend on --formulas

    ws_f = openpyxl.load_workbook(out)["台账"]
    ws_c = openpyxl.load_workbook(out, data_only=True)["台账"]      # the cached values, as written
    ws_v = openpyxl.load_workbook(plain_path)["台账"]
    ws_lo = openpyxl.load_workbook(lo_util.recalculate(out, tmp_path / "lo"), data_only=True)["台账"]
    header = ledger_header(ws_f)
    col = {name: i for i, name in enumerate(header)}
    frows, _, _ = ledger_rows(ws_f)
    vrows, _, _ = ledger_rows(ws_v)
    assert len(frows) == len(vrows)
    counts: dict[str, int] = {}
    bad = []
    for k, (fr, vr) in enumerate(zip(frows, vrows)):
        r = FIRST_ROW + k
        for name, j in col.items():
            cell = fr[j]
            if isinstance(cell, str) and cell.startswith("="):
                used = set(re.findall(r"([A-Z]+)\(", cell))
                assert used <= ALLOWED_FUNCTIONS, (name, used)
                counts[name] = counts.get(name, 0) + 1
                letter = openpyxl.utils.get_column_letter(j + 1)
                cached, recalculated = ws_c[f"{letter}{r}"].value, ws_lo[f"{letter}{r}"].value
                if fen(cached) != fen(vr[j]) or not isinstance(recalculated, (int, float)) \
                        or fen(recalculated) != fen(vr[j]):
                    bad.append((r, name, vr[j], cached, recalculated))
            else:  # a value: the same as the normal run
                assert cell == vr[j], (k, name)
    assert not bad, bad[:10]
    rows = len(frows)
    # every row's 个人自付 and year-to-date are live; 大病 on the kinds it pays on (no 大病 export column)
    assert counts["个人自付"] > rows * 9 // 10 and counts["年度累计医疗救助"] == counts["个人自付"]
    assert counts["大病保险"] > rows // 2
    assert counts.get("医疗救助", 0) >= 20
    assert (counts.get("倾斜救助", 0) > 0) == (region == "赣州")  # only 赣州 computes 倾斜救助
    # the 政策参数 sheet holds what the formulas read, with 文号 and 条款
    ps = [r for r in openpyxl.load_workbook(out)["政策参数"].iter_rows(min_row=4, values_only=True) if r[0]]
    values = [r for r in ps if r[0] != "说明"]
    assert len(values) >= 5 and all(r[6] and r[7] for r in values)
    # and it says which cells stay values, and why
    assert any(r[0] == "说明" and "数值而不是公式" in (r[3] or "") for r in ps)


# ------------------------------------------------------------------------------- 4. files on disk
def test_input_never_modified_and_no_overwrite_without_force(tmp_path):
    src = tmp_path / "in" / "阳城_结算导出.xlsx"
    src.parent.mkdir()
    shutil.copy(SAMPLES / "阳城_结算导出.xlsx", src)
    before = sha256(src)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "台账.xlsx"

    rc, _, err = run_cli(*fill_args("阳城", out, "--quiet", src=src))
    assert rc == 0, err
    assert sha256(src) == before

    # an existing output is kept: non-zero exit, a Chinese message naming --force
    out.write_bytes(b"last month's ledger")
    rc, stdout, err = run_cli(*fill_args("阳城", out, "--quiet", src=src))
    assert rc != 0
    assert "已存在" in err and "--force" in err and chinese(err)
    assert out.read_bytes() == b"last month's ledger"
    assert "完成" not in stdout

    # --force replaces it
    rc, _, err = run_cli(*fill_args("阳城", out, "--quiet", "--force", src=src))
    assert rc == 0, err
    assert zipfile.is_zipfile(out) and out.stat().st_size > 10_000
    assert openpyxl.load_workbook(out, read_only=True).sheetnames[0] == "台账"

    # even with --force, the output may not be the input itself
    rc, _, err = run_cli(*fill_args("阳城", src, "--quiet", "--force", src=src))
    assert rc != 0 and "输入文件" in err and chinese(err)
    assert sha256(src) == before

    assert sorted(p.name for p in out_dir.iterdir()) == ["台账.xlsx"]   # no temp files left
    assert sorted(p.name for p in src.parent.iterdir()) == ["阳城_结算导出.xlsx"]


def test_interrupted_write_leaves_no_temp_file_and_keeps_the_old_ledger(tmp_path, monkeypatch):
    """Ctrl-C while the rows are written: exit 130, the old ledger untouched, nothing left behind."""
    from processor.ledgers import benefit

    real = benefit.ledger_rows

    def interrupted(outcome, ctx):
        for i, row in enumerate(real(outcome, ctx)):
            if i == 700:
                raise KeyboardInterrupt
            yield row

    monkeypatch.setattr(benefit, "ledger_rows", interrupted)
    out = tmp_path / "台账.xlsx"
    out.write_bytes(b"old")
    rc, stdout, err = run_cli(*fill_args("阳城", out, "--quiet", "--force"))
    assert rc == 130 and "已中断" in err
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["台账.xlsx"]


def test_output_file_is_readable_like_any_new_file(tmp_path):
    """The atomic writer's temp file is 0600; the ledger gets the umask's mode."""
    if os.name != "posix":
        pytest.skip("POSIX modes")
    out = tmp_path / "台账.xlsx"
    umask = os.umask(0o022)
    try:
        rc, _, err = run_cli(*fill_args("阳城", out, "--quiet"))
    finally:
        os.umask(umask)
    assert rc == 0, err
    assert out.stat().st_mode & 0o777 == 0o644


# ---------------------------------------------------------------------------- 5. unreadable inputs
def _fails(argv, *words) -> str:
    rc, stdout, err = run_cli(*argv)
    assert rc == 2, (stdout, err)
    last = err.strip().splitlines()[-1]  # after the "读取 …" progress line, if any
    assert last.startswith("错误：") and chinese(last) and "Traceback" not in err, err
    for w in words:
        assert w in err, (w, err)
    return err


def test_legacy_xls_is_refused(tmp_path):
    src = tmp_path / "结算导出.xls"
    src.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)  # an OLE2 (BIFF) header
    out = tmp_path / "o.xlsx"
    _fails(fill_args("阳城", out, src=src), ".xls", "另存为")
    assert not out.exists()


def test_missing_input(tmp_path):
    out = tmp_path / "o.xlsx"
    _fails(fill_args("阳城", out, src=tmp_path / "没有这个文件.xlsx"), "找不到输入文件")
    assert not out.exists()


@pytest.mark.parametrize("content", [b"\xe7\xbb\x93\xe7\xae\x97ID,\xe5\xa7\x93\xe5\x90\x8d\n1,2\n", b"",
                                     b"PK\x03\x04 truncated"])
def test_xlsx_that_is_not_a_zip(tmp_path, content):
    src = tmp_path / "结算导出.xlsx"
    src.write_bytes(content)
    out = tmp_path / "o.xlsx"
    _fails(fill_args("阳城", out, src=src), "xlsx")
    assert not out.exists()


def test_zip_that_is_not_a_workbook(tmp_path):
    src = tmp_path / "结算导出.xlsx"
    with zipfile.ZipFile(src, "w") as zf:
        zf.writestr("readme.txt", "not a workbook")
    _fails(fill_args("阳城", tmp_path / "o.xlsx", src=src), "xlsx")


def test_gbk_csv_gives_the_same_ledger_as_the_xlsx(filled, tmp_path):
    src = tmp_path / "阳城_结算导出.csv"
    export_to_csv(SAMPLES / "阳城_结算导出.xlsx", src, "gbk")
    with pytest.raises(UnicodeDecodeError):
        src.read_bytes().decode("utf-8")  # really GBK, not UTF-8 by accident
    out = tmp_path / "o.xlsx"
    rc, stdout, err = run_cli(*fill_args("阳城", out, "--quiet", src=src))
    assert rc == 0, err
    assert printed(stdout) == printed(filled["阳城"][1])
    rows_csv, _, _ = ledger_rows(openpyxl.load_workbook(out)["台账"])
    rows_xlsx, _, _ = ledger_rows(openpyxl.load_workbook(filled["阳城"][3])["台账"])
    assert rows_csv == rows_xlsx


def test_csv_in_an_unknown_encoding_fails_clearly(tmp_path):
    src = tmp_path / "结算导出.csv"
    export_to_csv(SAMPLES / "阳城_结算导出.xlsx", src, "utf-16")
    out = tmp_path / "o.xlsx"
    _fails(fill_args("阳城", out, src=src), "编码", "UTF-8")
    assert not out.exists()


@pytest.mark.parametrize("region,key,label", [("阳城", "critical_deductible", "大病保险起付线"),
                                              ("西秀", "critical_deductible", "大病保险起付线")])
def test_missing_setting_is_named(tmp_path, region, key, label):
    empty = tmp_path / "settings.toml"
    empty.write_text("", "utf-8")
    out = tmp_path / "o.xlsx"
    err = _fails(fill_args(region, out, "--quiet", settings=empty), "缺少本地设置", key, label, region)
    assert str(empty) in err  # where to add it
    assert not out.exists()


def test_bad_files_around_the_input_give_messages_not_tracebacks(tmp_path):
    """Settings, --previous, --template and --out that cannot be used: exit 2 and a Chinese message."""
    sample = SAMPLES / "阳城_结算导出.xlsx"
    not_a_book = tmp_path / "坏.xlsx"
    with zipfile.ZipFile(not_a_book, "w") as zf:
        zf.writestr("a.txt", "x")
    gbk_settings = tmp_path / "gbk.toml"
    gbk_settings.write_bytes(SETTINGS.read_text("utf-8").encode("gb18030"))
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("x = [", "utf-8")
    a_dir = tmp_path / "文件夹.xlsx"
    a_dir.mkdir()
    out = tmp_path / "o.xlsx"
    cases = [
        (fill_args("阳城", out, settings=tmp_path), "设置文件"),
        (fill_args("阳城", out, settings=gbk_settings), "UTF-8"),
        (fill_args("阳城", out, settings=bad_toml), "设置文件格式错误"),
        (fill_args("阳城", out, settings=tmp_path / "无.toml"), "找不到设置文件"),
        (fill_args("阳城", out, "--previous", not_a_book), "上月台账"),
        (fill_args("阳城", out, "--previous", sample), "上月台账"),
        (fill_args("阳城", out, "--template", not_a_book), "模板"),
        (fill_args("阳城", a_dir, "--force"), "文件夹"),
        (fill_args("阳城", tmp_path / "o.xls"), ".xlsx"),
        (fill_args("阳城", out, src=a_dir), "输入文件"),
        (["fill", "某台账", sample, "--region", "阳城", "--out", out], "未知台账"),
        (fill_args("阳城", out)[:3] + ["--region", "火星", "--out", out], "未知地区"),
        (["template", "check", not_a_book], "模板"),
    ]
    for argv, word in cases:
        _fails(argv, word)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["坏.xlsx", "gbk.toml", "bad.toml", "文件夹.xlsx"])
    assert not any(a_dir.iterdir())


def test_unreadable_input_as_a_process(tmp_path):
    src = tmp_path / "x.xlsx"
    src.write_text("姓名,证件号码\n", "utf-8")
    proc = run_process(*fill_args("阳城", tmp_path / "o.xlsx", src=src))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert proc.stderr.strip().splitlines()[-1].startswith("错误：不是有效的 xlsx 文件")


# ------------------------------------------------------------------------- 6. a bureau's own template
BUREAU_HEADERS = ["序号", "姓名", "身份证号", "人员类别", "结算日期", "医疗费总额（元）", "医疗救助", "大病保险", "备注"]


def bureau_template(path: Path, styled: int | None = None) -> Path:
    """Title row, a header row using export aliases, a bordered prototype row (first ``styled`` columns),
    a 合计 row summing the prototype row."""
    from openpyxl.styles import Border, Side
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "救助发放明细"
    ws["A1"] = "某县医疗救助资金发放明细表"
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(BUREAU_HEADERS))
    ws.append(BUREAU_HEADERS)
    for i, h in enumerate(BUREAU_HEADERS[: styled or len(BUREAU_HEADERS)], 1):
        cell = ws.cell(row=3, column=i)
        cell.border = border
        cell.number_format = ("#,##0.00" if h in ("医疗费总额（元）", "医疗救助", "大病保险")
                              else "yyyy-mm-dd" if h == "结算日期" else "General")
    ws["A4"] = "合计"
    for letter in "FGH":
        ws[f"{letter}4"] = f"=SUM({letter}3:{letter}3)"
    wb.save(path)
    return path


def test_template_check_prints_the_mapping(tmp_path):
    tpl = bureau_template(tmp_path / "my.xlsx")
    rc, out, err = run_cli("template", "check", tpl)
    assert rc == 0, err
    assert "表头在第 2 行，数据从第 3 行起" in out
    assert "C列 身份证号：取自结算导出（证件号码）" in out
    assert "F列 医疗费总额（元）：取自结算导出（医疗费总额）" in out
    assert "G列 医疗救助：本工具计算/填写（医疗救助）" in out
    assert "H列 大病保险：本工具计算/填写（大病保险）" in out
    assert "I列 备注：不认识，留空" in out
    assert "识别 8 列" in out and "不认识的表头：备注" in out
    # what fill adds beside the bureau's layout
    assert "写出时本工具补上：工作表 异常、政策依据、汇总、核对、年度累计、政策参数" in out and "模板可用" in out


@pytest.mark.parametrize("styled", [None, 8])  # 8: the unknown 备注 column has no cell in the prototype row
def test_fill_into_a_bureau_template(filled, tmp_path, styled):
    tpl = bureau_template(tmp_path / "my.xlsx", styled)
    before = sha256(tpl)
    out = tmp_path / "filled.xlsx"
    rc, stdout, err = run_cli(*fill_args("赣州", out, "--quiet", "--template", tpl))
    assert rc == 0, err
    assert sha256(tpl) == before
    (n, a, b, _), totals = printed(stdout)
    assert printed(stdout) == printed(filled["赣州"][1])
    # the standard sheets are written beside the bureau's own: the rejections are in 异常
    assert "异常行见工作表「异常」" in stdout

    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["救助发放明细", "异常", "政策依据", "汇总", "核对", "年度累计", "政策参数"]
    ws = wb.active
    assert ws["A1"].value == "某县医疗救助资金发放明细表"
    assert [c.value for c in ws[2]] == BUREAU_HEADERS
    data = list(ws.iter_rows(min_row=3, max_row=2 + a))
    assert ws.cell(3 + a, 1).value == "合计"
    assert ws.cell(3 + a, 7).value == f"=SUM(G3:G{2 + a})"

    std = openpyxl.load_workbook(filled["赣州"][3])["台账"]
    scol = {name: i for i, name in enumerate(ledger_header(std))}
    srows, _, _ = ledger_rows(std)
    for row, s in zip(data, srows):
        seq, name, idno, cat, when, total, assist, critical, remark = (c.value for c in row[:9])
        assert seq == s[scol["序号"]] and name == s[scol["姓名"]]
        assert isinstance(idno, str) and row[2].data_type == "s" and re.fullmatch(r"\d{17}[\dX]", idno)
        assert idno == s[scol["证件号码"]]
        assert cat == s[scol["人员类别"]]
        assert when == s[scol["结算日期"]]
        for v, key in ((total, "医疗费总额"), (assist, "医疗救助"), (critical, "大病保险")):
            assert isinstance(v, (int, float)) and fen(v) == fen(s[scol[key]])
        assert remark is None
    assert sum(fen(r[6].value) for r in data) == totals["医疗救助"]
    assert ws.max_column == len(BUREAU_HEADERS)


def test_bureau_template_whose_prototype_row_stops_short(tmp_path):
    tpl = bureau_template(tmp_path / "my.xlsx", styled=5)  # F (医疗费总额) onwards unstyled
    out = tmp_path / "filled.xlsx"
    _fails(fill_args("赣州", out, "--quiet", "--template", tpl), "样式行", "F列")
    assert not out.exists()
    # template check says the same before any fill is tried (it used to pass such a template)
    _fails(["template", "check", str(tpl)], "样式行", "F列")


def test_bureau_template_without_totals_dates_or_standard_sheets_carries_the_year(filled, tmp_path):
    """A bureau's template with no 合计 row and a General-format date column: the output gets a 合计 row
    summing the money columns, dates as dates, and the standard sheets — so next month's --previous reads
    the year from it like from our own ledger."""
    from openpyxl.styles import Border, Side
    thin = Side(style="thin")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "发放表"
    ws.append(["结算ID", "姓名", "身份证号", "人员类别", "医疗类别", "结算日期", "符合范围金额", "统筹基金支付",
               "大病保险", "医疗救助", "个人自付"])
    for j in range(1, 12):
        ws.cell(2, j).border = Border(left=thin, right=thin, top=thin, bottom=thin)  # General formats
    tpl = tmp_path / "bureau.xlsx"
    wb.save(tpl)
    out = tmp_path / "01.xlsx"
    rc, stdout, err = run_cli(*fill_args("赣州", out, "--quiet", "--template", tpl))
    assert rc == 0, err
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "发放表" and "年度累计" in wb.sheetnames
    ws = wb["发放表"]
    (n, a, b, _), totals = printed(stdout)
    assert ws.cell(2 + a, 1).value == "合计" and ws.cell(2 + a, 10).value == f"=SUMPRODUCT(J2:J{1 + a}+0)"
    assert isinstance(ws.cell(2, 6).value, dt.datetime) and ws.cell(2, 6).number_format == "yyyy-mm-dd"
    assert sum(fen(ws.cell(r, 10).value) for r in range(2, 2 + a)) == totals["医疗救助"]


# ------------------------------------------------------------------------------ 7. policy / explain
def test_policy_show_longyan_critical_bands():
    rc, out, err = run_cli("policy", "show", "龙岩")
    assert rc == 0, err
    assert "龙政办规〔2022〕14号" in out
    lines = {ln.split(" = ")[0].strip(): ln for ln in out.splitlines() if " = " in ln}
    ded = lines["大病倾斜起付线"]
    assert "6,500.00 元" in ded and "〔龙政办规〔2022〕14号 二(三)〕" in ded
    bands = lines["大病倾斜分段比例"]
    assert re.search(r"起付线至 100,000\.00 元 65%；至 150,000\.00 元 70%；以上 75%", bands), bands
    assert "〔龙政办规〔2022〕14号 二(三)〕" in bands


def test_policy_list_names_the_four_regions():
    rc, out, err = run_cli("policy", "list")
    assert rc == 0, err
    regions = [ln.split("（")[0] for ln in out.splitlines() if ln and not ln.startswith(" ")]
    assert sorted(regions) == sorted(["赣州", "龙岩", "西秀", "阳城"])
    for doc in ("赣市医保字〔2021〕37号", "龙政办规〔2022〕14号", "区医保发〔2021〕40号", "阳医保发〔2022〕2号"):
        assert doc in out


def test_policy_check_with_the_example_settings():
    rc, out, err = run_cli("policy", "check", "--settings", SETTINGS)
    assert rc == 0, (out, err)
    assert "问题 0 个" in out and "示例数字" in out


@pytest.mark.parametrize("with_settings", [False, True])
def test_explain_assist_ganzhou_dibao(with_settings):
    argv = ["explain", "assist", "--region", "赣州", "--category", "低保户", "--amount", "10000",
            "--date", "2022-06-30"] + (["--settings", SETTINGS] if with_settings else [])
    rc, out, err = run_cli(*argv)
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == "适用身份：低保对象"
    assert any("10,000.00 × 75% = 7,500.00 元" in ln and "赣市医保字〔2021〕37号 二(三)3(1)②" in ln for ln in lines), out
    assert re.match(r" 1\. ", lines[1])
    assert lines[-1] == "结果：7,500.00 元"  # with the thousands separator the steps use (issue 10)


# --------------------------------------------------------------------------- 8. text stays text
NASTY = {"姓名": "=1+1", "村（居）": "@SUM(A1)", "就诊医疗机构名称": "+cmd|' /C calc'!A0", "镇街": "-2+3"}


def _nasty_export(path: Path, n: int = 6) -> None:
    """The first ``n`` settlements of the 阳城 sample, cells that look like formulas stored as text,
    plus one rejected row whose name is a formula too."""
    wb = openpyxl.load_workbook(SAMPLES / "阳城_结算导出.xlsx", read_only=True)
    try:
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()
    header_i = next(i for i, r in enumerate(rows) if r and r[0] == "结算ID")
    header = list(rows[header_i])
    body = [list(r) for r in rows[header_i + 1: header_i + 1 + n]]
    for key, value in NASTY.items():
        body[0][header.index(key)] = value
    bad = list(body[1])
    bad[0] = "JS-BAD"
    bad[header.index("姓名")] = "=HYPERLINK(\"http://x\")"
    bad[header.index("符合范围金额")] = "一千二"
    body.append(bad)
    out = openpyxl.Workbook()
    ws = out.active
    ws.append(header)
    for r in body:
        ws.append(r)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.data_type == "f":
                cell.data_type = "s"  # openpyxl took "=…" for a formula: store it as the text it is
    out.save(path)


def _sheet_xml(path: Path, index: int) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read(f"xl/worksheets/sheet{index}.xml").decode("utf-8")


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_formula_like_text_is_written_as_text(tmp_path, kind):
    src = tmp_path / f"export.{kind}"
    if kind == "xlsx":
        _nasty_export(src)
        raw = openpyxl.load_workbook(src)["Sheet"]
        assert raw["B2"].data_type == "s" and raw["B2"].value == "=1+1"  # the input holds text
    else:
        xlsx = tmp_path / "tmp.xlsx"
        _nasty_export(xlsx)
        export_to_csv(xlsx, src, "utf-8-sig")
        xlsx.unlink()
    out = tmp_path / "o.xlsx"
    rc, stdout, err = run_cli(*fill_args("阳城", out, "--quiet", src=src))
    assert rc == 0, err
    (n, a, b, _), _ = printed(stdout)
    assert (n, a, b) == (7, 6, 1)

    wb = openpyxl.load_workbook(out)
    ws = wb["台账"]
    col = {name: i + 1 for i, name in enumerate(ledger_header(ws))}
    found = {}
    for r in range(FIRST_ROW, FIRST_ROW + a):
        if ws.cell(r, col["姓名"]).value == "=1+1":
            found = {key: ws.cell(r, col[key]) for key in ("姓名", "村（居）", "就诊医疗机构名称", "镇（街）")}
    assert found, "row with the formula-like name not written"
    assert {k: c.value for k, c in found.items()} == {
        "姓名": "=1+1", "村（居）": "@SUM(A1)", "就诊医疗机构名称": "+cmd|' /C calc'!A0", "镇（街）": "-2+3"}
    assert all(c.data_type == "s" for c in found.values())
    rejected = [r for r in wb["异常"].iter_rows(min_row=SHEET_ROWS["异常"][0]) if r[1].value == "JS-BAD"]
    assert len(rejected) == 1 and rejected[0][2].value == '=HYPERLINK("http://x")' and rejected[0][2].data_type == "s"

    # in the file itself: the only formulas are the totals row's nine SUMPRODUCTs (医疗费总额 … 个人自付, N–V),
    # the texts are inline strings
    ledger_xml = _sheet_xml(out, 1)
    assert re.findall(r"<f>(.*?)</f>", ledger_xml) == [
        f"SUMPRODUCT({x}{FIRST_ROW}:{x}{FIRST_ROW + a - 1}+0)" for x in "NOPQRSTUV"]
    assert "<t>=1+1</t>" in ledger_xml and "<t>@SUM(A1)</t>" in ledger_xml
    assert "<f>" not in _sheet_xml(out, 2)
