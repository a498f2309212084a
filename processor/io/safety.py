"""Safety checks an xlsx must pass before any parser (calamine, openpyxl) touches it.

Measured on this machine (see shared reference): a small xlsx whose one cell inflates to 300 MB
is read whole by every reader, and a 5 KB xlsx holding cells A1 and XFD1048576 makes calamine
allocate 512 GiB and abort the whole process (SIGABRT, not catchable). So, before parsing:

1. the file must be a zip; the declared uncompressed sizes are summed and the ratio of every
   member is checked (zip bomb);
2. every member is inflated by us, streaming and bounded by its declared size, so a member that
   lies about its size is caught too;
3. each worksheet's ``<dimension ref>`` and its real largest cell reference are compared with a
   grid limit, because calamine allocates a dense grid from A1 to the largest cell; the streaming
   reader (xlsx_stream) allocates no grid, but hands over every row up to the last one and each
   row as wide as its last cell, so the grid bounds its work as well (any grid up to 50 million
   cells, a larger one when at least a quarter of it is filled). A reference beyond Excel's
   own limits (1,048,576 rows, 16,384 columns) is refused however small the grid: a 1 KB sheet
   with a cell at ``$A$900000000`` once passed and had the reader list 900 million empty rows.

4. every part that may be read as a worksheet is scanned, wherever it lives: each part the
   workbook's relationships name for a ``<sheet>`` (resolved like a reader would, so a sheet stored
   at ``xl/data/x.xml`` or ``/elsewhere/x.xml`` is covered), and every other part that is not a
   known binary (images, ``.bin``). If workbook.xml or its relationships cannot be read, every part
   is scanned as a worksheet;
5. no string a reader would build may exceed Excel's limit of 32,767 characters: a shared string
   (``<si>``), an inline string (``<is>``) or a cell value (``<v>``). A 300 MB shared string in a
   1.8 MB file made calamine use 1.27 GB; it is refused here without being held whole.

Worksheet XML is scanned with regular expressions over bounded chunks (fast); only when the
regex pass cannot vouch for every ``<c>`` element (cells without ``r``, odd markup) or for every
string (a string not written the plain way ``<is><t>text</t></is>``, ``<si><t>text</t></si>``,
``<v>text</v>``, or one longer than the limit in bytes) is the part walked again with a defusedxml
streaming parser that mirrors calamine: cell positions, and the text calamine would concatenate
(every ``<t>`` of a string outside phonetic runs, every text node of a ``<v>``), counted in
characters and refused as soon as it passes the limit.

The scan also reports, per sheet, what the reader must fix after parsing: Excel error cells and
formulas (calamine hands both over as empty strings) and merged ranges (calamine leaves every cell
but the top-left empty).
"""
from __future__ import annotations

import posixpath
import re
import struct
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError, fromstring

from ..errors import FileError
from .deflate import INFLATE_ERRORS, LargerThanDeclared, inflater as _inflater, member_chunks

MAX_UNCOMPRESSED_BYTES = 1 << 30  # sum of declared member sizes (1 GiB) for a reader that loads it whole
# … and for the readers that stream a sheet a row at a time (io/xlsx_stream.py: exports, last month's
# ledger): their memory does not grow with the file, so the size only costs time. A ledger of a
# million rows is 1.3 GB unpacked; 4 GiB is about three million rows. The ratio check still applies.
STREAMED_BYTES = 4 << 30
MAX_RATIO = 200  # a member is a bomb if its ratio exceeds this …
RATIO_MIN_BYTES = 50 * 1024 * 1024  # … and it inflates to more than this
MAX_GRID_CELLS = 50_000_000  # rows × columns (counted from A1) any sheet may span …
GRID_PER_CELL = 4  # … and a larger one, up to this many times the cells it holds (a quarter of the grid filled)
MAX_MEMBERS = 10_000
MAX_TAG_BYTES = 4 * 1024 * 1024  # longest stretch of worksheet XML without a '<'
MAX_CELL_CHARS = 32_767  # Excel's limit for the text of one cell (and so of one shared string)
MAX_MERGES = 1_000_000  # merged ranges recorded per sheet
_CHUNK = 1 << 20

LEGACY_SUFFIXES = (".xls", ".xlsb")
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, or an encrypted xlsx

