"""The fast path of the streaming reader (rows cut from the text, read with regular expressions)
against the lxml path: the same rows, values and types, and the same FileError when either refuses.

The sheets are raw XML: the forms Excel and other writers use, and odd ones (entities, character
references, CRLF, attribute orders, style-only cells, formulas, rich text, sparse and out-of-order
rows and cells, prefixed namespaces, comments, bytes that are not UTF-8) that the fast path must
hand to lxml or read exactly as lxml does.
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from processor.errors import FileError
from processor.io import xlsx_stream
from processor.io.xlsx_stream import iter_sheet
from test_xlsx_stream import NS, build

STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
STRINGS = ["<t>共享</t>", '<t xml:space="preserve"> a </t>', "<r><t>低保</t></r><r><t>对象</t></r>", "<t>x</t>"]
STYLES = [0, 14, 22, "yyyy-mm-dd", 46, 2]


def with_part(path: Path, part: bytes, to: Path | None = None) -> Path:
    """The workbook at ``path`` with its first sheet's part replaced by ``part`` (written to ``to``)."""
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    parts["xl/worksheets/s1.xml"] = part
    path = to or path
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def read(path: Path, fast: bool, monkeypatch, shapes: bool = True) -> tuple[list, str | None]:
    """(rows with the type of every value, the FileError message or None). ``shapes``: the fast path reads
    rows written alike by their shape (xlsx_stream._Shape)."""
    monkeypatch.setattr(xlsx_stream, "FAST", fast)
    monkeypatch.setattr(xlsx_stream, "SHAPES", shapes)
    rows = []
    try:
        for n, row in iter_sheet(path, "S"):
            rows.append((n, [(type(v).__name__, v) for v in row]))
    except FileError as e:
        return rows, str(e)
    return rows, None


def assert_paths_agree(path: Path, monkeypatch) -> tuple[list, str | None]:
    """lxml alone, the fast path cell by cell, and the fast path with row shapes read the same (the fast
    path's STATS stay those of the last read, with shapes)."""
    lxml_rows, lxml_error = read(path, False, monkeypatch)
    cell_rows, cell_error = read(path, True, monkeypatch, shapes=False)
    fast_rows, fast_error = read(path, True, monkeypatch)
    assert fast_error == cell_error == lxml_error
    if lxml_error is None:
        assert fast_rows == cell_rows == lxml_rows
    else:
        assert fast_rows == cell_rows  # the same rows before the error
    return fast_rows, fast_error


# --- the strategies ------------------------------------------------------------------------------

def rare(draw, n: int) -> bool:
    """True about once in n + 1 draws (hypothesis favours 0 and the ends of a range, so not those)."""
    return draw(st.integers(0, n)) == n // 2

TEXT_PIECES = st.sampled_from([
    "a", "张三", " ", "\t", "\n", "\r\n", "\r", "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#20013;",
    "&#x4E2D;", "&#13;", "&#9;", "&#x1F600;", "1", "0", ".5", "E3", "-", "_x0041_", "_x000D_", ">", "'", '"',
    "2022-05-01", "T08:30:00", "44682", "#N/A", "😀", "\u3000", "<![CDATA[ c ]]>", "<!--n-->", "<?pi x?>",
])
BAD_PIECES = st.sampled_from(["]]>", "&#1;", "&#xD800;", "&bogus;", "& ", "\x01", "\ufffe", "\udcff", "<", "&#0;"])


@st.composite
def texts(draw) -> str:
    pieces = draw(st.lists(TEXT_PIECES, max_size=5))
    if rare(draw, 40):  # now and then something lxml refuses
        pieces.insert(draw(st.integers(0, len(pieces))), draw(BAD_PIECES))
    return "".join(pieces)


text = texts()
number = st.sampled_from(["1", "1.5", "-0", "1E3", " 3 ", "abc", "44682", "44682.5", "0.25", "", "12345678901234567890",
                          "&#49;", "1\r\n"])


