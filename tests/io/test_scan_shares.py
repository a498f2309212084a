"""The safety scan of a big worksheet shared by two processes (safety._SheetScan with ``share``): each inflates
the part whole and runs the checks on every other piece; joined, what they found is what one scan of every
piece finds — the same refusal, the same bounds and flags, the same merged ranges in the same order — on
random XML fragments cut into random chunks (long tags, odd strings, error cells, formulas, merged ranges
past the limit, prefixed tags)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from processor.io import safety
from processor.io.safety import _SheetScan, _Suspicious

sys.path.insert(0, str(Path(__file__).resolve().parent))  # test_hostile_files' rewrite

FRAGMENTS = [b'<row r="1">', b"</row>", b'<c r="A1">', b'<c r="AB1234567" s="1">', b'<c r="ABCD9">', b"<c>", b"<c/>",
             b'<c t="e">', b'<c  r="B2">', b"<v>1</v>", b"<v>" + b"x" * 40 + b"</v>", b"<v>unclosed", b"</c>",
             b"<is><t>x</t></is>", b'<is><t xml:space="preserve"> y </t></is>', b"<is><r><t>rich</t></r></is>",
             b"<f>SUM(A1)</f>", b'<mergeCell ref="A1:B2"/>', b'<mergeCell ref="C3:D4"/>', b"<mergeCell ref=x/>",
             b'<dimension ref="A1:C3"/>', b"<sheetData>", b"</sheetData>", b" ", b"plain text", b"x:c ", b"<x:c r=\"A1\">",
             b"y" * 90, b"<si><t>s</t></si>", b"<si x>",
             # references for the extent: "$" among the letters, either case, leading zeros, out of order
             b'<c r="$A$12">', b'<c r="a$b7">', b'<c r="zz0099">', b'<c r="C2000000">', b'<c r="B10">', b'<c r="XFE3">',
             b'<c r="A0">', b'<c r="A12x">', b'<c r="$1">']


def scan(chunks: list[bytes], shared: bool, share=(0, 1)):
    s = _SheetScan(shared, share)
    for chunk in chunks:
        s.feed(chunk)
    s.feed(b"", final=True)
    return s


def cut(data: bytes, sizes: list[int]) -> list[bytes]:
    """``data`` in chunks of the given sizes, the rest as the last chunk."""
    chunks, at = [], 0
    for size in sizes:
        chunks.append(data[at:at + size])
        at += size
    return chunks + [data[at:]]


def outcome(run):
    try:
        return run()
    except _Suspicious:
        return "refused"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.sampled_from(FRAGMENTS), max_size=120), cuts=st.lists(st.integers(1, 200), max_size=60),
       shared=st.booleans(), n=st.sampled_from([2, 3]))
def test_shares_joined_find_what_one_scan_finds(monkeypatch, parts, cuts, shared, n):
    # the same small limits for every example: long runs without '<' are refused, pieces are many, and
    # merged ranges reach the limit
    monkeypatch.setattr(safety, "MAX_TAG_BYTES", 64)
    monkeypatch.setattr(safety, "MAX_MERGES", 3)
    data = b"".join(parts)
    chunks = cut(data, cuts)

    one = outcome(lambda: scan(chunks, shared))

    def shares():
        first = scan(chunks, shared, (0, n))
        for k in range(1, n):
            first.join(scan(chunks, shared, (k, n)).found())
        return first
    joined = outcome(shares)
    if one == "refused" or joined == "refused":
        assert one == joined
        return
    for name in ("dimension", "in_data", "max_row", "max_col", "cells", "untrusted", "has_errors", "needs_exact", "merges"):
        assert getattr(joined, name) == getattr(one, name), name
    if not one.needs_exact:  # else the exact pass decides formulas (and merged ranges) itself
        assert joined.has_formulas == one.has_formulas
    assert joined.bounds() == one.bounds()


def test_a_share_of_pieces_is_every_nth_piece():
    data = [b'<row r="1"><c r="A1"><v>1</v></c></row>'] * 6
    assert scan(data, False, (1, 2)).pieces == scan(data, False).pieces
    with pytest.raises(_Suspicious):  # a long tag is refused by every share: the cutting runs on every piece
        scan([b"<c " + b"y" * (safety.MAX_TAG_BYTES + 1)], False, (1, 2))


# --- the reader process's share, in a real second process ------------------------------------------------

def _workbook(tmp_path, name: str, middle: str = "", tail: str = "") -> Path:
    """A workbook whose sheet is about 3.5 MB of XML (four pieces of the scan, so both processes have some),
    ``middle`` put in a row of the second piece and ``tail`` after <sheetData> (merged ranges)."""
    import openpyxl

    from test_hostile_files import rewrite
    base = tmp_path / "base.xlsx"
    if not base.exists():
        wb = openpyxl.Workbook()
        wb.active.title = "结算明细"
        wb.active.append(["结算ID"])
        wb.save(base)
    rows = [f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>S{r:07d}</t></is></c>'
            + "".join(f'<c r="{col}{r}"><v>{r}.25</v></c>' for col in "BCDEFGHIJKLMNOPQRS") + "</row>"
            for r in range(2, 9_000)]
    odd = int(1.5 * 2**20 / len(rows[0]))  # a row in the scan's second piece: the reader process's share
    rows[odd] = rows[odd].replace("</row>", f"{middle}</row>")
    xml = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
           'spreadsheetml/2006/main"><dimension ref="A1:S9000"/><sheetData><row r="1"><c r="A1" t="inlineStr">'
           '<is><t>结算ID</t></is></c></row>' + "".join(rows) + f"</sheetData>{tail}</worksheet>")
    return rewrite(base, tmp_path / f"{name}.xlsx", {"xl/worksheets/sheet1.xml": xml.encode()})


CASES = {
    "plain": {},
    "odd string (the exact pass)": {"middle": '<c r="T4002" t="inlineStr"><is><r><t>富</t></r></is></c>'},
    "error cell": {"middle": '<c r="T4002" t="e"><v>#N/A</v></c>'},
    "formula": {"middle": '<c r="T4002"><f>1+1</f><v>2</v></c>'},
    "merged ranges": {"tail": '<mergeCells count="2"><mergeCell ref="A2:A3"/><mergeCell ref="B5:C5"/></mergeCells>'},
    "a cell far out (grid limit)": {"middle": '<c r="XFD1048576"><v>1</v></c>'},
    "a tag without end": {"middle": "<c " + "y" * (4 * 1024 * 1024 + 10)},
}


def _check(path, share=None):
    from processor.errors import FileError
    try:
        report = safety.check_xlsx(path, streamed=True, share=share)
    except FileError as err:
        return ("refused", err.message)
    return (sorted(report.errors), sorted(report.formulas), report.merges)


def _check_shared(path, monkeypatch):
    """_check with the reader process started early and scanning its share (conftest's ``started`` keeps it)."""
    from processor.io import sheet_process
    monkeypatch.setattr(sheet_process, "MIN_BYTES", 1 << 20)
    early = sheet_process.Early(path)
    try:
        return _check(path, early.share)
    finally:
        early.stop()


@pytest.mark.parametrize("case", list(CASES))
def test_the_reader_process_scans_half_of_a_big_sheet_and_the_scan_is_the_same(tmp_path, monkeypatch, started, case):
    path = _workbook(tmp_path, "case", **CASES[case])
    assert _check_shared(path, monkeypatch) == _check(path)
    assert len(started) == 1 and started[0].args[-3:] == ["--scan", str(path), "xl/worksheets/sheet1.xml"]
    assert started[0].wait(5) is not None  # stopped, not left waiting


def test_a_reader_that_dies_before_its_share_leaves_the_whole_scan_to_this_process(tmp_path, monkeypatch):
    from processor.io import child, sheet_process
    path = _workbook(tmp_path, "odd", **CASES["odd string (the exact pass)"])
    monkeypatch.setattr(sheet_process, "MIN_BYTES", 1 << 20)
    monkeypatch.setattr(child, "command", lambda module, args: [sys.executable, "-c", "pass"])
    early = sheet_process.Early(path)
    assert _check(path, early.share) == _check(path)
    assert early.proc is None  # stopped when it said nothing


def test_a_sheet_that_points_at_the_shared_strings_part_is_shared_as_check_xlsx_judges_it(tmp_path):
    """A hostile workbook may name xl/sharedStrings.xml as a sheet: its share is scanned with the shared-string
    checks, as check_xlsx scans the rest of it (else an over-long string in the other process's pieces could
    pass unnoticed)."""
    import zipfile
    long_si = "<si><t>" + "长" * 40_000 + "</t></si>"
    xml = ('<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           + "<si><t>x</t></si>" * 80_000 + long_si + "<si><t>y</t></si>" * 40_000 + "</sst>")
    path = tmp_path / "sst.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/sharedStrings.xml", xml)
    odd_pieces = safety.scan_share(path, "xl/sharedStrings.xml", 1, 2)
    even_pieces = safety.scan_share(path, "xl/sharedStrings.xml", 0, 2)
    assert odd_pieces["needs_exact"] or even_pieces["needs_exact"]  # the over-long <si> sends it to the exact pass


def test_a_sheet_entered_twice_in_the_zip_is_shared_only_where_the_reader_scans_it(tmp_path, monkeypatch, started):
    """A hostile zip may hold the sheet's name twice: the reader process opens the last entry by that name,
    so only that entry is shared; the other is scanned whole here (an error cell in its odd pieces is found,
    and nothing waits on a second answer)."""
    import warnings
    import zipfile
    first = _workbook(tmp_path, "first", **CASES["error cell"])
    second = _workbook(tmp_path, "second")
    path = tmp_path / "twice.xlsx"
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(second) as b, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name
        for info in a.infolist():
            out.writestr(info.filename, a.read(info.filename))
        out.writestr("xl/worksheets/sheet1.xml", b.read("xl/worksheets/sheet1.xml"))
    alone = _check(path)
    assert _check_shared(path, monkeypatch) == alone
    assert alone[0] == ["结算明细"]  # the error cell of the first entry, found either way


def extent_by_hand(data: bytes) -> tuple[int, int]:
    """Every `<c r="…"` read the long way: the run of letters and "$", then the digits. A column counts when
    a digit follows the letters; a row when the digits (leading zeros dropped, not all zero) end at the
    quote — as the readers read them, and more (a reference they refuse still counts)."""
    max_row = max_col = 0
    at = data.find(b'<c r="')
    while at >= 0:
        i = j = at + len(b'<c r="')
        while i < len(data) and data[i:i + 1].isalpha() and data[i] < 128 or data[i:i + 1] == b"$":
            i += 1
        letters = data[j:i].replace(b"$", b"")
        k = i
        while k < len(data) and data[k:k + 1].isdigit():
            k += 1
        if i > j and k > i:
            col = 0
            for ch in letters.upper():
                col = col * 26 + ch - 64
            max_col = max(max_col, col if len(letters) <= 4 else 26**5)
            if data[k:k + 1] == b'"' and int(data[i:k]) > 0:
                max_row = max(max_row, int(data[i:k]))
        at = data.find(b'<c r="', at + 1)
    return max_row, max_col


@settings(max_examples=400, deadline=None)
@given(parts=st.lists(st.sampled_from(FRAGMENTS), max_size=120), cuts=st.lists(st.integers(1, 200), max_size=60),
       shared=st.booleans(), n=st.sampled_from([1, 2, 3]))
def test_the_extent_is_the_largest_reference_however_the_sheet_is_cut(parts, cuts, shared, n):
    # the scan takes each piece's last cell for its largest and searches for one beyond it; by hand, every
    # reference is read. Refused (a long run without '<') is the other outcome; MAX_TAG_BYTES as written.
    data = b"".join(parts)
    chunks = cut(data, cuts)
    first = scan(chunks, shared, (0, n))
    for k in range(1, n):
        first.join(scan(chunks, shared, (k, n)).found())
    assert first.bounds() == extent_by_hand(data)


def test_the_extent_of_rows_in_order_and_out_of_order():
    rows = [b'<row r="%d"><c r="A%d"><v>1</v></c><c r="BH%d"><v>2</v></c></row>' % (r, r, r) for r in range(1, 3001)]
    assert scan([b"".join(rows)], False).bounds() == (3000, 60)  # BH is column 60
    # a cell far down and far right, written early, in one piece with thousands of smaller ones
    rows.insert(5, b'<row r="6"><c r="AAB99999"><v>1</v></c></row>')  # AAB: A=1, A=1, B=2 → (1·26 + 1)·26 + 2 = 704
    assert scan([b"".join(rows)], False).bounds() == (99999, 704)