# Regex pass over worksheet XML. The patterns contain no '<' after their first byte, so chunks
# cut just before a '<' never split a match (see _SheetScan.feed). Cells written the way Excel,
# openpyxl, xlsxwriter and POI write them start with `<c r="`; anything else sends the sheet to
# the exact (slow) scan.
_CELL_ANY = b"<c "
_CELL_WITH_REF = b'<c r="'
_ODD_CELL = re.compile(rb"<c[>/\t\n\r]")  # a cell tag not followed by a space
_DIMENSION = re.compile(rb"<(?:[\w.-]+:)?dimension\s[^<>]*?(?<=\s)ref\s*=\s*[\"']([^\"'<>]*)[\"']")
_SHEET_DATA = re.compile(rb"<(?:[\w.-]+:)?sheetData[\s/>]")
# Cell references as the readers take them (xlsx_stream._split_ref): letters with any "$" among them,
# leading zeros, then the row; every such reference counts for the extent, also one a reader refuses.
_ROW_OF_REF = re.compile(rb'<c r="[$A-Za-z]+0*([1-9][0-9]*)"')
_COL_OF_REF = re.compile(rb'<c r="([$A-Za-z]+)[0-9]')
_LAST_CELL = b'<c r="'
_NUMBER_DIGITS = 12  # a longer row number is refused as this one (and int() is never given a huge text)
EXCEL_ROWS, EXCEL_COLS = 1_048_576, 16_384  # no workbook Excel or LibreOffice writes goes beyond
_REF_TEXT = re.compile(r"^([$A-Za-z]*[A-Za-z][$A-Za-z]*)([0-9]+)$")  # as xlsx_stream._split_ref takes it


class ScanReport(set):
    """What the reader must fix after parsing, by sheet name (see the module docstring).

    The set itself holds the sheets with Excel error cells (#N/A …), as check_xlsx returned before;
    ``formulas`` the sheets holding formulas, ``merges`` each sheet's merged ranges ("D3:D4")."""

    def __init__(self) -> None:
        super().__init__()
        self.formulas: set[str] = set()
        self.merges: dict[str, list[str]] = {}

    @property
    def errors(self) -> set[str]:
        return set(self)

    def __repr__(self) -> str:
        return f"ScanReport(errors={set(self)!r}, formulas={self.formulas!r}, merges={self.merges!r})"


def check_xlsx(path: str | Path, streamed: bool = False, share=None) -> ScanReport:
    """Refuse an xlsx that could exhaust memory or crash a parser. Raises :class:`FileError`.
    ``streamed``: the file is read a row at a time (:data:`STREAMED_BYTES` unpacked allowed, not
    :data:`MAX_UNCOMPRESSED_BYTES`).
    ``share``: called with the zip's members and its sheets' names once those are checked, it may have
    another process scan every other piece of one big sheet at the same time (:func:`scan_share`) and
    return (that member's name, a function giving what it found: :meth:`_SheetScan.found`, ``"refused"``,
    or None when it could not, and this process then scans those pieces too); or None.

    Returns a :class:`ScanReport`: the sheets that hold Excel error cells or formulas (which
    calamine would hand over as empty strings) and the merged ranges of each sheet."""
    path = require_input_file(path)
    if not zipfile.is_zipfile(path):
        with path.open("rb") as fh:
            magic = fh.read(len(_CFB_MAGIC))
        if magic == _CFB_MAGIC:
            raise FileError(
                "不是有效的 xlsx 文件：它实际是旧版 .xls 格式或设有打开密码，"
                "请在 Excel 中取消密码并另存为 .xlsx 或 CSV（UTF-8）后再导入"
            )
        raise FileError("不是有效的 xlsx 文件：文件已损坏，或是改了扩展名的其他格式（如 CSV、网页）")
    try:
        with zipfile.ZipFile(path) as zf, path.open("rb") as raw:
            infos = zf.infolist()
            _check_declared_sizes(infos, STREAMED_BYTES if streamed else MAX_UNCOMPRESSED_BYTES)
            names = _sheet_names(infos, raw)
            shared = share(infos, names) if share is not None and names else None
            # the entry the other process opens by that name (zipfile's: the last, when a name is there twice)
            target = zf.getinfo(shared[0]) if shared is not None else None
            report = ScanReport()
            for info in infos:
                key = _member_key(info.filename)
                if names is None or key in names or not _is_binary(key):
                    sheet = names.get(key) if names else None
                    other = shared[1] if info is target else None
                    scan = _check_sheet(raw, info, sheet, shared_strings=_is_shared_strings(key), other=other)
                    shown = sheet or info.filename
                    if scan.has_errors:
                        report.add(shown)
                    if scan.has_formulas:
                        report.formulas.add(shown)
                    if scan.merges:
                        report.merges[shown] = [m.decode("ascii", "replace") for m in scan.merges]
                else:
                    for _ in _inflate(raw, info):
                        pass
            return report
    except (zipfile.BadZipFile, zipfile.LargeZipFile, *INFLATE_ERRORS, OSError, EOFError, ValueError, struct.error):
        raise FileError("不是有效的 xlsx 文件：压缩包已损坏") from None