@st.composite
def cells(draw, row: int | None):
    """One ``<c>`` element's text, with its column letters when it has an r."""
    col = draw(st.sampled_from(["A", "B", "C", "D", "E", "Z", "AA", "XFD", "a"]))
    ref_row = row if row is not None else 1
    where = draw(st.sampled_from(["none", "later", "earlier", "dollar", "bad"])) if rare(draw, 20) else "same"
    ref = {"same": f"{col}{ref_row}", "later": f"{col}{ref_row + 2}", "earlier": f"{col}{max(ref_row - 1, 1)}",
           "dollar": f"${col}${ref_row}", "bad": f"{col}0", "none": None}[where]
    kind = draw(st.sampled_from(["e", "formula", "rich", "inline_v"] if rare(draw, 6) else
                                ["n", "s", "inline", "b", "str", "d", "style", "n_explicit"]))
    attrs = []
    if ref is not None:
        attrs.append(("r", ref))
    if draw(st.booleans()):
        attrs.append(("s", draw(st.sampled_from(["0", "1", "2", "3", "4", "5", "9", "x"]))))
    t = {"s": "s", "inline": "inlineStr", "rich": "inlineStr", "inline_v": "inlineStr", "b": "b", "str": "str",
         "d": "d", "e": "e", "n_explicit": "n"}.get(kind)
    if t is not None:
        attrs.append(("t", t))
    if rare(draw, 9):
        attrs.append(("cm", "1"))
    if len(attrs) > 1 and draw(st.booleans()):
        attrs = [attrs[0]] + list(reversed(attrs[1:]))  # s/t in either order
    if rare(draw, 15):
        attrs.reverse()  # r not first
    quote = "'" if rare(draw, 15) else '"'
    sep = draw(st.sampled_from([" "] * 15 + ["  ", "\n"]))
    start = "<c" + "".join(f"{sep}{k}={quote}{v}{quote}" for k, v in attrs) + (" " if rare(draw, 4) else "")
    v = draw(number) if kind in ("n", "n_explicit") else draw(text)
    if kind == "s":
        v = draw(st.sampled_from(["4", "-1", "", "x", " 1 "] if rare(draw, 12) else ["0", "1", "2", "3"]))
    elif kind == "b":
        v = draw(st.sampled_from(["0", "1", "", "true"]))
    preserve = ' xml:space="preserve"' if draw(st.booleans()) else ""
    body = {
        "inline": f"<is><t{preserve}>{v}</t></is>",
        "rich": f"<is><r><t>{v}</t></r><r><rPr><b/></rPr><t{preserve}>{v}</t></r><rPh sb=\"0\" eb=\"1\"><t>カ</t></rPh></is>",
        "inline_v": f"<v>{v}</v>",
        "style": "",
        "formula": f"<f>A1+1</f><v>{v}</v>" if draw(st.booleans()) else "<f>A1</f>",
        "e": f"<v>{v}</v>" if draw(st.booleans()) else "",
    }.get(kind, f"<v>{v}</v>")
    form = draw(st.integers(0, 5))
    if kind in ("inline",) and form == 0:
        body = draw(st.sampled_from(["<is/>", "<is></is>", "<is><t/></is>", f"<is><t{preserve}></t></is>"]))
    if kind in ("n", "str", "b", "s") and form == 0:
        body = draw(st.sampled_from(["<v/>", "<v></v>"]))
    if not body and draw(st.booleans()):
        return f"{start}/>"
    return f"{start}>{body}</c>"


@st.composite
def rows(draw):
    numbers = sorted(draw(st.lists(st.integers(1, 12), min_size=1, max_size=8, unique=True)))
    if rare(draw, 15) and len(numbers) > 1:  # out of order
        i = draw(st.integers(0, len(numbers) - 2))
        numbers[i], numbers[i + 1] = numbers[i + 1], numbers[i]
    out = []
    for n in numbers:
        has_r = not rare(draw, 30)
        attrs = [("r", str(n))] if has_r else []
        extra = draw(st.sampled_from([[("r", str(n))], [("y:foo", "1")], [("xmlns:z", "urn:z")]] if rare(draw, 12)
                                     else [[], [("spans", "1:5")], [("x14ac:dyDescent", "0.25")],
                                           [("spans", "1:5"), ("ht", "20"), ("customHeight", "1")]]))
        attrs += extra
        if has_r and len(attrs) > 1 and rare(draw, 5):
            attrs.reverse()
        start = "<row" + "".join(f' {k}="{v}"' for k, v in attrs)
        row_cells = draw(st.lists(cells(n if has_r else None), max_size=6))
        if not row_cells and draw(st.booleans()):
            out.append(start + "/>")
            continue
        sep = draw(st.sampled_from(["", "", "", "\n  ", "\r\n", " "]))
        out.append(start + ">" + sep + sep.join(row_cells) + sep + "</row>")
    between = draw(st.sampled_from(["", "", "", "", "", "", "\n", "\r\n  ", "\n", "<!--c-->", " x "]))
    return between.join(out)


