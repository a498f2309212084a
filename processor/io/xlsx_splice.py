"""Fast xlsx writer: splice streamed rows into a styled template.

The template (see :mod:`xlsx_templates.build`) holds, per sheet, header rows, ONE prototype data
row whose cells carry the styles, and optionally a totals row below it (``=SUM(N5:N5)``).
:func:`write_workbook` copies the template zip member by member and rewrites only the sheets it
fills: data rows are written where the prototype row was, each cell taking the ``s=`` style of
the prototype cell in the same column; rows below the prototype (the totals row) move down, and
ranges that end on the prototype row (``N5:N5``) are widened to the last data row — in formulas,
merged cells, conditional formats, data validations, autofilter and the print area. The sheet
XML is streamed in chunks (never a DOM) and compressed in a second thread — or, for rows rendered in
the renderer process (:mod:`processor.io.render_process`), compressed there and copied into the
member as they are (:mod:`processor.io.deflate`).

Values: ``None`` → an empty cell (kept only when the prototype cell is styled, so the ledger's
borders stay unbroken); ``bool`` → text 是/否; ``int``/``float``/``Decimal`` → number (a Decimal
as its exact string; integers of 15+ digits, which Excel would round, as text; NaN → empty);
``datetime.date``/``datetime`` → Excel serial number (the prototype style gives the format);
:class:`Formula` → ``<f>`` without a cached value; every other ``str`` → inline string, escaped,
XML-illegal characters removed, cut at Excel's 32,767 characters, NEVER a formula.

Output is atomic: a temp file next to ``out``, fsync, then ``os.replace`` (``force``) or an exclusive
hard link (a new file: two runs cannot both write it). The template is only read.
"""
from __future__ import annotations

import datetime as _dt
import errno
import itertools
import math
import numbers
import operator
import os
import posixpath
import queue
import re
import secrets
import signal
import string
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import NoneType
from typing import Callable, Iterable, Sequence

from defusedxml.ElementTree import fromstring as _parse_xml

from ..errors import FileError, InputError
from . import child, deflate, render_process

__all__ = ["Formula", "SheetFill", "write_workbook", "check_output", "make_folder", "lock_files", "remove_stale_temps",
           "COMPRESS_LEVEL"]

COMPRESS_LEVEL = 1  # deflate level of streamed sheets; 100k rows: 0.5 s / 15.6 MB at 1, 0.75 s / 14.3 MB at 3, 1.6 s / 12.2 MB at 6
_CHUNK_ROWS = 1000          # rows joined into one string before encoding
_SPILL_LIMIT = 1_000_000_000  # estimated sheet bytes above which rows go through a temp file first
_MAX_ROWS = 1_048_576
_MAX_TEXT = 32_767

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


class Formula(str):
    """A cell formula, e.g. ``Formula("SUM(N5:N9)")`` (a leading ``=`` is allowed and dropped).

    ``Formula(text, cached=1234.5)`` also writes the value a spreadsheet would compute, so the cell shows
    it before any recalculation and in viewers that never calculate (a number only)."""

    __slots__ = ("cached",)

    def __new__(cls, text: str, cached: float | int | None = None):
        obj = super().__new__(cls, text)
        obj.cached = cached
        return obj


@dataclass
class SheetFill:
    """Rows for one sheet. ``rows`` may be any iterable (a generator is streamed via a temp file).

    ``fit`` — column (1-based) → ``(cap, summed)``: the column is widened (never narrowed below the
    template's width) to fit the widest value written into it, at most ``cap`` units; ``summed``
    columns also fit the sum of their numbers (the totals row shows it). Widths are Excel units: a
    CJK character counts 2, a number its ``#,##0.00`` text, plus a margin of 2.
    ``col_breaks`` — given the final widths (column → units, every column of the sheet), the columns
    after which a new page starts when printed (written as ``<colBreaks>``).
    ``page_header`` — the printed page header (Excel header codes, e.g. ``&C&B标题``) of every page but
    the first, which shows the sheet's own title rows; the footer stays the template's on all pages.
    ``wrap`` — column → the width its text wraps at: a row whose text needs several lines there gets
    that height (neither Excel nor LibreOffice sizes rows of a file on opening it; wrapped lines
    would overlap the next row).
    """

    rows: Iterable[Sequence[object]]
    prototype_row: int
    totals_row: int | None = None
    fit: dict[int, tuple[float, bool]] | None = None
    col_breaks: Callable[[dict[int, float]], list[int]] | None = None
    page_header: str | None = None
    wrap: dict[int, float] | None = None


# --------------------------------------------------------------------------------------------
# text and numbers

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NEEDS_WORK = re.compile("[&<>\x00-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_|^\\s|\\s$")
_EXCEL_ESCAPE = re.compile("_(x[0-9A-Fa-f]{4}_)")