def require_input_file(path: str | Path) -> Path:
    """An existing file in a format we read (not the old .xls/.xlsb), or :class:`FileError`."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in LEGACY_SUFFIXES:
        raise FileError(legacy_format_message(suffix))
    if not path.is_file():
        raise FileError(f"找不到输入文件：{path}")
    return path


def legacy_format_message(suffix: str) -> str:
    return f"不支持 {suffix} 格式，请在 Excel 中另存为 .xlsx 或 CSV（UTF-8）后再导入"


# --- zip level -------------------------------------------------------------------------------

def _check_declared_sizes(infos: list[zipfile.ZipInfo], limit: int) -> None:
    if len(infos) > MAX_MEMBERS:
        raise FileError(f"xlsx 压缩包内文件数异常（{len(infos)} 个），已拒绝")
    total = sum(i.file_size for i in infos)
    if total > limit:
        raise FileError(f"文件解压后过大（声明 {_size(total)}），疑似压缩炸弹，已拒绝")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_MIN_BYTES and ratio > MAX_RATIO:
            raise FileError(
                f"文件中的 {info.filename} 压缩比异常（{ratio:.0f} 倍，解压后 {_size(info.file_size)}），"
                "疑似压缩炸弹，已拒绝"
            )


def _inflate(raw, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Yield the member's bytes, inflated by us and never more than its declared size.

    zipfile would silently stop at the declared size; calamine's zip reader would not, so a
    member that inflates beyond what it declares is refused here. Once the member is read to its end,
    its size and CRC-32 are checked against the zip's directory (zipfile.BadZipFile), as the reader's
    zipfile checks them: a part that does not unpack to what the zip says is refused before any row is read.
    The reading is :func:`processor.io.deflate.member_chunks`, the reader's own.
    """
    if info.flag_bits & 0x1:
        raise FileError("xlsx 文件中有加密内容，请在 Excel 中取消密码后另存再导入")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise FileError(f"xlsx 文件使用了不支持的压缩方式（{info.compress_type}），请在 Excel 中另存后再导入")
    try:
        yield from member_chunks(raw, info, _inflater, _CHUNK)
    except LargerThanDeclared:
        raise FileError(f"文件中的 {info.filename} 实际解压大小超过声明大小，疑似压缩炸弹，已拒绝") from None


_BINARY_SUFFIXES = (".bin", ".png", ".jpg", ".jpeg", ".jpe", ".gif", ".bmp", ".tif", ".tiff", ".emf",
                    ".wmf", ".wdp", ".jfif", ".ico", ".odttf", ".fntdata")


def _member_key(name: str) -> str:
    """A zip member name as readers look it up: '/' separators, no leading '/', lower case."""
    return name.replace("\\", "/").lstrip("/").lower()


def _is_binary(key: str) -> bool:
    return key.endswith(_BINARY_SUFFIXES)


def _is_shared_strings(key: str) -> bool:
    return key.rsplit("/", 1)[-1] == "sharedstrings.xml"