@st.composite
def parts(draw) -> bytes:
    data = draw(rows())
    ns = draw(st.sampled_from([NS] * 8 + [STRICT, "urn:other"]))
    prefixed = rare(draw, 9)
    decl = draw(st.sampled_from(['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n', "",
                                 "<?xml version='1.0' encoding='utf-8'?>", '<?xml version="1.0"?>\r\n']))
    bom = "\ufeff" if rare(draw, 9) else ""
    decls = f' xmlns:x14ac="{X14AC}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"' \
            ' mc:Ignorable="x14ac"' if draw(st.integers(0, 5)) else ""
    before = draw(st.sampled_from(["", '<dimension ref="A1:C3"/><sheetViews><sheetView workbookViewId="0"/>'
                                       '</sheetViews><sheetFormatPr defaultRowHeight="15"/>', "<!-- hi -->"]))
    after = draw(st.sampled_from(["", '<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells>'
                                      '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>',
                                  "<!-- tail -->", '<extLst><ext uri="x"><row r="40"><c r="A40"><v>4</v></c></row></ext></extLst>']))
    if prefixed:
        data = data.replace("<row", "<x:row").replace("</row>", "</x:row>").replace("<c ", "<x:c ") \
            .replace("<c>", "<x:c>").replace("</c>", "</x:c>").replace("<v>", "<x:v>").replace("</v>", "</x:v>")
        part = (f'{decl}<x:worksheet xmlns:x="{ns}"{decls}>{before}<x:sheetData>{data}</x:sheetData>{after}'
                "</x:worksheet>")
    else:
        part = f'{bom}{decl}<worksheet xmlns="{ns}"{decls}>{before}<sheetData>{data}</sheetData>{after}</worksheet>'
    if rare(draw, 40):
        part = part[: draw(st.integers(0, len(part)))]  # cut short
    return part.encode("utf-8", "surrogateescape")


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("fast") / "w.xlsx", {"S": ""}, STRINGS, STYLES)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(part=parts())
def test_fast_path_equals_lxml_path(part, workbook, tmp_path, monkeypatch):
    assert_paths_agree(with_part(workbook, part, tmp_path / "p.xlsx"), monkeypatch)


# --- which path reads what -----------------------------------------------------------------------

def part_of(data: str, root: str = f'<worksheet xmlns="{NS}">') -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>{root}<sheetData>{data}</sheetData></worksheet>'


PLAIN = '<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}" s="1" t="inlineStr"><is><t>x{n}</t></is></c></row>'


@pytest.mark.parametrize("odd,lxml_rows", [
    ('<row r="2"><c r="A2"><f>A1</f><v>2</v></c></row>', 1),  # a formula
    ('<row r="2"><c r="A2" t="inlineStr"><is><r><t>a</t></r></is></c></row>', 1),  # rich text
    ('<row r="2"><c r="A2" t="e"><v>#N/A</v></c></row>', 1),  # an error value
    ("<row r='2'><c r='A2'><v>2</v></c></row>", 1),  # single quotes
    ('<row r="2"><c r="A2" cm="1"><v>2</v></c></row>', 1),  # another attribute on <c>
    ('<row r="2"><c><v>2</v></c></row>', 1),  # a cell without r
    ('<row><c r="A2"><v>2</v></c></row>', 1),  # a row without r
    ('<row r="2"><c r="A3"><v>2</v></c></row>', 1),  # a cell placed in a later row
    ('<row r="2"><c r="A2" t="inlineStr"><is><t><![CDATA[x]]></t></is></c></row>', 1),  # CDATA
    ('<row r="2"><c r="A2"><v>2</v></c ></row>', 1),  # whitespace inside a tag
    ('<row r="2"><c r="A2" t="inlineStr"><is><t>&#1;</t></is></c></row>', None),  # refused by lxml
    ('<row r="2"><c r="A2" t="inlineStr"><is><t>a<!--x-->b</t></is></c></row>', 1),  # a comment
    ('<row r="2"><c r="A2" t="inlineStr"><is><t><![CDATA[</row>]]></t></is></c></row>', 1),
    ('<row r="2"><c r="A2" t="str"><v>a<?pi </row>?></v></c></row>', 1),
    ('<row r="2"><c r="A2" t="inlineStr"><is><t>&#x4E2D;\r\n&lt;</t></is></c><c r="B2"><f>1</f></c></row>', 1),
    ('<!-- between rows --><row r="2"><c r="A2"><v>2</v></c></row>', "degraded"),
])
def test_rows_the_fast_path_cannot_read_go_to_lxml(tmp_path, monkeypatch, odd, lxml_rows):
    data = PLAIN.format(n=1) + odd + "".join(PLAIN.format(n=n) for n in range(3, 6))
    path = with_part(build(tmp_path / "o.xlsx", {"S": ""}, STRINGS, STYLES), part_of(data).encode())
    got, error = assert_paths_agree(path, monkeypatch)
    stats = dict(xlsx_stream.STATS)
    if lxml_rows is None:
        assert error == xlsx_stream.CORRUPT and [n for n, _row in got] == [1]  # stopped at the row lxml refuses
    elif lxml_rows == "degraded":
        assert error is None and stats["degraded"] == 1 and stats["fast"] == 1 and stats["lxml"] == 4
    else:
        assert error is None and stats == {"fast": 4, "lxml": lxml_rows, "degraded": 0, "shaped": 3}