def _clean_text(text: str) -> tuple[str, bool]:
    """→ (XML-escaped text for <t>, needs xml:space="preserve")."""
    text = _ILLEGAL.sub("", text)
    if len(text) > _MAX_TEXT:
        text = text[:_MAX_TEXT]
    preserve = bool(text) and (text[0].isspace() or text[-1].isspace())
    text = _EXCEL_ESCAPE.sub(r"_x005F_\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return text, preserve


def _inline(text: str) -> str:
    """The part of a cell after its attributes: ``' t="inlineStr"><is><t>…</t></is></c>'``."""
    if _NEEDS_WORK.search(text) is None and len(text) <= _MAX_TEXT:
        return f' t="inlineStr"><is><t>{text}</t></is></c>'
    text, preserve = _clean_text(text)
    if preserve:
        return f' t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    return f' t="inlineStr"><is><t>{text}</t></is></c>'


def _escape_formula(text: str) -> str:
    text = _ILLEGAL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_YES = _inline("是")
_NO = _inline("否")
_BIG_INT = 10**15
_EPOCH_1900 = _dt.date(1899, 12, 30)
_EPOCH_1904 = _dt.date(1904, 1, 1)

# kinds of values, decided once per type (exact int/float have fast paths in the renderer)
(_K_NONE, _K_STR, _K_INT, _K_FLOAT, _K_DEC, _K_BOOL, _K_DATE, _K_DATETIME, _K_FORMULA,
 _K_INTEGRAL, _K_REAL, _K_OTHER) = range(12)
_KINDS: dict[type, int] = {
    type(None): _K_NONE, str: _K_STR, int: _K_INT, float: _K_FLOAT, Decimal: _K_DEC, bool: _K_BOOL,
    _dt.date: _K_DATE, _dt.datetime: _K_DATETIME, Formula: _K_FORMULA,
}


def _kind_of(value: object) -> int:
    t = type(value)
    kind = _KINDS.get(t)
    if kind is None:
        kind = _classify(t)
        _KINDS[t] = kind
    return kind


def _classify(t: type) -> int:
    if t.__name__ in ("NAType", "NaTType"):  # pandas' missing values (NaT is a datetime subclass)
        return _K_NONE
    if issubclass(t, Formula):
        return _K_FORMULA
    if issubclass(t, str):
        return _K_STR
    if issubclass(t, bool) or t.__name__ == "bool_":
        return _K_BOOL
    if issubclass(t, _dt.datetime):
        return _K_DATETIME
    if issubclass(t, _dt.date):
        return _K_DATE
    if issubclass(t, Decimal):
        return _K_DEC
    if issubclass(t, numbers.Integral):
        return _K_INTEGRAL
    if issubclass(t, numbers.Real):
        return _K_REAL
    return _K_OTHER


class _Values:
    """Per-workbook conversion of the rarer value kinds (dates depend on date1904)."""

    def __init__(self, date1904: bool):
        self.epoch = _EPOCH_1904 if date1904 else _EPOCH_1900
        self.date1904 = date1904

    def date_serial(self, value: _dt.date) -> str:
        days = (value - self.epoch).days
        if not self.date1904 and days < 61:  # Excel's fictitious 1900-02-29
            days -= 1
        return str(days)

    def datetime_serial(self, value: _dt.datetime) -> str:
        value = value.replace(tzinfo=None)
        day = value.date()
        days = int(self.date_serial(day))
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
        if seconds == 0:
            return str(days)
        return repr(days + seconds / 86400)

    def cell_tail(self, kind: int, value) -> str | None:
        """The cell text after ``<c r=".." s=".."`` for any value; None → no value."""
        if kind == _K_NONE:
            return None
        if kind == _K_STR:
            return _inline(value) if value else None
        if kind == _K_BOOL:
            return _YES if value else _NO
        if kind == _K_INT or kind == _K_INTEGRAL:
            value = int(value)
            if -_BIG_INT < value < _BIG_INT:
                return f"><v>{value}</v></c>"
            return _inline(str(value))
        if kind == _K_FLOAT or kind == _K_REAL:
            value = float(value)
            if math.isnan(value):
                return None
            if math.isinf(value):
                raise InputError("数值无效（无穷大），无法写入 Excel")
            return f"><v>{value!r}</v></c>"
        if kind == _K_DEC:
            if value.is_nan():
                return None
            if not value.is_finite():
                raise InputError("数值无效（无穷大），无法写入 Excel")
            return f"><v>{value}</v></c>"
        if kind == _K_DATETIME:
            return f"><v>{self.datetime_serial(value)}</v></c>"
        if kind == _K_DATE:
            return f"><v>{self.date_serial(value)}</v></c>"
        if kind == _K_FORMULA:
            text = str.__str__(value)
            if text.startswith("="):
                text = text[1:]
            cached = getattr(value, "cached", None)
            if cached is not None and type(cached) in (int, float) and math.isfinite(cached):
                return f"><f>{_escape_formula(text)}</f><v>{cached!r}</v></c>"
            return f"><f>{_escape_formula(text)}</f></c>"
        # anything else: its text
        try:
            if value != value:  # NaN-like
                return None
        except Exception:  # noqa: BLE001 - odd __ne__ (pandas.NA …)
            pass
        return _inline(str(value))


# --------------------------------------------------------------------------------------------
# cell references

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _col_letter(index: int) -> str:
    """1 → A."""
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = _LETTERS[rem] + out
    return out


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def _split_ref(ref: str) -> tuple[int, int]:
    m = _CELL_REF.match(ref)
    if not m:
        raise ValueError(f"不是单元格地址：{ref}")
    return _col_index(m.group(1)), int(m.group(2))


class _Shift:
    """Row arithmetic when rows proto+1… move down by ``delta`` and the data fill proto…last."""

    def __init__(self, proto: int, delta: int):
        self.proto = proto
        self.delta = delta

    def row(self, r: int) -> int:
        return r + self.delta if r > self.proto else r

    def span(self, r1: int, r2: int) -> tuple[int, int]:
        lo, hi = min(r1, r2), max(r1, r2)
        lo2 = lo + self.delta if lo > self.proto else lo
        hi2 = hi + self.delta if hi >= self.proto else hi
        return (lo2, hi2) if r1 <= r2 else (hi2, lo2)


# a cell or range reference inside a formula, not sheet-qualified, not part of a name/function
_FORMULA_REF = re.compile(
    r"(?<![A-Za-z0-9_.!:$'\"\]])"
    r"(\$?[A-Z]{1,3}\$?)(\d+)(?::(\$?[A-Z]{1,3}\$?)(\d+))?"
    r"(?![A-Za-z0-9_(!])"
)


def _shift_formula(text: str, shift: _Shift) -> str:
    """Rewrite same-sheet references of a formula (string literals are left alone)."""
    if shift.delta == 0:
        return text
    parts = text.split('"')
    for i in range(0, len(parts), 2):  # outside string literals
        parts[i] = _FORMULA_REF.sub(lambda m: _shift_ref_match(m, shift), parts[i])
    return '"'.join(parts)


def _shift_ref_match(m: re.Match, shift: _Shift) -> str:
    c1, r1, c2, r2 = m.group(1), int(m.group(2)), m.group(3), m.group(4)
    if c2 is None:
        return f"{c1}{shift.row(r1)}"
    a, b = shift.span(r1, int(r2))
    return f"{c1}{a}:{c2}{b}"


_AREA = re.compile(r"(\$?[A-Za-z]{1,3}\$?)(\d+)(?::(\$?[A-Za-z]{1,3}\$?)(\d+))?")


def _shift_sqref(value: str, shift: _Shift) -> str:
    """A space-separated list of areas (mergeCell ref, sqref) → shifted."""
    return _AREA.sub(lambda m: _shift_ref_match(m, shift), value)


_ROWS_ONLY = re.compile(r"^(\$?)(\d+):(\$?)(\d+)$")


def _shift_area_text(area: str, shift: _Shift) -> str:
    """An area after ``Sheet!`` in a defined name: A1:X6, $A$1:$X$6, $3:$4, $A:$B."""
    m = _ROWS_ONLY.match(area)
    if m:
        a, b = shift.span(int(m.group(2)), int(m.group(4)))
        return f"{m.group(1)}{a}:{m.group(3)}{b}"
    return _AREA.sub(lambda mm: _shift_ref_match(mm, shift), area)


# --------------------------------------------------------------------------------------------
# template sheet parsing (the template is small; rows are kept as text)

_ATTR = re.compile(r'([\w:.-]+)\s*=\s*"([^"]*)"')
_ROW = re.compile(r"<row\b([^>]*?)(/>|>(.*?)</row>)", re.S)
_CELL = re.compile(r"<c\b([^>]*?)(/>|>(.*?)</c>)", re.S)
_FORMULA_EL = re.compile(r"(<f\b[^>]*>)(.*?)(</f>)", re.S)
_VALUE_EL = re.compile(r"<v\b[^>]*/>|<v\b[^>]*>.*?</v>", re.S)


class _Cell:
    __slots__ = ("col", "attrs", "inner")

    def __init__(self, col: int, attrs: list[tuple[str, str]], inner: str | None):
        self.col = col
        self.attrs = attrs  # without r
        self.inner = inner  # None for <c …/>

    def attr(self, name: str) -> str | None:
        for k, v in self.attrs:
            if k == name:
                return v
        return None

    def xml(self, row: int) -> str:
        attrs = "".join(f' {k}="{v}"' for k, v in self.attrs)
        ref = f"{_col_letter(self.col)}{row}"
        if self.inner is None:
            return f'<c r="{ref}"{attrs}/>'
        return f'<c r="{ref}"{attrs}>{self.inner}</c>'


class _Row:
    __slots__ = ("r", "attrs", "cells")

    def __init__(self, r: int, attrs: list[tuple[str, str]], cells: list[_Cell]):
        self.r = r
        self.attrs = attrs
        self.cells = cells

    def attrs_xml(self) -> str:
        return "".join(f' {k}="{v}"' for k, v in self.attrs)

    def xml(self, r: int | None = None, shift: _Shift | None = None) -> str:
        r = self.r if r is None else r
        cells = []
        for cell in self.cells:
            if shift is not None and cell.inner and "<f" in cell.inner:
                inner = _FORMULA_EL.sub(
                    lambda m: m.group(1) + _shift_formula(m.group(2), shift) + m.group(3), cell.inner)
                inner = _VALUE_EL.sub("", inner)  # a cached value is stale now
                cells.append(_Cell(cell.col, [(k, v) for k, v in cell.attrs if k != "t"], inner).xml(r))
            else:
                cells.append(cell.xml(r))
        return f'<row r="{r}"{self.attrs_xml()}>{"".join(cells)}</row>'


def _parse_rows(body: str, where: str) -> list[_Row]:
    rows: list[_Row] = []
    pos = 0
    last_r = 0
    for m in _ROW.finditer(body):
        if body[pos:m.start()].strip():
            raise FileError(f"模板工作表结构无法识别：{where}")
        pos = m.end()
        attrs = _ATTR.findall(m.group(1))
        r_text = dict(attrs).get("r")
        r = int(r_text) if r_text else last_r + 1
        last_r = r
        cells: list[_Cell] = []
        col = 0
        for cm in _CELL.finditer(m.group(3) or ""):
            cattrs = _ATTR.findall(cm.group(1))
            ref = dict(cattrs).get("r")
            col = _split_ref(ref)[0] if ref else col + 1
            cells.append(_Cell(col, [(k, v) for k, v in cattrs if k != "r"], cm.group(3)))
        rows.append(_Row(r, [(k, v) for k, v in attrs if k != "r"], cells))
    if body[pos:].strip():
        raise FileError(f"模板工作表结构无法识别：{where}")
    return rows


class _SheetXml:
    """A template sheet split into head / rows / tail."""

    def __init__(self, xml: str, where: str):
        self.where = where
        m = re.search(r"<sheetData\b[^>]*?(/?)>", xml)
        if not m:
            raise FileError(f"模板工作表没有数据区：{where}")
        if m.group(1):
            self.head = xml[:m.start()] + "<sheetData>"
            self.rows: list[_Row] = []
            self.tail = "</sheetData>" + xml[m.end():]
        else:
            end = xml.find("</sheetData>", m.end())
            if end < 0:
                raise FileError(f"模板工作表结构无法识别：{where}")
            self.head = xml[:m.end()]
            self.rows = _parse_rows(xml[m.end():end], where)
            self.tail = xml[end:]

    def set_text(self, ref: str, text: str) -> None:
        col, r = _split_ref(ref)
        row = next((x for x in self.rows if x.r == r), None)
        if row is None:
            row = _Row(r, [], [])
            self.rows.append(row)
            self.rows.sort(key=lambda x: x.r)
        cell = next((c for c in row.cells if c.col == col), None)
        style = cell.attr("s") if cell is not None else None
        attrs = [("s", style)] if style is not None else []
        escaped, preserve = _clean_text(text)
        space = ' xml:space="preserve"' if preserve else ""
        new = _Cell(col, attrs + [("t", "inlineStr")], f"<is><t{space}>{escaped}</t></is>")
        if cell is not None:
            row.cells[row.cells.index(cell)] = new
        else:
            row.cells.append(new)
            row.cells.sort(key=lambda c: c.col)

    def xml(self) -> str:
        return self.head + "".join(row.xml() for row in self.rows) + self.tail


_DIMENSION = re.compile(r'(<dimension\b[^>]*?\bref=")([^"]*)(")')
_TAIL_REFS = re.compile(
    r'(<(?:mergeCell|autoFilter|hyperlink|conditionalFormatting|dataValidation|protectedRange|ignoredError)'
    r'\b[^>]*?\b(?:ref|sqref)=")([^"]*)(")'
)


# --------------------------------------------------------------------------------------------
# workbook structure

@dataclass
class _Book:
    workbook_part: str
    workbook_xml: str
    rels_part: str
    rels_xml: str
    sheets: dict[str, tuple[int, str]]   # name -> (index, zip member)
    date1904: bool
    calc_chain: str | None                # zip member of calcChain.xml, if any


def _read_text(zf: zipfile.ZipFile, name: str) -> str:
    try:
        return zf.read(name).decode("utf-8")
    except KeyError:
        raise FileError(f"模板缺少部件 {name}") from None


def _resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def _rels_part(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def _load_book(zf: zipfile.ZipFile) -> _Book:
    workbook_part = "xl/workbook.xml"
    if "_rels/.rels" in zf.namelist():
        root = _parse_xml(_read_text(zf, "_rels/.rels"))
        for rel in root.iter(f"{{{_NS_PKG_REL}}}Relationship"):
            if rel.get("Type", "").endswith("/officeDocument"):
                workbook_part = _resolve("", rel.get("Target", ""))
    workbook_xml = _read_text(zf, workbook_part)
    rels_part = _rels_part(workbook_part)
    rels_xml = _read_text(zf, rels_part)
    wb = _parse_xml(workbook_xml)
    rels = _parse_xml(rels_xml)
    targets: dict[str, str] = {}
    calc_chain = None
    for rel in rels.iter(f"{{{_NS_PKG_REL}}}Relationship"):
        part = _resolve(workbook_part, rel.get("Target", ""))
        targets[rel.get("Id", "")] = part
        if rel.get("Type", "").endswith("/calcChain"):
            calc_chain = part
    sheets: dict[str, tuple[int, str]] = {}
    for index, sheet in enumerate(wb.iter(f"{{{_NS_MAIN}}}sheet")):
        rid = sheet.get(f"{{{_NS_REL}}}id")
        if rid in targets:
            sheets[sheet.get("name", "")] = (index, targets[rid])
    pr = wb.find(f"{{{_NS_MAIN}}}workbookPr")
    date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
    return _Book(workbook_part, workbook_xml, rels_part, rels_xml, sheets, date1904, calc_chain)


def _xml_unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_SHEET_AREA = re.compile(r"((?:'(?:[^']|'')+'|[^\s'!,()=+\-*/&^<>:;]+)!)([$A-Za-z0-9:]+)")


def _shift_defined_names(workbook_xml: str, sheet_name: str, shift: _Shift) -> str:
    quoted = "'" + sheet_name.replace("'", "''") + "'"

    def fix_area(m: re.Match) -> str:
        prefix = m.group(1)[:-1]
        if prefix not in (quoted, sheet_name):
            return m.group(0)
        return m.group(1) + _shift_area_text(m.group(2), shift)

    def fix_name(m: re.Match) -> str:
        text = _xml_unescape(m.group(2))
        return m.group(1) + _xml_escape(_SHEET_AREA.sub(fix_area, text)) + m.group(3)

    return re.sub(r"(<definedName\b[^>]*>)(.*?)(</definedName>)", fix_name, workbook_xml, flags=re.S)


def _full_calc_on_load(workbook_xml: str) -> str:
    m = re.search(r"<calcPr\b[^>]*?/?>", workbook_xml)
    if m:
        tag = m.group(0)
        if re.search(r'\bfullCalcOnLoad="[^"]*"', tag):
            new = re.sub(r'\bfullCalcOnLoad="[^"]*"', 'fullCalcOnLoad="1"', tag)
        else:
            new = re.sub(r"^<calcPr\b", '<calcPr fullCalcOnLoad="1"', tag)
        return workbook_xml[:m.start()] + new + workbook_xml[m.end():]
    for anchor in ("</definedNames>", "</externalReferences>", "</functionGroups>", "</sheets>"):
        i = workbook_xml.find(anchor)
        if i >= 0:
            i += len(anchor)
            return workbook_xml[:i] + '<calcPr fullCalcOnLoad="1"/>' + workbook_xml[i:]
    return workbook_xml


def _drop_calc_chain(book: _Book, content_types: str) -> tuple[str, str]:
    rels = re.sub(r"<Relationship\b[^>]*?Type=\"[^\"]*/calcChain\"[^>]*?/>", "", book.rels_xml)
    ct = re.sub(r"<Override\b[^>]*?PartName=\"/" + re.escape(book.calc_chain or "") + r"\"[^>]*?/>",
                "", content_types)
    return rels, ct


# --------------------------------------------------------------------------------------------
# streaming

class _ThreadedSink:
    """Hands byte chunks to a zip member writer running in a second thread (zlib drops the GIL)."""

    def __init__(self, target):
        self._target = target
        self._queue: queue.Queue = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="xlsx-splice-deflate", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            chunk = self._queue.get()
            if chunk is None:
                return
            if self._error is None:
                try:
                    self._target.write(chunk)
                except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                    self._error = exc

    def write(self, chunk: bytes) -> None:
        while True:
            if self._error is not None:
                raise self._error
            try:
                self._queue.put(chunk, timeout=0.2)
                return
            except queue.Full:
                if not self._thread.is_alive():  # pragma: no cover - defensive
                    raise RuntimeError("压缩线程意外退出") from None

    def close(self) -> None:
        """Wait for the writer; re-raise its error."""
        self.stop()
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        if self._thread.is_alive():
            while True:
                try:
                    self._queue.put(None, timeout=0.2)
                    break
                except queue.Full:
                    if not self._thread.is_alive():
                        break
            self._thread.join()


_SPECIAL_CHAR = re.compile("[&<>\x00-\x1f\ud800-\udfff\ufffe\uffff]")
_EMPTY_INLINE = ' t="inlineStr"><is><t></t></is></c>'
_BOOL_TEXT = {True: "是", False: "否"}
_FAST_TYPES = frozenset({NoneType, str, int, float, Decimal, _dt.date, bool})


def _getter(indexes: list[int]) -> Callable[[Sequence[object]], tuple]:
    """itemgetter that always returns a tuple."""
    if len(indexes) == 1:
        (i,) = indexes
        return lambda values: (values[i],)
    return operator.itemgetter(*indexes)


class _Measure:
    """Widest display text per fitted column, fed chunks of value rows (C-level passes per column)."""

    def __init__(self, fit: dict[int, tuple[float, bool]]):
        self.fit = fit
        self.cols = sorted(fit)
        self.text = dict.fromkeys(self.cols, 0)      # widest text, in units
        self.hi = dict.fromkeys(self.cols, 0.0)      # largest number
        self.lo = dict.fromkeys(self.cols, 0.0)      # smallest number
        # the running sum of a summed column's numbers: only to size the column for its total
        # (a display width, not an amount; the total itself is the sheet's own formula)
        self.sum = dict.fromkeys(self.cols, 0.0)
        self.dates: set[int] = set()
        self.fractional: set[int] = set()  # columns with non-integer numbers (#,##0.00)

    def feed(self, chunk: list[Sequence[object]]) -> None:
        if not chunk:
            return
        columns = list(itertools.zip_longest(*chunk))
        for c in self.cols:
            if c > len(columns):
                continue
            col = columns[c - 1]
            types = set(map(type, col))  # a column of one type (most are) is taken whole, not filtered
            if str in types:
                strs = col if len(types) == 1 else [v for v in col if type(v) is str]
                # UTF-8 bytes + characters: an ASCII character 1+1, a CJK character 3+1 → halved 1 and 2
                w = max(map(operator.add, map(len, map(str.encode, strs)), map(len, strs))) // 2
                if w > self.text[c]:
                    self.text[c] = w
            number_types = types & _NUMBER_TYPES
            if number_types:
                nums = col if types <= _NUMBER_TYPES else [v for v in col if type(v) in _NUMBER_TYPES]
                hi, lo = max(nums), min(nums)
                if hi > self.hi[c]:
                    self.hi[c] = float(hi)
                if lo < self.lo[c]:
                    self.lo[c] = float(lo)
                if self.fit[c][1]:
                    self.sum[c] += math.fsum(map(abs, nums))
                if c not in self.fractional and number_types - {int}:
                    self.fractional.add(c)
            if c not in self.dates and any(issubclass(t, _dt.date) for t in types):
                self.dates.add(c)

    def widths(self) -> dict[int, float]:
        out = {}
        for c in self.cols:
            cap, summed = self.fit[c]
            w = self.text[c]
            for number in (self.hi[c], self.lo[c], self.sum[c] if summed else 0.0):
                if number:
                    w = max(w, len(f"{number:,.2f}") if c in self.fractional else len(str(int(number))))
            if c in self.dates:
                w = max(w, 10)
            if w:
                out[c] = min(w + 2, cap)
        return out


_NUMBER_TYPES = frozenset({int, float, Decimal})
_LINE_PT = 14  # one line of 10 pt text


def _percent(template: str) -> tuple[str, Callable]:
    """A ``str.format`` template of numbered fields as a %-template and the picker of its arguments:
    ``text % pick(args) == template.format(*args)``. %-formatting fills a row's 80-odd fields in 4.1 µs where
    str.format takes 5.3, the largest part of rendering a 台账 row (tests/io/test_xlsx_splice.py)."""
    text, slots = [], []
    for literal, field, spec, conversion in string.Formatter().parse(template):
        text.append(literal.replace("%", "%%"))
        if field is not None:
            if spec or conversion:
                raise ValueError(f"模板字段不支持格式说明：{field}")  # plan() writes none
            text.append("%s")
            slots.append(int(field))
    if len(slots) > 1:
        return "".join(text), operator.itemgetter(*slots)
    return "".join(text), lambda args: tuple(args[k] for k in slots)  # itemgetter of one gives no tuple


class _RowRenderer:
    """Turns value rows into ``<row>`` XML, styles taken from the prototype row.

    Each row's tuple of value types picks a precompiled ``str.format`` template for the whole row
    (checked with a few C-level passes: one regex over the row's joined texts, strip() of the
    texts, min/max of the ints, finiteness of the floats); rows that fail a check or hold rarer types (Formula,
    datetime, big ints, texts needing escapes …) go through the per-cell path.
    """

    def __init__(self, proto: _Row, values: _Values, where: str):
        self.ncols = max((c.col for c in proto.cells), default=0)
        styles: list[str | None] = [None] * self.ncols
        for c in proto.cells:
            styles[c.col - 1] = c.attr("s")
        self.letters = [_col_letter(i + 1) for i in range(self.ncols)]
        self.heads = [f'<c r="{x}' for x in self.letters]
        self.style_attr = [f'" s="{s}"' if s not in (None, "0") else '"' for s in styles]
        self.empty = [f'" s="{s}"/>' if s not in (None, "0") else None for s in styles]
        self.row_attrs = proto.attrs_xml()
        self.row_open = '<row r="{}"' + _brace_escape(self.row_attrs) + ">"
        self.values = values
        self.where = where
        self.plans: dict[tuple, Callable | None] = {}
        self.wraps: list[tuple[int, int]] = []  # (0-based column, units of text per line)
        self.date_offset = values.epoch.toordinal()
        self.min_serial = 0 if values.date1904 else 61

    # -- per-cell path -----------------------------------------------------------------------
    def slow_row(self, values: Sequence[object], r: int) -> str:
        heads, style_attr, empty = self.heads, self.style_attr, self.empty
        cell_tail = self.values.cell_tail
        rs = str(r)
        out = [self.row_open.format(rs)]
        append = out.append
        for i, v in enumerate(values):
            tail = cell_tail(_kind_of(v), v)
            if tail is None:
                if empty[i] is not None:
                    append(heads[i] + rs + empty[i])
            else:
                append(heads[i] + rs + style_attr[i] + tail)
        for i in range(len(values), self.ncols):
            if empty[i] is not None:
                append(heads[i] + rs + empty[i])
        append("</row>")
        return "".join(out)

    # -- per-signature path ------------------------------------------------------------------
    def plan(self, sig: tuple) -> Callable | None:
        """A function (values, r) → row XML or None (then the per-cell path is used)."""
        if len(sig) > self.ncols:
            raise ValueError(f"{self.where}：一行有{len(sig)}列，模板只有{self.ncols}列")
        n = len(sig)
        if any(t not in _FAST_TYPES for t in sig):
            return None
        str_idx = [i for i, t in enumerate(sig) if t is str]
        int_idx = [i for i, t in enumerate(sig) if t is int]
        float_idx = [i for i, t in enumerate(sig) if t is float]
        dec_idx = [i for i, t in enumerate(sig) if t is Decimal]
        date_idx = [i for i, t in enumerate(sig) if t is _dt.date]
        bool_idx = [i for i, t in enumerate(sig) if t is bool]
        # format arguments: 0 = row number, 1..n = the values, then date serials, then bool texts
        extra = {i: n + 1 + j for j, i in enumerate(date_idx + bool_idx)}
        parts = [self.row_open.replace("{}", "{0}")]
        for i in range(self.ncols):
            t = sig[i] if i < n else NoneType
            head = f'<c r="{self.letters[i]}{{0}}'
            if t is NoneType:
                if self.empty[i] is not None:
                    parts.append(head + _brace_escape(self.empty[i]))
                continue
            head += _brace_escape(self.style_attr[i])
            if t is str:
                parts.append(head + f' t="inlineStr"><is><t>{{{i + 1}}}</t></is></c>')
            elif t is bool:
                parts.append(head + f' t="inlineStr"><is><t>{{{extra[i]}}}</t></is></c>')
            elif t is _dt.date:
                parts.append(head + f"><v>{{{extra[i]}}}</v></c>")
            else:
                parts.append(head + f"><v>{{{i + 1}}}</v></c>")
        parts.append("</row>")
        template, pick = _percent("".join(parts))

        get_str = _getter(str_idx) if str_idx else None
        get_int = _getter(int_idx) if int_idx else None
        get_float = _getter(float_idx) if float_idx else None
        get_dec = _getter(dec_idx) if dec_idx else None
        get_date = _getter(date_idx) if date_idx else None
        get_bool = _getter(bool_idx) if bool_idx else None
        special = _SPECIAL_CHAR.search
        join, strip = "".join, str.strip
        big, offset, min_serial = _BIG_INT, self.date_offset, self.min_serial
        isfinite, dec_finite, toordinal = math.isfinite, Decimal.is_finite, _dt.date.toordinal
        bool_text = _BOOL_TEXT

        def render(values: Sequence[object], r: int) -> str | None:
            strs = None
            if get_str is not None:
                strs = get_str(values)
                joined = join(strs)
                # no escapes, no _xHHHH_, no edge whitespace (xml:space), not over-long
                if (special(joined) is not None or "_x" in joined or len(joined) > _MAX_TEXT
                        or tuple(map(strip, strs)) != strs):
                    return None
            if get_int is not None:
                ints = get_int(values)
                if max(ints) >= big or min(ints) <= -big:
                    return None
            if get_float is not None and not all(map(isfinite, get_float(values))):
                return None
            if get_dec is not None and not all(map(dec_finite, get_dec(values))):
                return None
            if get_date is not None:
                serials = [o - offset for o in map(toordinal, get_date(values))]
                if min(serials) < min_serial:
                    return None
                if get_bool is not None:
                    serials.extend(map(bool_text.__getitem__, get_bool(values)))
                line = template % pick((r, *values, *serials))
            elif get_bool is not None:
                line = template % pick((r, *values, *map(bool_text.__getitem__, get_bool(values))))
            else:
                line = template % pick((r, *values))
            if strs is not None and not all(strs):
                line = line.replace(_EMPTY_INLINE, "/>")
            return line

        return render

    def render(self, rows: Iterable[Sequence[object]], first: int, emit: Callable[[bytes], None],
               measure: _Measure | None = None) -> int:
        """Write all rows (row numbers from ``first``); returns how many. ``measure`` sees every row."""
        plans = self.plans
        make_plan = self.plan
        slow_row = self.slow_row
        buf: list[str] = []
        append = buf.append
        r = first
        if measure is not None:
            rows = _measured(rows, measure)
        wraps = self.wraps
        for values in rows:
            sig = tuple(map(type, values))
            try:
                plan = plans[sig]
            except KeyError:
                plan = plans[sig] = make_plan(sig)
            line = plan(values, r) if plan is not None else None
            if line is None:
                line = slow_row(values, r)
            if wraps:
                lines = 1
                n = len(values)
                for i, per_line in wraps:
                    v = values[i] if i < n else None
                    if type(v) is str and len(v) > per_line // 2:
                        k = -(-((len(v.encode()) + len(v)) // 2) // per_line)
                        if k > lines:
                            lines = k
                if lines > 1:  # the first ">" closes the <row …> tag
                    line = line.replace(">", f' ht="{lines * _LINE_PT + 2:g}" customHeight="1">', 1)
            append(line)
            r += 1
            if len(buf) == _CHUNK_ROWS:
                emit("".join(buf).encode("utf-8"))
                buf.clear()
        if buf:
            emit("".join(buf).encode("utf-8"))
        return r - first


def _measured(rows: Iterable[Sequence[object]], measure: _Measure):
    """``rows`` unchanged, each chunk of them shown to ``measure`` first."""
    it = iter(rows)
    while True:
        chunk = list(itertools.islice(it, _CHUNK_ROWS))
        if not chunk:
            return
        measure.feed(chunk)
        yield from chunk


def _brace_escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


# --------------------------------------------------------------------------------------------

def write_workbook(
    template: Path,
    out: Path,
    sheets: dict[str, SheetFill],
    cell_text: dict[str, dict[str, str]] | None = None,
    force: bool = False,
) -> Path:
    """Fill ``template`` with ``sheets`` (and header texts ``cell_text``) and write ``out`` atomically.

    ``cell_text`` addresses are template coordinates (e.g. ``{"台账": {"A1": "赣州市医疗救助待遇台账"}}``).
    Raises :class:`FileError` if ``out`` exists and not ``force``, is open in Excel/WPS/LibreOffice, or
    cannot be written (read-only folder, disk full), or the template is unusable; the previous ``out``
    is then untouched and no temp file is left. Returns ``out``.

    The rows go to ``.{out.name}.yibao-<pid>-<token>.tmp`` beside ``out``; the last step is
    ``os.replace`` with ``force``, otherwise a hard link that fails if ``out`` appeared meanwhile (two
    runs to the same new file: exactly one wins). SIGTERM/SIGHUP during the write removes the temp
    file and raises :class:`FileError`; temp files of earlier runs killed outright (kill -9, power
    cut) are removed at the start once their process is gone and they are a few minutes old.
    """
    template = Path(template)
    out = Path(out)
    cell_text = cell_text or {}
    if not template.is_file():
        raise FileError(f"模板文件不存在：{template}")
    if out.is_dir():
        raise FileError(f"输出路径是一个文件夹：{out}")
    if out.exists():
        if out.resolve() == template.resolve() or os.path.samefile(out, template):
            raise FileError(f"输出文件不能是模板本身：{out}")
    check_output(out, force)
    if not out.parent.is_dir():
        raise FileError(f"输出目录不存在：{out.parent}")
    return write_atomically(out, force, lambda fh: _write_zip(template, fh, sheets, cell_text, out.parent))


def write_atomically(out: Path, force: bool, produce: Callable) -> Path:
    """Write ``out`` through ``produce(fh)`` (a binary file object) with the guarantees of
    :func:`write_workbook`: temp file beside ``out``, fsync, exclusive or forced rename, SIGTERM removes
    the temp file, stale temps of killed runs cleaned. Small report workbooks built with openpyxl use
    it as ``write_atomically(out, force, wb.save)``. Returns ``out``."""
    out = Path(out)
    check_output(out, force)
    if not out.parent.is_dir():
        raise FileError(f"输出目录不存在：{out.parent}")
    remove_stale_temps(out.parent)
    tmp = out.parent / f".{out.name}{_TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    except OSError as exc:
        raise FileError(_os_message(exc, out)) from None
    try:
        with _TerminateRemoves(tmp, out) as guard:
            _set_mode(str(tmp), out)
            with os.fdopen(fd, "wb") as fh:
                produce(fh)
                fh.flush()
                os.fsync(fh.fileno())
            guard.hold()
            _commit(tmp, out, force)
    except OSError as exc:
        _unlink_quietly(tmp)
        raise FileError(_os_message(exc, out)) from None
    except BaseException:
        _unlink_quietly(tmp)
        raise
    try:  # make the rename durable too
        dir_fd = os.open(out.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:  # pragma: no cover - e.g. filesystems without directory fsync
        pass
    return out


_TMP_MARK = ".yibao-"
_TMP_NAME = re.compile(r"^\..+\.yibao-(\d+)-[0-9a-f]+\.tmp$")
_LEGACY_TMP_NAME = re.compile(r"^\..+\.xlsx\.[a-z0-9_]{8}\.tmp$")  # mkstemp names of earlier versions
STALE_SECONDS = 300          # a temp file untouched this long, of a process that is gone, is abandoned
_LEGACY_STALE_SECONDS = 3600  # no pid in the name: age alone


def lock_files(out: Path) -> list[Path]:
    """The lock files an office program keeps beside ``out`` while it has it open:
    ``~$name`` (Excel, WPS) and ``.~lock.name#`` (LibreOffice)."""
    return [p for p in (out.parent / f"~${out.name}", out.parent / f".~lock.{out.name}#") if p.exists()]


def make_folder(folder: Path) -> Path:
    """``folder`` and its parents made if missing; a Chinese :class:`FileError` when that cannot be
    done (read-only disk, no permission, a file in the way). Returns ``folder``."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FileError(f"无法创建输出文件夹 {folder}（{exc.strerror or exc}）：请换一个可写的输出位置") from None
    return folder


def check_output(out: Path, force: bool) -> None:
    """Refuse an existing ``out`` without ``force``, and (even with ``force``) one a clerk has open."""
    out = Path(out)
    if not out.exists():
        return
    locks = lock_files(out)
    if locks:
        raise FileError(f"文件正在被 Excel/WPS 打开：{out}（锁文件 {locks[0].name}）；请关闭后重试。"
                        f"如果确已关闭，请删除锁文件 {locks[0].name} 后重试")
    if not force:
        raise FileError(f"输出文件已存在：{out}；如需覆盖请加 --force")


def remove_stale_temps(folder: Path, now: float | None = None) -> list[Path]:
    """Delete temp files that runs killed outright (kill -9, power cut) left in ``folder``: ours whose
    process is gone and that are ``STALE_SECONDS`` old, and earlier versions' (no pid) after an hour.
    Returns what was removed. Never raises."""
    removed: list[Path] = []
    now = time.time() if now is None else now
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not name.endswith(".tmp") or not name.startswith("."):
            continue
        m = _TMP_NAME.match(name)
        if m:
            if _pid_alive(int(m.group(1))):
                continue
            limit = STALE_SECONDS
        elif _LEGACY_TMP_NAME.match(name):
            limit = _LEGACY_STALE_SECONDS
        else:
            continue
        try:
            if not entry.is_file(follow_symlinks=False) or now - entry.stat(follow_symlinks=False).st_mtime < limit:
                continue
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:  # e.g. still open on Windows, or removed by another run meanwhile
            pass
    return removed


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":  # os.kill would terminate it on Windows: an open file cannot be deleted there anyway
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, another user's
        return True
    return True


def _commit(tmp: Path, out: Path, force: bool) -> None:
    """``tmp`` becomes ``out``. Without ``force`` the name is taken exclusively: a file another run
    wrote to ``out`` since the check is never replaced."""
    if force:
        os.replace(tmp, out)
        return
    try:
        os.link(tmp, out)
    except FileExistsError:
        raise FileError(f"输出文件已存在：{out}（另一次运行刚刚写出了它）；本次未写出。如需覆盖请加 --force") from None
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        _claim_then_replace(tmp, out)  # a filesystem without hard links (FAT, some network shares)
        return
    _unlink_quietly(tmp)


_NO_HARD_LINKS = {errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOSYS, getattr(errno, "ENOTSUP", -1),
                  getattr(errno, "EOPNOTSUPP", -1)}


def _claim_then_replace(tmp: Path, out: Path) -> None:
    try:
        os.close(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise FileError(f"输出文件已存在：{out}（另一次运行刚刚写出了它）；本次未写出。如需覆盖请加 --force") from None
    try:
        os.replace(tmp, out)
    except BaseException:
        _unlink_quietly(out)  # the empty placeholder this run created
        raise


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _os_message(exc: OSError, out: Path) -> str:
    folder = out.parent
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        what = f"磁盘空间不足，无法写出 {out.name}（文件夹 {folder}）；请清理磁盘空间或换一个输出位置"
    elif code == errno.EROFS:
        what = f"输出文件夹所在的磁盘是只读的：{folder}；请换一个可写的输出位置"
    elif code in (errno.EACCES, errno.EPERM):
        what = (f"没有写入权限：{folder}（文件夹只读，或 {out.name} 正被其他程序占用）；"
                f"请换一个可写的输出位置，或关闭占用该文件的程序")
    else:
        what = f"写出 {out.name} 失败（{exc.strerror or exc.__class__.__name__}）；请检查输出位置 {folder}"
    return what + "。原有文件未改动，临时文件已删除"


_TERM_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))


class _TerminateRemoves:
    """While the temp file is written, SIGTERM/SIGHUP deletes it and raises :class:`FileError` (the
    CLI exits 2 with the message). :meth:`hold` blocks them for the final rename; they are unblocked
    only after the previous handlers are back, so a signal then finds the ledger complete and takes
    its ordinary course. Only the main thread can take signals; elsewhere nothing changes."""

    def __init__(self, tmp: Path, out: Path):
        self.tmp, self.out = tmp, out
        self.previous: dict = {}
        self.blocked = None
        self.committing = False
        self.pending: int | None = None
        self.active = threading.current_thread() is threading.main_thread()

    def _on_signal(self, signum, _frame):
        if self.committing:  # caught by the interpreter just before hold(): the ledger is being renamed
            self.pending = signum
            return
        _unlink_quietly(self.tmp)
        raise FileError(f"收到终止信号，已停止写出 {self.out.name}：临时文件已删除，原有文件未改动")

    def __enter__(self):
        if self.active:
            for sig in _TERM_SIGNALS:
                self.previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def hold(self) -> None:
        self.committing = True
        if self.active and hasattr(signal, "pthread_sigmask"):
            self.blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _TERM_SIGNALS)

    def __exit__(self, *exc):
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        if self.blocked is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, self.blocked)
        if self.pending is not None:  # handed on to the handler in place before the write
            if exc[0] is not None:  # the rename failed: nothing of this run may stay behind
                _unlink_quietly(self.tmp)
            signal.raise_signal(self.pending)
        return False


def _set_mode(tmp_name: str, out: Path) -> None:
    """mkstemp makes the temp file 0600: give the ledger the mode a plain new file would get (the
    replaced file's mode with --force), so colleagues sharing the folder can open it."""
    try:
        if out.exists():
            mode = out.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp_name, mode)
    except OSError:  # pragma: no cover - filesystems without POSIX modes
        pass


def _write_zip(template: Path, fh, sheets: dict[str, SheetFill], cell_text: dict[str, dict[str, str]],
               spill_dir: Path) -> None:
    try:
        src = zipfile.ZipFile(template)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileError(f"模板不是有效的 xlsx：{template}（{exc}）") from None
    with src:
        book = _load_book(src)
        for name in list(sheets) + list(cell_text):
            if name not in book.sheets:
                raise FileError(f"模板 {template.name} 中没有工作表“{name}”")
        values = _Values(book.date1904)
        workbook_xml = _full_calc_on_load(book.workbook_xml)
        rels_xml = book.rels_xml
        content_types = _read_text(src, "[Content_Types].xml")
        if book.calc_chain:
            rels_xml, content_types = _drop_calc_chain(book, content_types)

        # prepare every edited sheet (small: the template's rows only)
        plans: dict[str, _SheetPlan] = {}
        for name in dict.fromkeys(list(sheets) + list(cell_text)):
            member = book.sheets[name][1]
            xml = _read_text(src, member)
            _parse_xml(xml)  # well-formed and entity-free, or defusedxml raises
            sheet = _SheetXml(xml, f"{template.name}/{name}")
            for ref, text in cell_text.get(name, {}).items():
                sheet.set_text(ref, text)
            plans[member] = _SheetPlan(name, sheet, sheets.get(name), values, spill_dir)

        try:
            # the fill's size decides the print area, so rows are counted before workbook.xml is written
            for plan in plans.values():
                plan.prepare()
                if plan.shift is not None:
                    workbook_xml = _shift_defined_names(workbook_xml, plan.name, plan.shift)
            _write_members(src, book, plans, fh, workbook_xml, rels_xml, content_types)
        finally:
            for plan in plans.values():
                plan.discard()


def _write_members(src: zipfile.ZipFile, book: _Book, plans: dict[str, "_SheetPlan"], fh,
                   workbook_xml: str, rels_xml: str, content_types: str) -> None:
    """Every template member in order: edited ones rewritten, calcChain dropped, others copied."""
    dst = zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)
    try:
        for info in src.infolist():
            name = info.filename
            if name == book.calc_chain:
                continue
            if name in plans:
                plans[name].write(dst, info)
                continue
            if name == book.workbook_part:
                data = workbook_xml.encode("utf-8")
            elif name == book.rels_part:
                data = rels_xml.encode("utf-8")
            elif name == "[Content_Types].xml":
                data = content_types.encode("utf-8")
            else:
                data = src.read(name)
            dst.writestr(_copy_info(info), data)
        dst.close()
    except BaseException:
        _abandon(dst)
        raise


def _copy_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    new.compress_type = info.compress_type
    new.external_attr = info.external_attr
    new.create_system = info.create_system
    new.comment = info.comment
    new.extra = info.extra
    return new


def _abandon(zf: zipfile.ZipFile) -> None:
    """Close a half-written zip without raising (its file is deleted by the caller)."""
    try:
        zf._writing = False  # a member writer may still be open after an error
        zf.close()
    except Exception:  # noqa: BLE001
        pass


_COLS = re.compile(r"<cols>(.*?)</cols>|<cols/>", re.S)
_COL = re.compile(r"<col\b([^>]*?)/>")
_DEFAULT_WIDTH = 8.43


def _set_widths(head: str, fitted: dict[int, float]) -> tuple[str, dict[int, float]]:
    """Widen the ``<col>`` entries of ``head`` to ``fitted`` (never narrower than the template's);
    returns the new head and every column's final width."""
    m = _COLS.search(head)
    entries: dict[int, dict[str, str]] = {}
    if m and m.group(1):
        for cm in _COL.finditer(m.group(1)):
            attrs = dict(_ATTR.findall(cm.group(1)))
            lo, hi = int(attrs.get("min", "1")), int(attrs.get("max", attrs.get("min", "1")))
            for c in range(lo, min(hi, 16384) + 1):
                if c > 1024 and c > max(fitted, default=0):  # a trailing "rest of the sheet" range
                    break
                entries[c] = dict(attrs)
    for c, w in fitted.items():
        attrs = entries.setdefault(c, {})
        current = float(attrs.get("width", _DEFAULT_WIDTH))
        if w > current:
            attrs["width"] = f"{w:g}"
            attrs["customWidth"] = "1"
    widths = {c: float(a.get("width", _DEFAULT_WIDTH)) for c, a in entries.items()}
    cols = "".join(
        "<col" + "".join(f' {k}="{v}"' for k, v in {**a, "min": str(c), "max": str(c)}.items()) + "/>"
        for c, a in sorted(entries.items()))
    new = f"<cols>{cols}</cols>" if cols else ""
    if m:
        return head[:m.start()] + new + head[m.end():], widths
    i = head.rfind("<sheetData")  # <cols> goes right before <sheetData>
    return head[:i] + new + head[i:], widths


_COL_BREAKS = re.compile(r"<colBreaks\b.*?</colBreaks>|<colBreaks\b[^>]*/>", re.S)
# elements that follow <colBreaks> in a worksheet (CT_Worksheet order)
_AFTER_COL_BREAKS = re.compile(r"<(?:customProperties|cellWatches|ignoredErrors|smartTags|drawing|legacyDrawing"
                               r"|legacyDrawingHF|drawingHF|picture|oleObjects|controls|webPublishItems"
                               r"|tableParts|extLst)\b|</worksheet>")


def _set_col_breaks(tail: str, after: list[int]) -> str:
    """Replace the sheet's manual column breaks with one after each column in ``after``."""
    tail = _COL_BREAKS.sub("", tail)
    if not after:
        return tail
    brks = "".join(f'<brk id="{c}" max="1048575" man="1"/>' for c in sorted(set(after)))
    xml = f'<colBreaks count="{len(set(after))}" manualBreakCount="{len(set(after))}">{brks}</colBreaks>'
    m = _AFTER_COL_BREAKS.search(tail)
    return tail[:m.start()] + xml + tail[m.start():]


_HEADER_FOOTER = re.compile(r"<headerFooter\b[^>]*?(?:/>|>(.*?)</headerFooter>)", re.S)
_ODD_FOOTER = re.compile(r"<oddFooter>(.*?)</oddFooter>", re.S)


def _set_page_header(tail: str, header: str) -> str:
    m = _HEADER_FOOTER.search(tail)
    if m is None:
        return tail
    footer = _ODD_FOOTER.search(m.group(1) or "")
    odd_footer = footer.group(0) if footer else ""
    first_footer = f"<firstFooter>{footer.group(1)}</firstFooter>" if footer else ""
    xml = (f'<headerFooter differentFirst="1"><oddHeader>{_xml_escape(header)}</oddHeader>{odd_footer}'
           f"{first_footer}</headerFooter>")
    return _header_room(tail[:m.start()] + xml + tail[m.end():])


_PAGE_MARGINS = re.compile(r"<pageMargins\b[^<>]*?/>")
HEADER_ROOM_IN = 0.3  # a 10 pt header line and its leading, in inches between the header margin and the body


def _header_room(tail: str) -> str:
    """The header line sits ``header`` inches below the paper's top edge and the rows start at ``top``: the
    templates' 0.5 and 0.6 left a tenth of an inch, and on every page after the first the repeated header
    rows covered the lower half of the title and 所属期. The header margin is lowered to leave
    :data:`HEADER_ROOM_IN` (never below 0.1; the body's margin is the template's, so the pages hold as many rows)."""
    m = _PAGE_MARGINS.search(tail)
    if m is None:
        return tail
    attrs = dict(_ATTR.findall(m.group()))
    try:
        top, header = float(attrs["top"]), float(attrs["header"])
    except (KeyError, ValueError):
        return tail
    room = round(max(top - HEADER_ROOM_IN, 0.1), 3)
    if header <= room:
        return tail
    margins = re.sub(r'(\sheader\s*=\s*")[^"]*(")', lambda h: f"{h.group(1)}{room:g}{h.group(2)}", m.group(), count=1)
    return tail[:m.start()] + margins + tail[m.end():]


class _SheetPlan:
    """One edited sheet: header/tail text, the fill, and where the rows go."""

    def __init__(self, name: str, sheet: _SheetXml, fill: SheetFill | None, values: _Values, spill_dir: Path):
        self.name = name
        self.sheet = sheet
        self.fill = fill
        self.values = values
        self.spill_dir = spill_dir
        self.shift: _Shift | None = None
        self.count = 0
        self.spill = None          # temp file with rendered rows (iterables without len)
        self.spill_size = 0
        self.deflated = None       # (CRC-32, length) of the rows when the spill holds them deflated
        self.rows = None           # a sized sequence to render while writing
        self.widths: dict[int, float] = {}

    def prepare(self) -> None:
        fill = self.fill
        if fill is None:
            return
        proto_r = fill.prototype_row
        proto = next((x for x in self.sheet.rows if x.r == proto_r), None)
        if proto is None:
            raise FileError(f"模板 {self.sheet.where} 第{proto_r}行不是样式行（没有该行）")
        if fill.totals_row is not None and not any(x.r == fill.totals_row for x in self.sheet.rows):
            raise FileError(f"模板 {self.sheet.where} 没有合计行（第{fill.totals_row}行）")
        if fill.totals_row is not None and fill.totals_row <= proto_r:
            raise ValueError("合计行必须在样式行之下")
        self.proto = proto
        self.renderer = _RowRenderer(proto, self.values, self.sheet.where)
        if fill.wrap:
            # a column of width w holds about w - 1 units of text per line; a CJK character counts 2
            # units but prints 1.5–1.9 wide (LibreOffice / Excel): 1.15 × leaves a line to spare
            # rather than let lines overlap
            self.renderer.wraps = [(c - 1, max(int((w - 1) * 1.15), 2)) for c, w in sorted(fill.wrap.items())]
        rows = fill.rows
        try:
            n = len(rows)  # type: ignore[arg-type]
        except TypeError:
            n = None
        measure = _Measure(fill.fit) if fill.fit else None
        if n is not None and n * max(self.renderer.ncols, 1) * 100 < _SPILL_LIMIT:
            self.rows = rows
            self.count = n
            if measure is not None:  # a sized sequence: measured now, rendered after the head
                for _ in _measured(rows, measure):
                    pass
        else:
            done = None
            if n is None and operator.length_hint(rows, 0) >= render_process.MIN_ROWS and child.usable():
                # a month of a city: the XML is made (and deflated) in a second process while this one settles
                done = render_process.render(self.renderer, rows, proto_r, measure, self.spill_dir,
                                             COMPRESS_LEVEL if deflate.usable() else None)
            if done is not None:
                self.count, self.spill, self.spill_size, measure, self.deflated = done
            else:
                self.spill = tempfile.TemporaryFile(dir=self.spill_dir, prefix=".xlsx-rows-")

                def emit(chunk: bytes) -> None:
                    self.spill.write(chunk)
                    self.spill_size += len(chunk)

                self.count = self.renderer.render(rows, proto_r, emit, measure)
                self.spill.seek(0)
        self.widths = measure.widths() if measure is not None else {}
        self.shift = _Shift(proto_r, max(self.count, 1) - 1)
        last_row = max([self.shift.row(x.r) for x in self.sheet.rows] + [proto_r + max(self.count, 1) - 1])
        if last_row > _MAX_ROWS:
            raise FileError(f"{self.name} 共 {self.count} 行，超过 Excel 上限（{_MAX_ROWS:,} 行）；请按月或按地区分开输出")
        self.last_row = last_row

    def discard(self) -> None:
        if self.spill is not None:
            self.spill.close()
            self.spill = None

    def _head_tail(self) -> tuple[str, str, str]:
        """(head + rows above the data, rows below + tail) with shifted references."""
        sheet, shift = self.sheet, self.shift
        proto_r = self.fill.prototype_row
        above = "".join(x.xml(shift=shift) for x in sheet.rows if x.r < proto_r)
        below = "".join(x.xml(r=shift.row(x.r), shift=shift) for x in sheet.rows if x.r > proto_r)

        def fix_dim(m: re.Match) -> str:
            first = m.group(2).split(":")[0]
            last = m.group(2).split(":")[-1]
            try:
                c1, r1 = _split_ref(first)
                c2, _ = _split_ref(last)
            except ValueError:
                c1, r1, c2 = 1, 1, 1
            c2 = max(c2, self.renderer.ncols)
            return f"{m.group(1)}{_col_letter(c1)}{r1}:{_col_letter(c2)}{self.last_row}{m.group(3)}"

        head = _DIMENSION.sub(fix_dim, sheet.head, count=1)
        tail = _TAIL_REFS.sub(lambda m: m.group(1) + _shift_sqref(m.group(2), shift) + m.group(3), sheet.tail)
        if self.widths or self.fill.col_breaks is not None:
            head, widths = _set_widths(head, self.widths)
            if self.fill.col_breaks is not None:
                tail = _set_col_breaks(tail, self.fill.col_breaks(widths))
        if self.fill.page_header is not None:
            tail = _set_page_header(tail, self.fill.page_header)
        return head + above, below + tail, self.proto.xml()

    def write(self, dst: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        if self.fill is None:
            dst.writestr(_copy_info(info), self.sheet.xml().encode("utf-8"))
            return
        head, tail, proto_xml = (part.encode("utf-8") for part in self._head_tail())
        zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.external_attr = info.external_attr
        if "compress_level" in zipfile.ZipInfo.__slots__:  # Python ≥ 3.13
            zi.compress_level = COMPRESS_LEVEL
        else:
            zi._compresslevel = COMPRESS_LEVEL
        if self.deflated is not None and self.count:  # the renderer deflated the rows: copied as they are
            crc, size = self.deflated
            deflate.write_member(dst, zi, head, self.spill, crc, size, tail, COMPRESS_LEVEL)
            return
        est = len(head) + len(tail) + (self.spill_size if self.spill is not None
                                       else self.count * max(self.renderer.ncols, 1) * 100)
        zi.file_size = est  # zipfile switches to ZIP64 only when this says it must
        with dst.open(zi, "w") as member:
            sink = _ThreadedSink(member)
            try:
                sink.write(head)
                if self.count == 0:
                    sink.write(proto_xml)
                elif self.spill is not None:
                    while True:
                        chunk = self.spill.read(1 << 20)
                        if not chunk:
                            break
                        sink.write(chunk)
                else:
                    n = self.renderer.render(self.rows, self.fill.prototype_row, sink.write)
                    if n != self.count:
                        raise ValueError(f"{self.name}：行数在写入时变化（{self.count} → {n}）")
                sink.write(tail)
            except BaseException:
                sink.stop()
                raise
            sink.close()