def _sheet_names(infos: list[zipfile.ZipInfo], raw) -> dict[str, str] | None:
    """Map the member keys a ``<sheet>`` of workbook.xml may be read from to its name.

    A target is resolved relative to the workbook's folder (OPC), as absolute, and the way older
    calamine versions do ("xl/" + target): every candidate is mapped, so a hostile target cannot
    lead a reader to a part the scan took for something else. None when workbook.xml or its
    relationships cannot be read (the caller then scans every part as a worksheet)."""
    try:
        book_name = "xl/workbook.xml"
        package = _read_small(infos, raw, "_rels/.rels")
        if package is not None:
            for rel in fromstring(package):
                if rel.get("Type", "").endswith("/officeDocument") and rel.get("Target"):
                    book_name = _member_key(posixpath.normpath("/" + rel.get("Target")))
                    break
        folder, _, base = book_name.rpartition("/")
        book = _read_small(infos, raw, book_name)
        rels = _read_small(infos, raw, f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels")
        if book is None or rels is None:
            return None
        targets: dict[str, list[str]] = {}
        for rel in fromstring(rels):
            target = rel.get("Target", "").replace("\\", "/")
            candidates = {
                _member_key(posixpath.normpath("/" + target)),
                _member_key(posixpath.normpath(f"/{folder}/{target}")),
                _member_key(target if target.lower().startswith("xl/") else f"xl/{target}"),
                _member_key(f"{folder}/{target}" if folder else target),
            }
            targets[rel.get("Id")] = sorted(candidates)
        names: dict[str, str] = {}
        for el in fromstring(book).iter():
            if el.tag.rsplit("}", 1)[-1] != "sheet":
                continue
            rid = next((v for k, v in el.attrib.items() if k.rsplit("}", 1)[-1] == "id"), None)
            for key in targets.get(rid, ()):
                names.setdefault(key, el.get("name", ""))
        return names
    except (ParseError, DefusedXmlException, ValueError):
        return None


def _sheet_member(infos: list[zipfile.ZipInfo], raw, sheet_name: str) -> zipfile.ZipInfo | None:
    names = _sheet_names(infos, raw) or {}
    keys = {k for k, n in names.items() if n == sheet_name}
    return next((i for i in infos if _member_key(i.filename) in keys), None)


def _read_small(infos, raw, name: str, limit: int = 16 * 1024 * 1024) -> bytes | None:
    info = next((i for i in infos if _member_key(i.filename) == name), None)
    if info is None or info.file_size > limit:
        return None
    return b"".join(_inflate(raw, info))


# --- worksheet level -------------------------------------------------------------------------

# Strings the fast pass vouches for: written the plain way and no longer than the limit in bytes
# (so in characters). Anything else (rich text, attributes, a tag or CDATA inside the text, a
# longer text) sends the part to the exact pass, which counts characters like calamine builds them.
# The same pattern flags formulas and merged ranges, which the caller records and skips over.
_ATTRS = rb'(?: xml:space="preserve")?'
# Each pattern starts with a literal ("<v", "<is", "<si"), which the regex engine skips to quickly.
_ODD_VALUE = re.compile(rb"<v(?:>(?![^<]{0,%d}</v>)|\s(?!\s*/>))" % MAX_CELL_CHARS)
_ODD_INLINE = re.compile(rb"<is(?:>(?!<t%s>[^<]{0,%d}</t></is>)|\s(?!\s*/>))" % (_ATTRS, MAX_CELL_CHARS))
_ODD_SHARED = re.compile(
    rb"<si(?:>(?!<t%s>[^<]{0,%d}</t>(?:<phoneticPr[^<>]*/>)?</si>)|\s(?!\s*/>))" % (_ATTRS, MAX_CELL_CHARS)
)
_FORMULA = re.compile(rb"<f[\s>/]")
_PREFIXED_STRING = re.compile(rb":(?:c|si|is|v|t|f|mergeCell)[\s/>]")  # <x:c …>: calamine matches local names
_MERGE = re.compile(rb"<mergeCell\s[^<>]*")
_MERGE_REF = re.compile(rb"""\sref\s*=\s*["']([^"'<>]{1,40})["']""")
_PIECE_ENDS = (b"</row>", b"</si>")  # cut pieces after these: a string never straddles a cut


class _SheetScan:
    """Regex pass over one worksheet: declared dimension and how long cell references get.

    It records the largest row and column any `<c r="…">` refers to (``max_row``, ``max_col``), exactly,
    without going through every cell (:meth:`_extent`).
    It also checks that every string is plain and short (else ``needs_exact``) and records error
    cells, formulas and merged ranges.
    """

    def __init__(self, shared_strings: bool = False, share: tuple[int, int] = (0, 1)) -> None:
        # share (k, n): the checks run on pieces k, k + n, k + 2n … only (a part scanned in n processes at
        # once, each inflating it whole: :func:`scan_share`, :meth:`join`); the cutting runs on every piece
        self.share = share
        self.pieces = 0
        self.merge_pieces: list[int] = []  # the piece each of ``merges`` was found in (join keeps their order)
        self.exact_piece: int | None = None  # the piece where needs_exact was set (string checks stop there)
        self.carry = b""
        self.dimension: str | None = None
        self.in_data = False
        self.max_row = 0  # the largest row and column of a cell reference in this scan's pieces
        self.max_col = 0
        self.cells = 0  # cells written (each `<c `) in this scan's pieces: how large a grid may be
        self.untrusted = False  # some <c> element is not written as `<c r="…"`
        self.has_errors = False  # some cell holds an Excel error value (t="e")
        self.has_formulas = False
        self.merges: list[bytes] = []
        self.needs_exact = False  # some string the regex pass cannot vouch for
        self.strings = (_ODD_SHARED,) if shared_strings else (_ODD_VALUE, _ODD_INLINE)

    def _cut(self, buf: bytes) -> int:
        """Where to end this piece: after the last row / shared string when the rest is not too
        long (a string is then never split), else just before the last '<'."""
        floor = len(buf) - MAX_TAG_BYTES
        for end in _PIECE_ENDS:
            at = buf.rfind(end, max(floor, 0))
            if at >= 0:
                return at + len(end)
        return buf.rfind(b"<")

    def feed(self, chunk: bytes, final: bool = False) -> None:
        buf = self.carry + chunk
        cut = len(buf) if final else self._cut(buf)
        if cut < 0:  # plain text, no match can start in it
            self.carry = b""
            return
        if cut == 0:  # one unfinished tag (or text after it): wait for the next '<'
            if len(buf) > MAX_TAG_BYTES:
                raise _Suspicious()
            self.carry = buf
            return
        piece, self.carry = buf[:cut], buf[cut:]
        k, n = self.share
        mine = self.pieces % n == k
        self.pieces += 1
        if not self.in_data:
            if self.dimension is None:
                m = _DIMENSION.search(piece)
                if m:
                    self.dimension = m.group(1).decode("ascii", "replace")
            self.in_data = _SHEET_DATA.search(piece) is not None
        if not mine:
            return
        if not self.needs_exact:
            self._strings(buf, cut)
        if not self.has_errors and b't="e"' in piece:  # a tag is never split across pieces
            self.has_errors = True
        cells = piece.count(_CELL_ANY)
        self.cells += cells
        if (
            cells != piece.count(_CELL_WITH_REF)
            or _ODD_CELL.search(piece)
            or (b":" in piece and _PREFIXED_STRING.search(piece))
        ):
            self.untrusted = True
        self._extent(piece)

    def _extent(self, piece: bytes) -> None:
        """Raise ``max_row`` and ``max_col`` to the piece's largest references, for about the cost of one
        search that finds nothing: the piece's last cell is taken as its largest (an export's rows and
        columns come in order), and one search for any reference beyond it proves that. Only a piece where
        one is found is gone through reference by reference (every piece of a hostile sheet, at worst).
        Until issue 12 the longest references only bounded the grid, and a second pass over the whole part
        counted it exactly whenever that bound was too large: every export of more than 26 columns and
        10,000 rows, and at 1,000,000 rows of 19 columns 3.9 s of the scan's 8.5."""
        at = piece.rfind(_LAST_CELL)
        if at < 0:
            return
        last = _ROW_OF_REF.match(piece, at)
        row = max(self.max_row, _row_number(last.group(1)) if last is not None else 0)
        last = _COL_OF_REF.match(piece, at)
        col = max(self.max_col, _ref_col(last.group(1)) if last is not None else 0)
        # a "$" may stand anywhere among the letters (A$B1 is column AB to the reader): no shortcut then
        if b"$" in piece or _beyond(min(row, _ROW_CAP), min(col, _COL_CAP)).search(piece):
            row = max(row, 0, *map(_row_number, _ROW_OF_REF.findall(piece)))
            col = max(col, 0, *map(_ref_col, _COL_OF_REF.findall(piece)))
        self.max_row, self.max_col = row, col

    def _strings(self, buf: bytes, cut: int) -> None:
        """Matches must start before ``cut``; they may look ahead into the rest of ``buf``."""
        for pattern in self.strings:
            m = pattern.search(buf, 0, len(buf))
            if m is not None and m.start() < cut:
                self._exact_from_here()
                return
        if not self.has_formulas:
            m = _FORMULA.search(buf)
            self.has_formulas = m is not None and m.start() < cut
        if b"<mergeCell" in buf:
            for m in _MERGE.finditer(buf, 0, cut):
                ref = _MERGE_REF.search(m.group())
                if ref is None:
                    self._exact_from_here()  # a range written oddly: the exact pass reads it
                    return
                if len(self.merges) >= MAX_MERGES:
                    if self.share[1] == 1:
                        raise _Suspicious()
                    if len(self.merges) > MAX_MERGES:  # one too many: enough for join to say so
                        break
                self.merges.append(ref.group(1))
                self.merge_pieces.append(self.pieces - 1)

    def _exact_from_here(self) -> None:
        """The exact pass will read the part; this piece is where its string checks stopped."""
        self.needs_exact = True
        self.exact_piece = self.pieces - 1

    FOUND = ("max_row", "max_col", "cells", "untrusted", "has_errors", "has_formulas", "needs_exact", "exact_piece", "merges",
             "merge_pieces")

    def found(self) -> dict:
        """What this share of the pieces found (to be joined to the scan of the others)."""
        return {name: getattr(self, name) for name in self.FOUND}

    def join(self, other: dict) -> None:
        """Add what the scan of the other pieces found: then this scan is the one of every piece, in one
        process. Every finding is a maximum or an "any", except the merged ranges: kept in the order of the
        pieces, up to the piece where the string checks stopped (needs_exact), too many refused as one scan
        refuses them (tests/io/test_scan_shares.py)."""
        self.max_row = max(self.max_row, other["max_row"])
        self.max_col = max(self.max_col, other["max_col"])
        self.cells += other["cells"]
        for flag in ("untrusted", "has_errors", "has_formulas"):
            setattr(self, flag, getattr(self, flag) or other[flag])
        stops = [x for x in (self.exact_piece, other["exact_piece"]) if x is not None]
        stop = min(stops) if stops else None
        both = sorted(zip(self.merge_pieces + other["merge_pieces"], range(len(self.merges) + len(other["merges"])),
                          self.merges + other["merges"]))
        if stop is not None:  # one scan records no merged range after the piece it stopped in, nor counts one
            both = [b for b in both if b[0] <= stop]
        if len(both) > MAX_MERGES:
            raise _Suspicious()
        self.merge_pieces = [piece for piece, _i, _m in both]
        self.merges = [m for _p, _i, m in both]
        self.needs_exact = self.needs_exact or other["needs_exact"]
        self.exact_piece = stop
        self.share = (0, 1)

    def bounds(self) -> tuple[int, int]:
        """The largest row and column a cell reference names."""
        return self.max_row, self.max_col


def _row_number(digits: bytes) -> int:
    return int(digits) if len(digits) <= _NUMBER_DIGITS else 10**_NUMBER_DIGITS


def _ref_col(letters: bytes) -> int:
    """A reference's letters ("$" left out, either case) → column number; one of more than four letters
    (beyond XFD, which has three) counts as 26**5."""
    letters = letters.replace(b"$", b"")
    return _col_number(letters.decode("ascii")) if len(letters) <= 4 else 26**5


_ROW_CAP, _COL_CAP = EXCEL_ROWS + 1, EXCEL_COLS + 1  # beyond these the sheet is refused: how far, is not searched


@lru_cache(maxsize=64)
def _beyond(row: int, col: int) -> re.Pattern:
    """A search for a cell reference (letters without "$") to a row after ``row`` or a column after ``col``."""
    return re.compile(rb'<c r="(?:' + _later_letters(col) + rb"[0-9]|[$A-Za-z]+0*" + _larger_number(row) + rb'")')


def _larger_number(row: int) -> bytes:
    """A pattern for the numbers after ``row``: more digits, or as many and larger, nested (53132 →
    ``[6-9]dddd|5(?:[4-9]ddd|3(?:…))``: most references share the leading digits)."""
    text = str(row).encode("ascii")
    n = len(text)

    def larger(i: int) -> bytes | None:  # the (n - i)-digit numbers after text[i:]
        if i == n:
            return None
        ways = [b"[%d-9]" % (text[i] - 47) + b"[0-9]" * (n - i - 1)] if text[i] < ord("9") else []
        rest = larger(i + 1)
        if rest is not None:
            ways.append(text[i:i + 1] + rest)
        if not ways:
            return None
        return ways[0] if len(ways) == 1 else b"(?:" + b"|".join(ways) + b")"

    same = larger(0)
    return b"(?:[1-9][0-9]{%d,}" % n + (b"|" + same if same else b"") + b")"


def _later_letters(col: int) -> bytes:
    """A pattern for the column letters after ``col``, in either case: more letters, or as many and later."""
    text = _col_letters(col).encode("ascii") if col > 0 else b""
    n = len(text)
    later = [rb"[A-Za-z]{%d,}" % (n + 1)]
    for i in range(n):
        same = b"".join(b"[%c%c]" % (ch, ch + 32) for ch in text[:i])
        if text[i] < ord("Z"):
            nxt = text[i] + 1
            later.append(same + b"[%c-Z%c-z]" % (nxt, nxt + 32) + b"[A-Za-z]" * (n - i - 1))
    return b"(?:" + b"|".join(later) + b")"


class _Suspicious(Exception):
    pass


class _ExactScan:
    """defusedxml target mirroring calamine: positions of <c> with or without ``r``, the text it
    would concatenate into one string (refused past the limit), formulas and merged ranges."""

    def __init__(self) -> None:
        self.row = 0  # 0-based, like calamine
        self.col = 0
        self.max_row = 0  # 1-based extents
        self.max_col = 0
        self.has_formulas = False
        self.merges: list[bytes] = []
        self.string: str | None = None  # the tag of the <si>/<is>/<v> being read
        self.is_value = False  # that tag is a <v>: all its text counts
        self.in_text = False  # inside a <t> of that string (or inside the <v>)
        self.phonetic = False
        self.chars = 0

    def start(self, tag, attrib):
        local = tag.rsplit("}", 1)[-1]
        if local == "row":
            ref = attrib.get("r")
            if ref is not None:
                digits = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz").lstrip("0")
                if digits.isdigit():  # a row number of any length (int() refuses more than 4,300 digits)
                    self.row = _row_number(digits.encode()) - 1
        elif local == "c":
            ref = attrib.get("r")
            if ref is not None:
                m = _REF_TEXT.match(ref)
                if m is None:
                    return  # calamine fails on such a reference: an error, not a crash
                row, self.col = _row_number(m.group(2).encode()) - 1, _ref_col(m.group(1).encode()) - 1
            else:
                row = self.row
            self.max_row = max(self.max_row, row + 1)
            self.max_col = max(self.max_col, self.col + 1)
        elif self.string is None:
            if local in ("si", "is"):
                self.string, self.chars, self.phonetic, self.is_value = tag, 0, False, False
            elif local == "v":
                self.string, self.chars, self.in_text, self.is_value = tag, 0, True, True
            elif local == "f":
                self.has_formulas = True
            elif local == "mergeCell" and attrib.get("ref"):
                if len(self.merges) >= MAX_MERGES:
                    raise _Suspicious()
                self.merges.append(attrib["ref"][:40].encode("ascii", "replace"))
        elif local == "t" and not self.phonetic and not self.is_value:
            self.in_text = True
        elif local == "rPh":
            self.phonetic = True

    def end(self, tag):
        local = tag.rsplit("}", 1)[-1]
        if self.string is not None:
            if tag == self.string:
                self.string, self.in_text, self.is_value = None, False, False
            elif self.is_value:
                pass
            elif local == "t":
                self.in_text = False
            elif local == "rPh":
                self.phonetic = False
        if local == "row":
            self.row += 1
            self.col = 0
        elif local == "c":
            self.col += 1

    def data(self, text):
        if self.in_text:
            # _xHHHH_ escapes become one character; whitespace calamine trims is counted (safe side)
            self.chars += len(text) - 6 * len(_X_ESCAPE.findall(text)) if "_x" in text else len(text)
            if self.chars > MAX_CELL_CHARS:
                raise _TooLong()

    def close(self):
        return None


class _TooLong(Exception):
    pass


_X_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")


def _check_sheet(raw, info: zipfile.ZipInfo, sheet_name: str | None, shared_strings: bool = False, other=None):
    """Refuse a hostile sheet (or shared-strings part); returns the finished scan, whose
    ``has_errors``, ``has_formulas`` and ``merges`` tell the reader what to fix after parsing.
    ``other``: what another process found on the odd pieces (see check_xlsx's ``share``): this one
    checks the even ones, and both together are the scan of every piece."""
    label = f"工作表「{sheet_name}」" if sheet_name else f"工作表 {info.filename}"
    try:
        scan = _scan(raw, info, shared_strings, (0, 2) if other is not None else (0, 1))
        if other is not None:
            found = other()
            if found is None:  # the other process could not: the odd pieces are scanned here too
                found = _scan(raw, info, shared_strings, (1, 2)).found()
            elif found == "refused":
                raise _Suspicious()
            scan.join(found)
    except _Suspicious:
        raise FileError(f"{label}的 XML 结构异常（超长标签或过多合并单元格），已拒绝") from None

    # A dense export of 1,000,000 rows and 60 columns spans 60 million cells: any grid up to MAX_GRID_CELLS,
    # and a larger one at least a quarter filled. What the reader does grows with the grid (every row up to
    # the last, each as wide as its last cell), so a sparse sheet may cost 4 times a dense one of as many
    # cells, never more (calamine, which allocated the whole grid, is no longer the reader).
    limit = max(MAX_GRID_CELLS, GRID_PER_CELL * scan.cells)
    if scan.dimension:
        rows, cols = _dimension_extent(scan.dimension)
        if rows * cols > limit:
            raise FileError(_grid_message(label, f"声明的数据区域 {scan.dimension[:40]}", rows, cols))

    if scan.untrusted or scan.needs_exact:
        exact = _exact_scan(raw, info, label)
        max_row, max_col = exact.max_row, exact.max_col
        scan.has_formulas, scan.merges = exact.has_formulas, exact.merges
    else:
        max_row, max_col = scan.bounds()
    if max_row * max_col > limit:
        ref = f"A1:{_col_letters(max_col)}{max_row}"
        raise FileError(_grid_message(label, f"实际使用区域 {ref}", max_row, max_col))
    if max_row > EXCEL_ROWS or max_col > EXCEL_COLS:
        ref = f"A1:{_col_letters(min(max_col, 26**5))}{max_row}"
        raise FileError(f"{label}的单元格位置 {ref[:40]} 超出 Excel 的上限（{EXCEL_ROWS:,} 行、{EXCEL_COLS:,} 列）："
                        "文件已损坏或被改动过，已拒绝。请在 Excel 中打开后另存，再导入")
    return scan


def _scan(raw, info: zipfile.ZipInfo, shared_strings: bool, share: tuple[int, int]) -> _SheetScan:
    scan = _SheetScan(shared_strings, share)
    for chunk in _inflate(raw, info):
        scan.feed(chunk)
    scan.feed(b"", final=True)
    return scan


def scan_share(path: str | Path, member: str, k: int, n: int):
    """The checks of pieces k, k + n, … of worksheet ``member`` (the other process of check_xlsx's ``share``):
    :meth:`_SheetScan.found`, or ``"refused"``. Anything else wrong with the member (a bomb, a broken zip)
    raises: the process scanning the rest inflates the whole member too and says so itself."""
    with zipfile.ZipFile(path) as zf, open(path, "rb") as raw:
        info = zf.getinfo(member)
        try:  # shared strings as check_xlsx judges the member (a sheet may point at the shared-strings part)
            return _scan(raw, info, _is_shared_strings(_member_key(member)), (k, n)).found()
        except _Suspicious:
            return "refused"


def _exact_scan(raw, info: zipfile.ZipInfo, label: str) -> _ExactScan:
    exact = _ExactScan()
    parser = DefusedXMLParser(target=exact)
    try:
        for chunk in _inflate(raw, info):
            parser.feed(chunk)
        parser.close()
    except (ParseError, DefusedXmlException):
        raise FileError(f"{label}的 XML 无法解析或含有不安全的内容，已拒绝") from None
    except _Suspicious:
        raise FileError(f"{label}的合并单元格过多，已拒绝") from None
    except _TooLong:
        what = "共享字符串表（sharedStrings）" if _is_shared_strings(_member_key(info.filename)) else label
        raise FileError(
            f"{what}中有超过 {MAX_CELL_CHARS:,} 个字符的文本（Excel 单元格的上限），"
            "读取会耗尽内存，已拒绝。请检查文件来源，或在 Excel 中打开确认后另存再导入"
        ) from None
    return exact


def _grid_message(label: str, what: str, rows: int, cols: int) -> str:
    return (
        f"{label}{what} 过大（{rows} 行 × {cols} 列），读取会耗尽内存甚至使程序崩溃，已拒绝。"
        "请在 Excel 中删除数据下方和右侧的多余行列后另存，再导入"
    )


def _dimension_extent(ref: str) -> tuple[int, int]:
    """'A1:XFD1048576' → (rows, cols) counted from A1; (0, 0) when unreadable."""
    m = _REF_TEXT.match(ref.split(":")[-1].strip())
    if m is None:
        return 0, 0
    return _row_number(m.group(2).encode()), _ref_col(m.group(1).encode())  # "$" as a reference's


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def _col_letters(n: int) -> str:
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out or "A"


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} 字节"