def test_entities_references_and_line_ends_are_decoded_on_the_fast_path(tmp_path, monkeypatch):
    data = ('<row r="1"><c r="A1" t="inlineStr"><is><t>a&amp;b&lt;&#20013;&#x4E2D;\r\nc\rd&#13;e</t></is></c>'
            '<c r="B1" t="str"><v> &quot;x&apos; </v></c><c r="C1"><v>&#49;2</v></c>'
            '<c r="D1" t="inlineStr"><is><t xml:space="preserve"> _x0041_ </t></is></c></row>')
    path = with_part(build(tmp_path / "e.xlsx", {"S": ""}), part_of(data).encode())
    got, error = assert_paths_agree(path, monkeypatch)
    assert xlsx_stream.STATS == {"fast": 1, "lxml": 0, "degraded": 0, "shaped": 0}
    assert got == [(1, [("str", "a&b<中中\nc\nd\re"), ("str", ' "x\' '), ("float", 12.0), ("str", " A ")])]


@pytest.mark.parametrize("part", [
    part_of(PLAIN.format(n=1), f'<worksheet xmlns="{STRICT}">').encode(),  # the strict namespace
    part_of(PLAIN.format(n=1)).replace('encoding="UTF-8"', 'encoding="utf-8"').encode(),
    b"\xef\xbb\xbf" + part_of(PLAIN.format(n=1)).encode(),  # a UTF-8 byte order mark
    part_of(PLAIN.format(n=1)).replace('<?xml version="1.0" encoding="UTF-8"?>', "").encode(),  # no declaration
])
def test_parts_the_fast_path_reads(tmp_path, monkeypatch, part):
    path = with_part(build(tmp_path / "ok.xlsx", {"S": ""}), part)
    assert assert_paths_agree(path, monkeypatch)[0] == [(1, [("float", 1.0), ("str", "x1")])]
    assert xlsx_stream.STATS == {"fast": 1, "lxml": 0, "degraded": 0, "shaped": 0}


@pytest.mark.parametrize("part", [
    part_of(PLAIN.format(n=1)).replace("UTF-8", "GB18030").encode("gb18030"),  # another encoding
    part_of(PLAIN.format(n=1)).replace("UTF-8", "UTF-16").encode("utf-16"),
    part_of(PLAIN.format(n=1)).replace("<worksheet", '<!-- c --><worksheet').encode(),  # a comment first
    part_of(PLAIN.format(n=1), '<worksheet xmlns="urn:other">').encode(),  # not SpreadsheetML
    part_of(PLAIN.format(n=1).replace("<row", "<x:row").replace("</row>", "</x:row>"),  # prefixed elements
            f'<x:worksheet xmlns:x="{NS}" xmlns="{NS}">').replace("</worksheet>", "</x:worksheet>").encode(),
])
def test_parts_the_fast_path_leaves_to_lxml(tmp_path, monkeypatch, part):
    path = with_part(build(tmp_path / "no.xlsx", {"S": ""}), part)
    assert assert_paths_agree(path, monkeypatch)[0] == [(1, [("float", 1.0), ("str", "x1")])]
    assert xlsx_stream.STATS["fast"] == 0


# --- constant memory -----------------------------------------------------------------------------