# --- cells calamine hands over as empty -------------------------------------------------------

class CellError(str):
    """An Excel error value (#N/A, #DIV/0! …) in a cell. calamine hands these over as empty
    strings, which would read as "empty"; the reader puts this marker in their place instead."""

    __slots__ = ()

    def reason(self, label: str) -> str:
        """Why a row holding this cell in the column ``label`` is rejected."""
        return f"「{label}」是 Excel 错误值 {self}，请更正后重新导出"


class UncomputedFormula(CellError):
    """A formula saved without its result (openpyxl and other tools write no cached value):
    calamine reads it as empty, which would make an amount 0."""

    __slots__ = ()

    def reason(self, label: str) -> str:
        return f"「{label}」是没有计算结果的公式，请在 Excel 中打开并保存后重新导出"


class MergedCell(CellError):
    """A cell of a merged range (its text is the range, "N3:N4") where a value cannot be shared
    between rows: an amount or an ID. See :mod:`processor.io.reader`."""

    __slots__ = ()

    def reason(self, label: str) -> str:
        return (f"「{label}」在合并单元格 {self} 中，无法确定每条结算各自的{label}："
                "请取消合并、逐行填写后重新导出")


CELL_MARKERS = (CellError, UncomputedFormula, MergedCell)  # for `value.__class__ in CELL_MARKERS`