class CountingStream(io.RawIOBase):
    """A part read through ``read(n)``, counting the bytes handed out."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def read(self, n: int = -1) -> bytes:
        n = len(self.data) - self.at if n is None or n < 0 else n
        out = self.data[self.at: self.at + n]
        self.at += len(out)
        return out


def test_the_fast_path_reads_the_part_a_chunk_at_a_time(monkeypatch):
    """The first row comes out after one chunk of a part several chunks long, and no read asks for
    more than a chunk."""
    monkeypatch.setattr(xlsx_stream, "_CHUNK", 1 << 14)
    data = part_of("".join(PLAIN.format(n=n) for n in range(1, 3001))).encode()
    assert len(data) > 8 * xlsx_stream._CHUNK
    stream = CountingStream(data)
    asked = []
    real_read = stream.read

    def read(n=-1):
        asked.append(n)
        return real_read(n)

    stream.read = read
    xlsx_stream.STATS.update(fast=0, lxml=0, degraded=0, shaped=0)
    rows = xlsx_stream._fast_rows(stream, xlsx_stream._State([], {}, False))
    assert next(rows) == (1, [1.0, "x1"])
    assert stream.at <= xlsx_stream._CHUNK and all(0 < n <= xlsx_stream._CHUNK for n in asked)
    assert sum(1 for _ in rows) == 2999 and stream.at == len(data)
    assert xlsx_stream.STATS == {"fast": 3000, "lxml": 0, "degraded": 0, "shaped": 2999}  # the first made the shape


def test_rows_are_yielded_as_they_are_read_on_the_fast_path(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_stream, "_CHUNK", 1 << 12)
    data = "".join(PLAIN.format(n=n) for n in range(1, 2001))
    path = build(tmp_path / "g.xlsx", {"S": data}, STRINGS, STYLES)
    it = iter_sheet(path, "S")
    assert next(it) == (1, [1.0, "x1"])
    assert xlsx_stream.STATS["fast"] == 0  # counted at the end
    assert sum(1 for _ in it) == 1999
    assert xlsx_stream.STATS == {"fast": 2000, "lxml": 0, "degraded": 0, "shaped": 1999}


def test_space_before_the_end_of_a_cell_tag_stays_on_the_fast_path(tmp_path, monkeypatch):
    """openpyxl-made exports write ``<c r="H3" t="inlineStr" />``."""
    data = ('<row r="1"><c r="A1" t="inlineStr" /><c r="B1" s="1" ><v>44249</v></c>'
            '<c r="C1" t="s" ><v>0</v></c><c r="D1" s="0" /></row>')
    path = with_part(build(tmp_path / "sp.xlsx", {"S": ""}, STRINGS, STYLES), part_of(data).encode())
    got, error = assert_paths_agree(path, monkeypatch)
    assert xlsx_stream.STATS == {"fast": 1, "lxml": 0, "degraded": 0, "shaped": 0}
    assert error is None and got[0][1][1:] == [("date", dt.date(2021, 2, 22)), ("str", "共享")]


def test_a_row_without_its_end_is_left_to_lxml_with_the_buffer_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_stream, "_CHUNK", 1 << 12)
    monkeypatch.setattr(xlsx_stream, "_HEAD_MAX", 1 << 15)
    data = PLAIN.format(n=1) + '<row r="2">' + '<c r="A2"><v>1</v></c>' * 20000
    path = with_part(build(tmp_path / "long.xlsx", {"S": ""}), part_of(data).encode())
    got, error = assert_paths_agree(path, monkeypatch)
    assert error == xlsx_stream.CORRUPT and xlsx_stream.STATS["degraded"] == 1


# --- rows written alike: read by their shape (xlsx_stream._Shape) --------------------------------------------

SHAPE_KINDS = ["n", "n_explicit", "s", "inline", "inline_preserve", "b", "str", "d", "style"]
# texts without what sends a whole row cell by cell ("&", "\r"), so that rows are read by their shape
PLAIN_TEXT = st.lists(st.sampled_from(["a", "张三", " ", "\t", "\n", "  ", "1", ".5", "E3", "_x0041_", "_x000D_", ">",
                                       "'", '"', "😀", "\u3000", "#N/A", "2022-05-01", "44682"]),
                      max_size=4).map("".join)


@st.composite
def shaped_rows(draw) -> str:
    """Rows made from one to three row templates — each cell's column, style, type and form fixed — with fresh
    texts in every row: the shapes repeat while the texts go through every case the per-cell path treats
    apart (empty, edge spaces, _x0041_, entities, shared indexes that do not exist, numbers that are not)."""
    templates = []
    for _ in range(draw(st.integers(1, 3))):
        columns = sorted(draw(st.lists(st.integers(0, 30), min_size=1, max_size=7, unique=True)))
        if rare(draw, 10) and len(columns) > 1:
            columns.reverse()  # out of order: never a shape
        templates.append([(col, draw(st.sampled_from(["", ' s="1"', ' s="2"', ' s="4"', ' s="9"'])),
                           "e" if rare(draw, 20) else draw(st.sampled_from(SHAPE_KINDS)),
                           draw(st.sampled_from(["", "", " "])))
                          for col in columns])
    out = []
    for n in range(1, draw(st.integers(3, 14)) + 1):
        cells = []
        for col, style, kind, space in draw(st.sampled_from(templates)):
            letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[col] if col < 26 else "A" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[col - 26]
            t = {"n_explicit": ' t="n"', "s": ' t="s"', "inline": ' t="inlineStr"', "inline_preserve": ' t="inlineStr"',
                 "b": ' t="b"', "str": ' t="str"', "d": ' t="d"', "e": ' t="e"'}.get(kind, "")
            head = f'<c r="{letters}{n}"{style}{t}{space}'
            if kind == "style":
                cells.append(head + "/>")
                continue
            if kind == "s":
                v = draw(st.sampled_from(["0", "1", "2", "3", "4", "-1", "x", " 1 "]))
            elif kind in ("n", "n_explicit"):
                v = draw(number) if rare(draw, 4) else draw(st.sampled_from(["1", "2.5", "-3", "44682", "1E3", "0"]))
            elif kind == "b":
                v = draw(st.sampled_from(["0", "1", "", "true"]))
            elif kind == "d":
                v = draw(st.sampled_from(["2022-05-01", "2022-05-01T08:30:00", "x", ""]))
            else:
                v = draw(text) if rare(draw, 10) else draw(PLAIN_TEXT)
            if kind.startswith("inline"):
                preserve = ' xml:space="preserve"' if kind == "inline_preserve" else ""
                cells.append(f"{head}><is><t{preserve}>{v}</t></is></c>")
            else:
                cells.append(f"{head}><v>{v}</v></c>")
        out.append(f'<row r="{n}">' + "".join(cells) + "</row>")
    return "".join(out)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=shaped_rows())
def test_rows_read_by_their_shape_are_the_rows_read_cell_by_cell(data, workbook, tmp_path, monkeypatch):
    assert_paths_agree(with_part(workbook, part_of(data).encode("utf-8", "surrogateescape"), tmp_path / "sh.xlsx"),
                       monkeypatch)


def test_an_export_of_rows_written_alike_is_read_by_shape(tmp_path, monkeypatch):
    """Every kind of cell a shape reads, in rows written alike: all but the first read by their shape, and the
    values those the per-cell path gives (a text with edge spaces, an entity or an empty number in some rows
    sends just those rows to it)."""
    row = ('<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>JS{n:05d}</t></is></c><c r="B{n}" s="1"><v>44682</v></c>'
           '<c r="C{n}" t="s"><v>{k}</v></c><c r="D{n}" s="2"/><c r="E{n}"><v>{e}</v></c><c r="F{n}" t="b"><v>1</v></c>'
           '<c r="G{n}" t="str"><v>x{n}</v></c><c r="H{n}" t="inlineStr"><is><t xml:space="preserve">{t}</t></is></c></row>')
    data = "".join(row.format(n=n, k=n % 4, e=f"{n}.25", t="张三") for n in range(1, 41))
    data += (row.format(n=41, k=1, e="1", t=" 边 ") + row.format(n=42, k=1, e="1", t="a&amp;b")
             + row.format(n=43, k=1, e="", t="李四"))
    path = with_part(build(tmp_path / "al.xlsx", {"S": ""}, STRINGS, STYLES), part_of(data).encode())
    got, error = assert_paths_agree(path, monkeypatch)
    assert error is None and len(got) == 43
    assert xlsx_stream.STATS == {"fast": 43, "lxml": 0, "degraded": 0, "shaped": 39}  # 1 made it; 41–43 cell by cell
    assert got[1][1] == [("str", "JS00002"), ("date", dt.date(2022, 5, 1)), ("str", STRINGS_READ[2]), ("str", ""),
                         ("float", 2.25), ("bool", True), ("str", "x2"), ("str", "张三")]


STRINGS_READ = ["共享", " a ", "低保对象", "x"]  # STRINGS as the reader gives them