_ERROR_TAG = re.compile(rb'<c\b([^>]*?)\bt="e"([^>]*)>')
_REF_ATTR = re.compile(rb'\br="([A-Za-z]+)([0-9]+)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_CACHED = re.compile(rb"<v(?:\s[^>]*)?>[^<]")  # a <v> with text: the formula's last result
_TYPE_ATTR = re.compile(rb'\bt="([^"]*)"')


def error_cells(path: str | Path, sheet_name: str) -> dict[tuple[int, int], CellError]:
    """(row, column) from 0 → the error value, for every error cell of one worksheet."""
    path = Path(path)
    found: dict[tuple[int, int], CellError] = {}
    with zipfile.ZipFile(path) as zf, path.open("rb") as raw:
        info = _sheet_member(zf.infolist(), raw, sheet_name)
        if info is None:
            return found
        tail = b""
        for chunk in _inflate(raw, info):
            data = tail + chunk
            if b't="e"' in data:
                for m in _ERROR_TAG.finditer(data):
                    ref = _REF_ATTR.search(m.group(1) + m.group(2))
                    if ref is None:
                        continue
                    v = _VALUE.match(data, m.end()) or _VALUE.search(data, m.end(), m.end() + 2000)
                    text = v.group(1).decode("utf-8", "replace") if v else "#错误"
                    found[(int(ref.group(2)) - 1, _col_number(ref.group(1).decode()) - 1)] = CellError(text)
            tail = data[-4096:]
    return found


def uncomputed_formulas(path: str | Path, sheet_name: str) -> dict[tuple[int, int], UncomputedFormula]:
    """(row, column) from 0 → marker, for every formula cell of one worksheet saved without a
    result: a ``<c>`` holding ``<f>`` and no ``<v>`` with text. A string result that is empty
    (``t="str"`` and an empty ``<v>``, as Excel saves ``=""``) is a result, not a missing one."""
    path = Path(path)
    found: dict[tuple[int, int], UncomputedFormula] = {}
    with zipfile.ZipFile(path) as zf, path.open("rb") as raw:
        info = _sheet_member(zf.infolist(), raw, sheet_name)
        if info is None:
            return found
        carry = b""
        for chunk in _inflate(raw, info):
            data = carry + chunk
            cut = data.rfind(b"<c ")  # the last cell may be incomplete: keep it for the next chunk
            if cut <= 0:
                cut = len(data) if len(data) > MAX_TAG_BYTES else 0
            _formula_cells(data[:cut], found)
            carry = data[cut:]
        _formula_cells(carry, found)
    return found


def _formula_cells(data: bytes, found: dict) -> None:
    at = data.find(b"<f")
    while at >= 0:
        start = data.rfind(b"<c ", 0, at)
        end = data.find(b"</c>", at)
        if start < 0 or end < 0:
            return
        if data[at + 2: at + 3] in (b">", b" ", b"/", b"\t", b"\n", b"\r"):
            head = data[start: data.find(b">", start) + 1]
            cell = data[start:end]
            typ = _TYPE_ATTR.search(head)
            ref = _REF_ATTR.search(head)
            if ref is not None and _CACHED.search(cell) is None and not (typ and typ.group(1) == b"str"):
                found[(int(ref.group(2)) - 1, _col_number(ref.group(1).decode()) - 1)] = UncomputedFormula("")
        at = data.find(b"<f", end)
