"""Stream one worksheet of an xlsx row by row, in constant memory, as python-calamine would read it.

    for number, row in iter_sheet(path, "结算明细"):   # number: 1-based sheet row
        ...                                            # row: values by 0-based column

``[row for _n, row in iter_sheet(p, s)]`` equals python-calamine's
``get_sheet_by_name(s).to_python(skip_empty_area=False)`` once rows are padded with "" to one
width: every row from row 1 to the last row holding a value (rows missing from the XML come out
as ``[]``), each list ending at its last value. Values are calamine's: str (shared, inline and
``t="str"`` strings; a ``<t>`` is trimmed of ASCII whitespace unless ``xml:space="preserve"``,
phonetic ``<rPh>`` runs are left out, ``_x00HH_`` escapes decoded), float for every number
(integers too), bool, and under a date format (built-in 14–22, 45, 47 or a custom format calamine
takes for a date) ``datetime.date`` for a whole serial, ``datetime.datetime`` with a fraction,
``datetime.time`` below 1, ``datetime.timedelta`` under 46 / ``[h]``-style formats; the 1904
system is honoured. A cell calamine reads as "" although it is not comes out as the marker
:mod:`processor.io.safety` produces for it: an Excel error value as ``CellError(text)`` (what
:func:`~processor.io.safety.error_cells` returns), a formula saved without a result as
``UncomputedFormula("")`` (what :func:`~processor.io.safety.uncomputed_formulas` returns).

The file must have passed :func:`processor.io.safety.check_xlsx` first (zip bomb, grid size,
string lengths). Rows written in the common forms (``<c r="A1" s="3" t="s"><v>12</v></c>``, inline
strings, style-only cells, numbers, booleans, ``t="str"``/``t="d"``; entities, character references
and CR LF decoded as XML requires) are read by a fast path: regular expressions over the text,
decoded 1 MiB at a time, that must account for every character of the row. Every other row, and a
part that is not UTF-8 in a default SpreadsheetML namespace, is read by lxml (libxml2) with entity
resolution, DTD loading and network access off, giving what the lxml path alone gives, errors
included (``FAST = False`` runs lxml alone; the tests compare the two). A part carrying a DOCTYPE is
refused. What is kept: the shared-strings table, a chunk of text, one row, and small caches.

Differences from calamine, on purpose:
- a marker lying outside calamine's range (an error cell or an uncomputed formula in a row or
  column after the last value; calamine reads both as empty, so the old second pass dropped them)
  is kept, so such a row is rejected with the reason instead of vanishing as blank;
- ``t="e"`` without a ``<v>`` is ``CellError("#错误")`` (safety's regex took the next cell's
  ``<v>`` within 2,000 bytes); an error cell without ``r`` is marked too (safety skipped it);
- a cell placed, by its ``r``, in a row already yielded (rows out of order) raises
  :class:`FileError` instead of being read; cells placed in a later row are kept for that row;
- calamine refuses some corrupt cells (``t="n"`` with a non-number, an unknown ``t``, a shared
  string index out of range): the first two are read leniently (as text / by the value), the third
  raises :class:`FileError`; a number ``<v>`` that Python's ``float`` accepts but calamine's
  parser does not (" 3 ", "1_0") is read as a number.

Parser choice, measured by ``bench/bench_readers.py`` (2-core machine, 19 columns; CPU seconds
(user + sys) and peak RSS of a child process that reads every row; ``--shared`` reads a copy with
the text in sharedStrings.xml, 137,279 strings at 100,000 rows):

                        100,000 rows                      1,000,000 rows
                        wall s  CPU s  peak RSS MB        wall s  CPU s  peak RSS MB
    calamine              1.9    1.3        232             25.5   13.2       2170   to_python (before)
    stream (this)         2.5    1.7         32             30.4   16.3         33   fast path, lxml for the rest
    stream_lxml           5.4    3.6         23             62.7   35.4         23   lxml for every row
      shared strings:
    calamine              1.9    1.2        240             15.8   11.2       2225
    stream (this)         2.8    1.7         39             16.8   14.6        152   the table is in memory
    stream_lxml           5.3    3.4         34             36.9   32.8        152

    earlier run           100,000 rows                      1,000,000 rows
    calamine_it           1.2    1.2        168             15.3   11.3       1534   iter_rows: whole range in Rust
    lxml                  4.6    3.8         23             38.5   36.5         23   (stream_lxml above)
    expat                 6.8    4.3         23             45.0   42.4         23   simplified: no markers, no trim
    ET iterparse          7.6    4.7         23             59.9   46.4         23   simplified likewise
    ET XMLPullParser     19.0   11.4         52            200.8  117.0         52
    openpyxl r/o         28.1   14.8         52            297.8  149.4        128

(Wall times were taken with other jobs sharing the 2 cores, load 2–7; CPU seconds are steadier.)
calamine's ``iter_rows`` still loads the whole range in Rust (1.5 GB at 1M rows), so only a
Python-level reader streams. Of the XML parsers lxml was the fastest, because the tree of one
``<row>`` is built in C and a cell costs a few C-level look-ups instead of five Python callbacks
(expat) or Python-level elements (ElementTree); but the libxml2 parse alone is about half of its
time. The fast path skips the tree: one ``re.findall`` per row returns a tuple per cell (column,
attributes, value text), so a cell costs a tuple unpacking and the same conversions (1.7 CPU-s at
100k rows, 1.3 × calamine, against 3.6 for lxml; a part where every text is written as character
references, as openpyxl's write-only mode does, 2.2 against 4.0). Memory stays flat (the chunk
adds about 10 MB; shared strings aside). lxml is a dependency in pyproject.toml (wheels for every
platform the batch runs on).
"""
from __future__ import annotations

import codecs
import math
import posixpath
import re
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

from lxml import etree

from ..errors import FileError
from .deflate import INFLATE_ERRORS, open_member
from .safety import EXCEL_ROWS, MAX_CELL_CHARS, CellError, UncomputedFormula

__all__ = ["iter_sheet", "sheet_names", "first_visible_sheet", "SheetInfo", "workbook_sheets"]

_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
CORRUPT = "无法读取 xlsx 文件：文件已损坏或格式不正确，请在 Excel 中打开并另存后再导入"
# XML that does not parse, and a part that does not unpack: its CRC-32 or size wrong, its deflate stream broken
# or cut short (the safety scan refuses these first; a file changed since then reaches the reader so)
_UNREADABLE = (etree.XMLSyntaxError, zipfile.BadZipFile, EOFError, *INFLATE_ERRORS)
_BEYOND = f"无法读取 xlsx 文件：有行号超过 Excel 的上限（{EXCEL_ROWS:,} 行），文件已损坏或被改动过，请在 Excel 中打开并另存后再导入"
_DATE_CACHE_MAX = 1 << 16
_EPOCH = datetime(1899, 12, 30)
_OTHER, _DATE, _DURATION = 0, 1, 2


# --- workbook level ----------------------------------------------------------------------------

class SheetInfo:
    """A ``<sheet>`` of workbook.xml, as calamine lists it."""

    __slots__ = ("name", "visible", "kind", "part")

    def __init__(self, name: str, visible: bool, kind: str, part: str) -> None:
        self.name, self.visible, self.kind, self.part = name, visible, kind, part

    def __repr__(self) -> str:
        return f"SheetInfo({self.name!r}, visible={self.visible}, kind={self.kind!r}, part={self.part!r})"


def _key(name: str) -> str:
    return name.replace("\\", "/").lstrip("/").lower()


def _parser(**kw) -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, **kw)


def _small(zf: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], name: str,
           limit: int = 64 * 1024 * 1024):
    """The parsed root of a small part, or None when it is absent."""
    info = members.get(_key(name))
    if info is None:
        return None
    if info.file_size > limit:
        raise FileError(CORRUPT)
    data = zf.read(info)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError:
        raise FileError(CORRUPT) from None
    if root.getroottree().docinfo.doctype:
        raise FileError(CORRUPT)
    return root


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _Book:
    """workbook.xml and its relationships, resolved the way calamine resolves them."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.members = {_key(i.filename): i for i in zf.infolist()}
        xl_path = "xl/"
        package = _small(zf, self.members, "_rels/.rels")
        if package is not None:
            for rel in package:
                if rel.get("Type", "").endswith("/relationships/officeDocument") and rel.get("Target") is not None:
                    target = rel.get("Target")
                    xl_path = target[: target.rfind("/") + 1].removeprefix("/") if "/" in target else ""
                    break
        self.xl_path = xl_path
        rels = _small(zf, self.members, f"{xl_path}_rels/workbook.xml.rels")
        book = _small(zf, self.members, f"{xl_path}workbook.xml")
        if rels is None or book is None:
            raise FileError(CORRUPT)
        targets = {}
        for rel in rels:
            if _local(rel.tag) == "Relationship" and rel.get("Id") is not None:
                targets[rel.get("Id")] = (rel.get("Target", ""), rel.get("Type", ""))
        self.is_1904 = False
        self.sheets: list[SheetInfo] = []
        for el in book.iter():
            local = _local(el.tag)
            if local == "workbookPr":
                self.is_1904 = el.get("date1904") in ("1", "true")
            elif local == "sheet":
                rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
                if rid not in targets:
                    raise FileError(CORRUPT)
                target, typ = targets[rid]
                part = target[1:] if target.startswith("/") else f"{xl_path}{target}"
                self.sheets.append(SheetInfo(el.get("name", ""), el.get("state", "visible") == "visible",
                                             typ.rsplit("/", 1)[-1], posixpath.normpath(part)))

    def member(self, name: str) -> zipfile.ZipInfo | None:
        return self.members.get(_key(name))


def workbook_sheets(path: str | Path) -> list[SheetInfo]:
    """Every ``<sheet>`` of the workbook, in order (worksheets, chart sheets, hidden ones)."""
    with zipfile.ZipFile(path) as zf:
        return _Book(zf).sheets


def sheet_names(path: str | Path) -> list[str]:
    """The sheet names, as ``CalamineWorkbook.sheet_names`` lists them."""
    return [s.name for s in workbook_sheets(path)]


def first_visible_sheet(path: str | Path) -> str:
    """The first visible worksheet (not a chart sheet), as reader.py's ``_first_visible_sheet``."""
    for info in workbook_sheets(path):
        if info.visible and info.kind == "worksheet":
            return info.name
    raise FileError("xlsx 文件中没有可见的工作表")


# --- styles and strings ------------------------------------------------------------------------

def detect_custom_format(code: str) -> int:
    """calamine's ``detect_custom_number_format``: _DATE, _DURATION or _OTHER for a format code."""
    escaped = is_quote = hms = ap = False
    brackets = 0
    prev = " "
    for s in code:
        if escaped:
            escaped = False
        elif s in "_\\*":
            escaped = True
        elif is_quote:
            if s == '"':
                is_quote = False
        elif s == '"':
            is_quote = True
        elif s == ";":
            return _OTHER
        elif s == "[":
            brackets = min(brackets + 1, 255)
        elif s == "]" and brackets == 1 and hms:
            return _DURATION
        elif s == "]":
            brackets = max(brackets - 1, 0)
        elif s in "aA" and not ap and brackets == 0:
            ap = True
        elif s in "pm/PM" and ap and brackets == 0:
            return _DATE
        elif s in "dmhysDMHYS" and not ap and brackets == 0:
            return _DATE
        else:
            if hms and s.lower() == prev.lower():
                pass
            else:
                hms = prev == "[" and s in "mhsMHS"
        prev = s
    return _OTHER


def _builtin_format(num_fmt_id: str) -> int:
    if num_fmt_id in ("14", "15", "16", "17", "18", "19", "20", "21", "22", "45", "47"):
        return _DATE
    return _DURATION if num_fmt_id == "46" else _OTHER


def _style_kinds(book: _Book) -> dict[str, int]:
    """Style index as written in ``s="…"`` → _DATE / _DURATION; other styles are left out."""
    root = _small(book.zf, book.members, f"{book.xl_path}styles.xml")
    kinds: dict[str, int] = {}
    if root is None:
        return kinds
    custom: dict[str, str] = {}
    index = 0
    for el in root.iter():
        local = _local(el.tag)
        if local == "numFmt" and el.getparent() is not None and _local(el.getparent().tag) == "numFmts":
            if el.get("numFmtId") is not None and el.get("formatCode") is not None:
                custom[el.get("numFmtId")] = el.get("formatCode")
        elif local == "xf" and el.getparent() is not None and _local(el.getparent().tag) == "cellXfs":
            fmt = el.get("numFmtId")
            kind = _OTHER if fmt is None else (
                detect_custom_format(custom[fmt]) if fmt in custom else _builtin_format(fmt))
            if kind:
                kinds[str(index)] = kind
            index += 1
    return kinds


def _unescape(text: str) -> str:
    """calamine's ``unescape_xml``: ``_x00HH_`` → the character (only the 00 page)."""
    out = []
    i = 0
    n = len(text)
    while True:
        j = text.find("_x00", i)
        if j < 0 or j + 7 > n:
            break
        hexs = text[j + 4: j + 6]
        if text[j + 6] == "_" and all(ch in "0123456789abcdefABCDEF" for ch in hexs):
            out.append(text[i:j])
            out.append(chr(int(hexs, 16)))
            i = j + 7
        else:
            out.append(text[i: j + 1])
            i = j + 1
    out.append(text[i:])
    return "".join(out)


def _t_text(t) -> str:
    text = t.text or "" if len(t) == 0 else "".join(
        x for x in t.xpath("text()") if x is not None)  # text split by comments / PIs
    return _t_finish(text, t.get(_XML_SPACE) == "preserve")


def _t_finish(text: str, preserve: bool) -> str:
    """The text of a ``<t>`` as calamine gives it: trimmed of ASCII whitespace unless
    ``xml:space="preserve"``, ``_x00HH_`` escapes decoded."""
    if not preserve:
        text = text.strip(" \t\r\n")
    if "_x00" in text:
        text = _unescape(text)
    return text


def _rich_text(el, t_tag: str, rph_tag: str) -> str:
    """The text calamine builds for an ``<si>`` / ``<is>``: every ``<t>`` outside ``<rPh>``."""
    if len(el) == 1:
        t = el[0]
        if t.tag == t_tag:
            text = _t_text(t)
            if len(text) > MAX_CELL_CHARS:
                raise FileError(f"xlsx 文件中有超过 {MAX_CELL_CHARS:,} 个字符的文本，已拒绝")
            return text
    parts = []
    stack = [iter(el)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        tag = child.tag
        if tag == t_tag:
            parts.append(_t_text(child))
        elif tag == rph_tag or not isinstance(tag, str):
            continue
        elif len(child):
            stack.append(iter(child))
    text = "".join(parts)
    if len(text) > MAX_CELL_CHARS:
        raise FileError(f"xlsx 文件中有超过 {MAX_CELL_CHARS:,} 个字符的文本，已拒绝")
    return text


def _open_part(book: _Book, info: zipfile.ZipInfo):
    """The part's stream; a DOCTYPE in its prologue is refused (no entity is ever declared). Inflated by
    ISA-L where it is installed, its CRC-32 checked at its end (deflate.open_member)."""
    stream = open_member(book.zf, info)
    try:
        head = stream.read(1 << 16)
    except BaseException:  # a header or a part that does not unpack: the caller says so
        stream.close()
        raise
    at = 0
    while True:  # skip the XML declaration, comments and PIs before the root element
        lt = head.find(b"<", at)
        if lt < 0 or head[lt + 1: lt + 2] not in (b"?", b"!"):
            break
        if head.startswith(b"<!DOCTYPE", lt) or head.startswith(b"<!ENTITY", lt):
            stream.close()
            raise FileError(CORRUPT)
        end = head.find(b">", lt)
        if end < 0:
            break
        at = end + 1
    return _Prefixed(head, stream)


class _Prefixed:
    """A stream with its first bytes already read (for the prologue check)."""

    def __init__(self, head: bytes, stream) -> None:
        self.head, self.stream = head, stream

    def read(self, n: int = -1) -> bytes:
        if self.head:
            out, self.head = self.head, b""
            return out
        return self.stream.read(n if n and n > 0 else 1 << 16)

    def close(self) -> None:
        self.stream.close()


def _shared_strings(book: _Book) -> list[str]:
    info = book.member(f"{book.xl_path}sharedStrings.xml")
    if info is None:
        return []
    try:
        stream = _open_part(book, info)
    except _UNREADABLE:
        raise FileError(CORRUPT) from None
    strings: list[str] = []
    append = strings.append
    try:
        context = etree.iterparse(stream, events=("end",), tag="{*}si", resolve_entities=False,
                                  no_network=True, load_dtd=False, huge_tree=False)
        ns = None
        for _event, si in context:
            if ns is None:
                ns = si.tag[: -2]
                t_tag, rph_tag = ns + "t", ns + "rPh"
            append(_rich_text(si, t_tag, rph_tag))
            si.clear()
            while si.getprevious() is not None:
                del si.getparent()[0]
    except _UNREADABLE:
        raise FileError(CORRUPT) from None
    finally:
        stream.close()
    return strings


# --- values ------------------------------------------------------------------------------------

def _round_half_away(x: float) -> int:
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def excel_date(value: float, is_1904: bool):
    """python-calamine's conversion of a number under a date format."""
    f = value + 1462.0 if is_1904 else value
    if f < 60.0:
        f += 1.0
    try:
        moment = _EPOCH + timedelta(milliseconds=_round_half_away(f * 86_400_000.0))
    except (OverflowError, ValueError):
        return value
    if value < 1.0:
        return moment.time()
    if value == float(int(value)):
        return moment.date()
    return moment


def excel_duration(value: float):
    try:
        return timedelta(milliseconds=_round_half_away(value * 86_400_000.0))
    except (OverflowError, ValueError):
        return value


def _iso(text: str):
    """python-calamine's reading of a ``t="d"`` cell (ISO 8601 text)."""
    try:
        if "T" in text:
            value = datetime.fromisoformat(text)
            return text if value.tzinfo is not None else value
        if ":" in text:
            from datetime import time
            value = time.fromisoformat(text)
            return text if value.tzinfo is not None else value
        from datetime import date
        return date.fromisoformat(text)
    except ValueError:
        return text


_WS = " \t\r\n"
_EMPTY = object()  # a cell calamine reads as Empty (it does not extend the range)


class _Sheet:
    """Per-sheet state the cell conversion needs."""

    def __init__(self, strings: list[str], kinds: dict[str, int], is_1904: bool, ns: str) -> None:
        self.strings, self.kinds, self.is_1904 = strings, kinds, is_1904
        self.C, self.V, self.F, self.IS, self.T = ns + "c", ns + "v", ns + "f", ns + "is", ns + "t"
        self.RPH = ns + "rPh"
        self.dates: dict[str, object] = {}
        self.durations: dict[str, object] = {}

    def untyped(self, text: str, s: str | None):
        """A ``<v>`` of a cell without ``t`` (non-empty text) under style ``s``: a float, or the date or
        duration :meth:`number` makes of it — the common cases (no style, a style that is no date, a
        date already seen) without the call."""
        if s is None:
            try:
                return float(text)
            except ValueError:
                return text
        kind = self.kinds.get(s)
        if kind is None:
            try:
                return float(text)
            except ValueError:
                return self.number(text, s, False)
        if kind == _DATE:
            value = self.dates.get(text)
            if value is not None:
                return value
        return self.number(text, s, False)

    def number(self, text: str, s: str | None, explicit: bool):
        try:
            value = float(text)
        except ValueError:
            return text  # calamine: text without a type that is not a number stays text
        if s is not None:
            kind = self.kinds.get(s)
            if kind is None and not s.isdigit():
                kind = self.kinds.get("0")  # calamine parses a bad index as 0
            if kind == _DATE:
                cache = self.dates
                hit = cache.get(text)
                if hit is None:
                    if len(cache) >= _DATE_CACHE_MAX:
                        cache.clear()
                    hit = cache[text] = excel_date(value, self.is_1904)
                return hit
            if kind == _DURATION:
                cache = self.durations
                hit = cache.get(text)
                if hit is None:
                    if len(cache) >= _DATE_CACHE_MAX:
                        cache.clear()
                    hit = cache[text] = excel_duration(value)
                return hit
        return value

    def cell(self, c, t: str | None, s: str | None):
        """Any cell, the way calamine reads it (the last of ``<v>``/``<f>``/``<is>`` decides), with
        safety.py's markers for error values and formulas without a result."""
        value = _EMPTY
        formula = False
        cached = None  # text of the <v>
        for child in c:
            tag = child.tag
            if tag == self.V:
                text = child.text if len(child) == 0 else "".join(child.xpath("text()"))
                cached = text
                if t in ("inlineStr", "is"):
                    value = _EMPTY
                else:
                    value = self.v_value(text or "", t, s)
            elif tag == self.IS:
                value = _rich_text(child, self.T, self.RPH)
            elif tag == self.F:
                formula = True
                value = _EMPTY
        if t == "e":
            if formula and not cached:
                return UncomputedFormula("")
            return CellError(cached or "#错误")
        if formula and not cached and t != "str":
            return UncomputedFormula("")
        return value

    def v_value(self, text: str, t: str | None, s: str | None):
        if t is None or t == "n":
            return self.number(text, s, t is not None) if text else _EMPTY
        if t == "s":
            if not text:
                return _EMPTY
            try:
                index = int(text)
            except ValueError:
                index = 0
            if not 0 <= index < len(self.strings):
                raise FileError(CORRUPT)
            return self.strings[index]
        if t == "str":
            if len(text) > MAX_CELL_CHARS:
                raise FileError(f"xlsx 文件中有超过 {MAX_CELL_CHARS:,} 个字符的文本，已拒绝")
            return text
        if t == "b":
            return text != "0" if text else _EMPTY
        if t == "d":
            return _iso(text) if text else _EMPTY
        return self.number(text, s, True) if text else _EMPTY  # an unknown type: calamine refuses it


# --- the sheet ---------------------------------------------------------------------------------

_COLS: dict[str, int] = {}


def _col_index(letters: str) -> int | None:
    """'A' → 0; None unless 1–3 ASCII letters (XFD at most)."""
    col = _COLS.get(letters)
    if col is None:
        if not (0 < len(letters) <= 3 and letters.isascii() and letters.isalpha()):
            return None
        n = 0
        for ch in letters.upper():
            n = n * 26 + ord(ch) - 64
        col = _COLS[letters] = n - 1
    return col


def _split_ref(ref: str) -> tuple[int, int] | None:
    """'AB12' → (row 12, column 27 from 0); None when unreadable."""
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters):]
    letters = letters.replace("$", "")
    col = _col_index(letters)
    if col is None or not digits.isdigit() or len(digits) > 12 or not 0 < int(digits) <= EXCEL_ROWS:
        return None
    return int(digits), col


def iter_sheet(path: str | Path, sheet: str) -> Iterator[tuple[int, list]]:
    """Yield (1-based row number, values by 0-based column) for every row of ``sheet`` from row 1 to
    the last row holding a value (see the module docstring). Raises :class:`FileError` for a sheet
    that is absent or not a worksheet, and for XML that cannot be read."""
    with zipfile.ZipFile(path) as zf:
        book = _Book(zf)
        info = next((s for s in book.sheets if s.name == sheet), None)
        if info is None:
            listed = "、".join(s.name for s in book.sheets)
            raise FileError(f"找不到工作表「{sheet}」，文件中的工作表有：{listed}")
        member = book.member(info.part)
        if member is None:
            raise FileError(CORRUPT)
        if info.kind != "worksheet":
            return  # calamine reads a chart or dialog sheet as an empty range
        strings = _shared_strings(book)
        kinds = _style_kinds(book)
        try:
            stream = _open_part(book, member)
        except _UNREADABLE:
            raise FileError(CORRUPT) from None
        try:
            st = _State(strings, kinds, book.is_1904)
            STATS.update(fast=0, lxml=0, degraded=0)
            yield from (_fast_rows(stream, st) if FAST else _rows(stream, st))
        except _UNREADABLE:
            raise FileError(CORRUPT) from None
        finally:
            stream.close()


_ORDER = ("工作表中的行顺序异常（行号没有递增：第{row:,}行出现在第{after:,}行之后），无法逐行读取："
          "请在 Excel 中打开并另存后再导入")
_CELL_ORDER = ("工作表中的单元格顺序异常（单元格 {ref} 不在所在的第{row:,}行中），无法逐行读取："
               "请在 Excel 中打开并另存后再导入")


class _State:
    """What one sheet's reading carries from row to row, whichever parser read the row."""

    __slots__ = ("strings", "kinds", "is_1904", "sheet", "yielded", "row_index", "pending")

    def __init__(self, strings: list[str], kinds: dict[str, int], is_1904: bool) -> None:
        self.strings, self.kinds, self.is_1904 = strings, kinds, is_1904
        self.sheet: _Sheet | None = None  # made at the first row, with that row's namespace
        self.yielded = 0  # last row number handed out (rows up to it are final)
        self.row_index = 0  # calamine's row_index, 0-based: the row of a <row> or <c> without r
        self.pending: dict[int, dict[int, object]] = {}  # cells placed by their r in a later row

    def place(self, number_: int, vals: list) -> list[tuple[int, list]]:
        """The rows to hand out once row ``number_`` has been read as ``vals`` (the one place for
        row order, cells kept for a later row, and the empty rows of a gap). A row past Excel's last is
        refused here too (check_xlsx refuses it first): a gap up to it would be listed whole."""
        if number_ > EXCEL_ROWS:
            raise FileError(_BEYOND)
        yielded = self.yielded
        pending = self.pending
        if number_ <= yielded:
            if vals or number_ in pending:
                raise FileError(_ORDER.format(row=number_, after=yielded))
            return []
        out: list[tuple[int, list]] = []
        if pending:
            for target in sorted(k for k in pending if k < number_):
                out.extend(_gap(yielded, target))
                out.append((target, _merge([], pending.pop(target))))
                yielded = target
            if number_ in pending:
                vals = _merge(vals, pending.pop(number_), under=True)
        if vals:
            if number_ > yielded + 1:
                out.extend(_gap(yielded, number_))
            out.append((number_, vals))
            yielded = number_
        self.yielded = yielded
        return out

    def finish(self) -> list[tuple[int, list]]:
        out: list[tuple[int, list]] = []
        yielded = self.yielded
        for target in sorted(self.pending):
            out.extend(_gap(yielded, target))
            out.append((target, _merge([], self.pending[target])))
            yielded = target
        self.pending.clear()
        self.yielded = yielded
        return out


def _rows(stream, st: _State) -> Iterator[tuple[int, list]]:
    """The sheet read by lxml's iterparse, a ``<row>`` at a time."""
    context = etree.iterparse(stream, events=("end",), tag="{*}row", resolve_entities=False,
                              no_network=True, load_dtd=False, huge_tree=False)
    place = st.place
    stats = STATS
    for _event, row in context:
        stats["lxml"] += 1
        yield from place(*_lxml_row(row, st))
    yield from st.finish()


def _lxml_row(row, st: _State) -> tuple[int, list]:
    """One ``<row>`` element (from any parser of the part) → (its row number, its values); cells it
    places in a later row go to ``st.pending``. The element is cleared and dropped from the tree."""
    sheet = st.sheet
    if sheet is None:
        sheet = st.sheet = _Sheet(st.strings, st.kinds, st.is_1904, row.tag[:-3])
    strings = st.strings
    C, V, IS, T = sheet.C, sheet.V, sheet.IS, sheet.T
    untyped = sheet.untyped
    cell = sheet.cell
    cols = _COLS
    rr = row.get("r")
    if rr is not None:
        try:
            st.row_index = int(rr) - 1
        except ValueError:
            raise FileError(CORRUPT) from None
    number_ = st.row_index + 1
    rowtext = str(number_)
    nd = -len(rowtext)
    vals: list = []
    col = -1
    for c in row.iterchildren(C):
        ref = c.get("r")
        if ref is not None:
            col = cols.get(ref[:nd])
            if col is None or ref[nd:] != rowtext:
                where = _split_ref(ref)
                if where is None:
                    raise FileError(CORRUPT)
                target, col = where
                if target != number_:
                    value = cell(c, c.get("t"), c.get("s"))
                    if value is not _EMPTY:
                        if target <= st.yielded or target < number_:
                            raise FileError(_CELL_ORDER.format(ref=ref[:20], row=number_))
                        st.pending.setdefault(target, {})[col] = value
                    continue
        else:
            col += 1
        t = c.get("t")
        n = len(c)
        # fast paths: one <v> child (numbers, shared strings), one <is><t> (inline strings)
        if n == 1:
            ch = c[0]
            if t is None:
                if ch.tag == V:
                    text = ch.text
                    if not text:
                        continue
                    value = untyped(text, c.get("s"))
                else:
                    value = cell(c, t, None)
            elif t == "s":
                if ch.tag == V and ch.text:
                    try:
                        value = strings[int(ch.text)]
                    except (ValueError, IndexError):
                        value = cell(c, t, c.get("s"))
                else:
                    value = cell(c, t, c.get("s"))
            elif t == "inlineStr" and ch.tag == IS:
                # the scan (check_xlsx) refused any text over MAX_CELL_CHARS already
                t0 = ch[0] if len(ch) == 1 else None
                if t0 is not None and t0.tag == T and not len(t0):
                    value = t0.text
                    if value:
                        if value[0] in _WS or value[-1] in _WS or "_x00" in value:
                            value = _t_finish(value, t0.get(_XML_SPACE) == "preserve")
                    else:
                        value = ""
                else:
                    value = _rich_text(ch, T, sheet.RPH)
            else:
                value = cell(c, t, c.get("s"))
        elif n == 0:
            if t == "e":
                value = CellError("#错误")
            else:
                continue  # a cell with only a style
        else:
            value = cell(c, t, c.get("s"))
        if value is _EMPTY:
            continue
        if col == len(vals):
            vals.append(value)
        elif col > len(vals):
            vals.extend([""] * (col - len(vals)))
            vals.append(value)
        else:
            vals[col] = value
    row.clear()
    while row.getprevious() is not None:
        del row.getparent()[0]
    st.row_index += 1
    return number_, vals



# --- the fast path: rows cut from the text and read with regular expressions ------------------
#
# The part is decoded in chunks of _CHUNK bytes. Its beginning, up to ``<sheetData>``, must be
# UTF-8 and well-formed with ``<sheetData>`` a child of a ``<worksheet>`` in a SpreadsheetML default
# namespace (checked once by lxml), else _rows reads the whole part. A ``<row>`` whose start tag
# and every character of whose content match the strict patterns below is read here. Any other row
# is cut at its real end (past comments, CDATA, PIs) and parsed by lxml in a document of its own
# (the part's root start tag, ``<sheetData>``, the row), then read by _lxml_row like every row of
# the lxml path. Whatever cannot be placed with certainty (text or a comment between rows, a nested
# row, a row lxml refuses, too many rows for lxml) and everything from ``</sheetData>`` on is read
# by _rows (iterparse) in a document made of the part's beginning and the rest of the part: the
# rows already read are complete elements, so lxml sees what it would have seen, and raises where
# it would have. Row order, pending cells and gaps are _State.place's, for both paths.

FAST = True  # tests switch this off to run the same assertions through the lxml path alone
SHAPES = True  # the fast path reads rows written alike by their shape (_Shape); tests compare it switched off
STATS = {"fast": 0, "lxml": 0, "degraded": 0, "shaped": 0}  # rows read by each path in the last sheet (tests)
_CHUNK = 1 << 20
_HEAD_MAX = 1 << 22  # no <sheetData> within the first 4 M characters, or a row longer: lxml reads
_FAST_NS = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
            "http://purl.oclc.org/ooxml/spreadsheetml/main")
_S = "[ \t\r\n]"
_PROLOG = re.compile(
    "\ufeff?(?:<\\?xml(?P<decl>(?:%s+[a-z]+%s*=%s*(?:\"[^\"<>]*\"|'[^'<>]*'))*)%s*\\?>)?%s*"
    "(?P<root><worksheet(?:%s+[^\\s=<>/\"']+%s*=%s*(?:\"[^\"<]*\"|'[^'<]*'))*%s*>)"
    % ((_S,) * 9))
_DECL_ATTR = re.compile("([a-z]+)%s*=%s*[\"']([^\"']*)[\"']" % (_S, _S))
# the start tag of a row this path may read: r first, the rest checked once by lxml (_row_rest_ok)
_ROW = re.compile('<row r="([1-9][0-9]{0,6})"((?:%s+[^\\s=<>/"\']+="[^"<>&]*")*%s*)(/?)>' % (_S, _S))
# any row start tag, its end found the way XML finds it (quoted values hold no "<")
_ANY_ROW = re.compile("<row(?:%s+[^\\s=<>/\"']+%s*=%s*(?:\"[^\"<]*\"|'[^'<]*'))*%s*(/?)>" % ((_S,) * 4))
# inside a row handed to the parser: the end tag, and what could hide one or nest a row
_MARK = re.compile("</row>|<!--|<!\\[CDATA\\[|<\\?|<!|</?(?:[^\\s<>/:]+:)?row[\\s/>]")
_SKIP = {"<!--": "-->", "<![CDATA[": "]]>", "<?": "?>"}
# character data: no markup, no character XML forbids ("&" and "\r" are decoded after the match)
_TEXT = "[^<\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]*"
# one cell, with its r in the row (space before its > or /> allowed); groups: letters, digits,
# attributes, <v>, its text, <is>, preserve, <t> text. Anything else, one character at a time,
# with empty groups (digits "").
_CELL = re.compile(
    '%s*(?:<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"((?: [st]="[0-9A-Za-z]+"){0,2})%s*'
    '(?:/>|>(?:(<v(?:/>|>(%s)</v>))|(<is(?:/>|>(?:<t(?: xml:space="(preserve)")?(?:/>|>(%s)</t>))?</is>)))?</c>)'
    '|[^ \t\r\n])' % (_S, _S, _TEXT, _TEXT))
_CELL_ATTRS = re.compile(' ([st])="([^"]*)"')
_TYPES = frozenset(("s", "n", "b", "str", "d", "inlineStr"))  # t="e" (and any other) goes to lxml
_REF = re.compile("&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,10})|#x([0-9a-fA-F]{1,8}));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


class _Fallback(Exception):
    """This row is for lxml."""


def _ref(m) -> str:
    name, dec, hexa = m.groups()
    if name:
        return _NAMED[name]
    code = int(dec) if dec else int(hexa, 16)
    if code in (9, 10, 13) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF:
        return chr(code)
    raise _Fallback  # libxml2 refuses it (lxml says where)


def _xml_text(text: str) -> str:
    """Character data as an XML parser reports it: line ends normalised, references decoded."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in text:
        if text.count("&") != len(_REF.findall(text)):
            raise _Fallback
        text = _REF.sub(_ref, text)
    return text


def _cell_attrs(attrs: str, cache: dict) -> tuple:
    """(s, t) of a cell's attributes after r; raises _Fallback for what lxml should judge."""
    found = _CELL_ATTRS.findall(attrs)
    names = [k for k, _v in found]
    if len(set(names)) != len(names):
        raise _Fallback  # an attribute twice: lxml refuses the part
    d = dict(found)
    s, t = d.get("s"), d.get("t")
    if s is not None and not s.isdigit() or t is not None and t not in _TYPES:
        raise _Fallback
    if len(cache) > 4096:
        cache.clear()
    cache[attrs] = (s, t)
    return s, t


_PAYLOAD = "(" + _TEXT[:-1] + "+)"  # a cell's text as _CELL takes it, not empty
SHAPES_KEPT = 8      # row shapes with the same key tried on a row, the most recently used first
SHAPES_MADE = 64     # shapes made in one sheet at most (a sheet whose rows all differ stays on _CELL)
SHAPE_CHARS = 16_384  # no shape is made of a longer row (an export's is about 1,000): a pattern stays small


class _Shape:
    """How one row's cells were written — each cell's column, attributes and form, in order — as one
    regular expression of the whole row whose groups are the row number and the cells' texts. Exports
    write row after row the same way: reading a row is then one match, instead of _CELL's match per cell
    (100,000 rows: 0.73 s of matching → 0.12 s). A shape is made only from a row the per-cell path has read,
    and reads only what that path reads the same way (plain texts, not empty, no character reference,
    shared-string indexes that exist); any other row, or text, goes to the per-cell path as before."""

    __slots__ = ("match", "key", "width", "texts", "numbers", "shared", "others")

    def __init__(self, match, cells: list[tuple], width: int, key: int) -> None:
        self.match, self.width, self.key = match, width, key
        # each cell's group (the row number is group 1) and column, by how its text becomes a value
        self.texts = [(g, col) for g, (col, form, s, t) in enumerate(cells, 2) if form == "t"]
        self.numbers = [(g, col, s) for g, (col, form, s, t) in enumerate(cells, 2) if form == "v" and t is None]
        self.shared = [(g, col) for g, (col, form, s, t) in enumerate(cells, 2) if form == "v" and t == "s"]
        self.others = [(g, col, t, s) for g, (col, form, s, t) in enumerate(cells, 2)
                       if form == "v" and t is not None and t != "s"]

    @staticmethod
    def key_of(content: str) -> int:
        """Rows of one shape have as many <v> (a text never holds a "<"): shapes are looked up by it."""
        return content.count("<v>")

    @classmethod
    def of(cls, content: str, attr_cache: dict) -> "_Shape | None":
        """The shape of a row the per-cell path has read (``content``: the row's text, every cell's attributes in
        ``attr_cache``): each cell's text as it is written, its row number and its text (not empty) as groups;
        None when a cell is one this class does not read (written without a text, a shared text as <v/>, …)."""
        parts: list[str] = []
        cells: list[tuple] = []
        last = -1
        for i, m in enumerate(_CELL.finditer(content)):
            letters, _digits, attrs, v, vt, is_, _preserve, tt = m.groups()
            col = _col_index(letters) if letters else None
            if col is None or col <= last:
                return None
            last = col
            st = attr_cache.get(attrs) if attrs else (None, None)
            if st is None:  # the cache was emptied in this row (over 4,096 kinds): not made from this row
                return None
            s, t = st
            if v:
                if not vt or t == "inlineStr":
                    return None
                text_at, form = 5, "v"
            elif is_:
                if not tt or t != "inlineStr":
                    return None
                text_at, form = 8, "t"
            else:
                text_at = form = None  # a cell with only a style: no value
            whole = m.group(0)
            at = m.start()
            d0, d1 = (x - at for x in m.span(2))
            number = "(?P<n>[1-9][0-9]{0,6})" if i == 0 else "(?P=n)"
            if form is None:
                parts.append(re.escape(whole[:d0]) + number + re.escape(whole[d1:]))
                continue
            p0, p1 = (x - at for x in m.span(text_at))
            parts.append(re.escape(whole[:d0]) + number + re.escape(whole[d1:p0]) + _PAYLOAD + re.escape(whole[p1:]))
            cells.append((col, form, s, t))
        if not cells:
            return None
        match = re.compile("".join(parts)).fullmatch
        if match(content) is None:  # not all of the row is its cells (text between them): not a shape
            return None
        return cls(match, cells, cells[-1][0] + 1, cls.key_of(content))

    def read(self, content: str, rtext: str, untyped, v_value, strings: list) -> list | None:
        """The row's values as the per-cell path makes them, or None: that path reads this row."""
        m = self.match(content)
        if m is None:
            return None
        group = m.group
        if group(1) != rtext:
            return None
        vals: list = [""] * self.width
        for g, col in self.texts:
            text = group(g)
            if text[0] in _WS or text[-1] in _WS or "_x00" in text:
                return None
            vals[col] = text
        for g, col, s in self.numbers:
            vals[col] = untyped(group(g), s)
        for g, col in self.shared:
            try:
                vals[col] = strings[int(group(g))]
            except (ValueError, IndexError):
                return None
        for g, col, t, s in self.others:
            value = v_value(group(g), t, s)
            if value is _EMPTY:
                return None
            vals[col] = value
        return vals


class _Chunks:
    """The part as text, decoded chunk by chunk (bytes that are not UTF-8 become lone surrogates,
    which no fast pattern accepts, and are written back unchanged for lxml)."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self.eof = False

    def read(self) -> str:
        if self.eof:
            return ""
        data = self.stream.read(_CHUNK)
        if not data:
            self.eof = True
            return self.decoder.decode(b"", True)
        return self.decoder.decode(data)

    def replay(self, *texts: str) -> _Prefixed:
        """A stream of ``texts`` followed by the part from where this has read to (the bytes of an
        unfinished character included)."""
        return _Prefixed(b"".join(_raw(t) for t in texts) + self.decoder.getstate()[0], self.stream)


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _fast_rows(stream, st: _State) -> Iterator[tuple[int, list]]:
    """The sheet read by the fast path where it can be (see above), else by :func:`_rows`."""
    chunks = _Chunks(stream)
    buf = ""
    while True:
        at = buf.find("<sheetData>")
        if at >= 0 or chunks.eof or len(buf) > _HEAD_MAX:
            break
        buf += chunks.read()
    root = _fast_root(buf, at)
    if root is None:  # not a part this path reads: lxml reads it all, from the first byte
        STATS["degraded"] = 1
        yield from _rows(chunks.replay(buf), st)
        return
    yield from _fast_body(chunks, buf, at + len("<sheetData>"), root, st)


def _fast_root(head: str, at: int) -> tuple[str, str] | None:
    """(the root start tag, its default namespace) when the part's beginning is one this path
    reads: UTF-8, well-formed up to ``<sheetData>``, which is a child of ``<worksheet>`` in a
    SpreadsheetML default namespace with no attribute of its own (so a row's namespaces are the
    root's)."""
    if at < 0:
        return None
    m = _PROLOG.match(head)
    if m is None or m.end() > at:
        return None
    if m.group("decl"):
        decl = dict(_DECL_ATTR.findall(m.group("decl")))
        if decl.get("version", "1.0") != "1.0" or decl.get("encoding", "utf-8").lower() not in ("utf-8", "utf8"):
            return None
    try:
        el = etree.fromstring(_raw(head[: at] + "<sheetData/></worksheet>"), _parser())
    except etree.XMLSyntaxError:
        return None  # lxml says what is wrong, from the first byte
    ns = el.nsmap.get(None)
    if ns not in _FAST_NS or el.getroottree().docinfo.doctype:
        return None
    return m.group("root"), ns


def _row_end(buf: str, at: int) -> int | None:
    """Where the ``</row>`` ending a row whose content starts at ``at`` is, past comments, CDATA
    sections and processing instructions; -1 when ``buf`` ends first; None for a nested row tag
    or another ``<!`` (the parser reads the rest of the part)."""
    search = _MARK.search
    while True:
        m = search(buf, at)
        if m is None:
            return -1
        token = m.group()
        if token == "</row>":
            return m.start()
        close = _SKIP.get(token)
        if close is None:
            return None
        at = buf.find(close, m.end())
        if at < 0:
            return -1
        at += len(close)


def _row_rest_ok(root: str, rest: str, cache: dict) -> bool:
    """Whether lxml takes ``<row r="1"`` + rest + ``>`` in this part (names, prefixes, repeats)."""
    ok = cache.get(rest)
    if ok is None:
        ok = "xmlns" not in rest
        if ok:
            try:
                etree.fromstring(_raw(f'{root}<sheetData><row r="1"{rest}/></sheetData></worksheet>'), _parser())
            except etree.XMLSyntaxError:
                ok = False
        if len(cache) > 4096:
            cache.clear()
        cache[rest] = ok
    return ok


def _fast_body(chunks: _Chunks, buf: str, pos: int, root: tuple[str, str],
               st: _State) -> Iterator[tuple[int, list]]:
    """The rows from ``buf[pos:]`` (just after ``<sheetData>``) on."""
    root_tag, ns = root
    prefix = buf[:pos]
    place = st.place
    parser = _parser()

    def lxml(row_text: str):
        """One row the patterns do not take, as an element parsed in a document of its own: the
        root start tag copied from the part (its namespace declarations), ``<sheetData>``, the
        row. None when lxml refuses it: iterparse then reads from this row on, so that it raises
        where it would have (at once, or at the end for a namespace error)."""
        try:
            doc = etree.fromstring(_raw(f"{root_tag}<sheetData>{row_text}</sheetData></worksheet>"), parser)
        except etree.XMLSyntaxError:
            return None
        return doc[0][0]

    sheet = None  # st.sheet, once a row has made it
    untyped = v_value = None
    strings = st.strings
    cols = _COLS
    row_match = _ROW.match
    cells_of = _CELL.findall
    attr_cache: dict[str, tuple] = {}
    rest_cache: dict[str, bool] = {}
    text_cache: dict[str, str] = {}
    shapes: dict[int, list[_Shape]] = {}  # the rows' shapes met, by key, the most recently used first
    shapes_made = 0

    def xml_text(text: str) -> str:  # texts with references repeat (names, places): decode each once
        hit = text_cache.get(text)
        if hit is None:
            if len(text_cache) >= _DATE_CACHE_MAX:
                text_cache.clear()
            hit = text_cache[text] = _xml_text(text)
        return hit
    fast = lxml_rows = shaped = 0
    degraded = False
    n_buf = len(buf)
    while True:
        # the next thing at the level of <sheetData>'s children
        while pos < n_buf and buf[pos] in " \t\r\n":
            pos += 1
        if pos + 16 > n_buf and not chunks.eof:
            buf = buf[pos:] + chunks.read()
            pos, n_buf = 0, len(buf)
            continue
        if pos >= n_buf:
            break  # the part ends inside <sheetData>: iterparse says so
        m = row_match(buf, pos)
        if m is not None:
            if sheet is None:
                if st.sheet is None:
                    st.sheet = _Sheet(st.strings, st.kinds, st.is_1904, "{%s}" % ns)
                elif st.sheet.C != "{%s}c" % ns:
                    degraded = True  # the first row was in another namespace: lxml reads the rest
                    break
                sheet = st.sheet
                untyped, v_value = sheet.untyped, sheet.v_value
            if m.group(3):
                end = content_end = m.end()
            else:
                content_end = buf.find("</row>", m.end())
                if content_end < 0:
                    if chunks.eof or n_buf - pos > _HEAD_MAX:
                        degraded = True
                        break
                    buf = buf[pos:] + chunks.read()
                    pos, n_buf = 0, len(buf)
                    continue
                end = content_end + 6
            rtext, rest = m.group(1), m.group(2)
            try:
                if rest and not _row_rest_ok(root_tag, rest, rest_cache):
                    raise _Fallback
                content = buf[m.end():content_end]
                number_ = int(rtext)
                vals: list = []
                if content:
                    odd = "&" in content or "\r" in content
                    if "]]>" in content:
                        raise _Fallback
                    found = None
                    if SHAPES and not odd:
                        alike = shapes.get(content.count("<v>"))  # _Shape.key_of, inline
                        if alike is not None:
                            for i, shape in enumerate(alike):
                                got = shape.read(content, rtext, untyped, v_value, strings)
                                if got is not None:
                                    if i:
                                        alike.insert(0, alike.pop(i))
                                    vals, found = got, ()
                                    shaped += 1
                                    break
                    if found is None:
                        found = cells_of(content)
                    for letters, digits, attrs, v, vt, is_, preserve, tt in found:
                        if digits != rtext:
                            raise _Fallback  # not a plain cell, or its r is in another row
                        col = cols.get(letters)
                        if col is None:
                            col = _col_index(letters)
                        if attrs:
                            s, t = attr_cache.get(attrs) or _cell_attrs(attrs, attr_cache)
                        else:
                            s = t = None
                        if v:
                            if odd:
                                vt = xml_text(vt)
                            if t is None:
                                if not vt:
                                    continue
                                value = untyped(vt, s)
                            elif t == "s":
                                try:
                                    value = strings[int(vt)]
                                except (ValueError, IndexError):
                                    value = v_value(vt, t, s)
                                    if value is _EMPTY:
                                        continue
                            elif t == "inlineStr":
                                raise _Fallback
                            else:
                                value = v_value(vt, t, s)
                                if value is _EMPTY:
                                    continue
                        elif is_:
                            if t != "inlineStr":
                                raise _Fallback
                            if tt:
                                value = xml_text(tt) if odd else tt
                                if value[0] in _WS or value[-1] in _WS or "_x00" in value:
                                    value = _t_finish(value, preserve != "")
                            else:
                                value = ""
                        else:
                            continue  # a cell with only a style (t="e" is not in _TYPES)
                        if col == len(vals):
                            vals.append(value)
                        elif col > len(vals):
                            vals.extend([""] * (col - len(vals)))
                            vals.append(value)
                        else:
                            vals[col] = value
                    if found and SHAPES and not odd and shapes_made < SHAPES_MADE and len(content) <= SHAPE_CHARS:
                        shape = _Shape.of(content, attr_cache)
                        if shape is not None:
                            shapes_made += 1
                            alike = shapes.setdefault(shape.key, [])
                            alike.insert(0, shape)
                            del alike[SHAPES_KEPT:]
            except (_Fallback, FileError):
                closed = bool(m.group(3))  # lxml reads this row (and says what is wrong with it, if anything)
            else:
                pos = end
                fast += 1
                st.row_index = number_
                yield from place(number_, vals)
                continue
        else:
            if buf.startswith("</sheetData>", pos):
                break
            m = _ANY_ROW.match(buf, pos)
            if m is None:
                if buf.startswith("<row", pos) and len(buf) - pos < _HEAD_MAX and not chunks.eof \
                        and buf.find(">", pos) < 0:
                    buf = buf[pos:] + chunks.read()
                    pos, n_buf = 0, len(buf)
                    continue
                degraded = True  # text, a comment, another element: the parser reads from here on
                break
            closed = bool(m.group(1))
        # one row for lxml: a row the patterns above could not read, cut at its real end
        if closed:
            end = m.end()
        else:
            end = _row_end(buf, m.end())
            if end is None or end < 0 and (chunks.eof or n_buf - pos > _HEAD_MAX):
                degraded = True
                break
            if end < 0:
                buf = buf[pos:] + chunks.read()
                pos, n_buf = 0, len(buf)
                continue
            end += 6
        row = lxml(buf[pos:end])
        if row is None:
            degraded = True
            break
        pos = end
        lxml_rows += 1
        STATS["lxml"] += 1
        yield from place(*_lxml_row(row, st))
        if lxml_rows > 1000 and lxml_rows > fast:
            degraded = True  # mostly rows lxml reads: let it read the rest at its own pace
            break
    # the rest (from </sheetData>, or from where this path stopped) is read by iterparse, in a
    # document made of the part's beginning and that rest (the rows read so far are left out)
    STATS.update(fast=fast, degraded=int(degraded), shaped=shaped)
    yield from _rows(chunks.replay(prefix, buf[pos:]), st)

def _gap(yielded: int, upto: int) -> Iterator[tuple[int, list]]:
    for n in range(yielded + 1, upto):
        yield n, []


def _merge(vals: list, cells: dict[int, object], under: bool = False) -> list:
    """Put ``cells`` into ``vals``; with ``under`` the values already in ``vals`` (later in the
    stream) win, as in calamine."""
    for col, value in sorted(cells.items()):
        if col >= len(vals):
            vals.extend([""] * (col - len(vals)))
            vals.append(value)
        elif not under or vals[col] == "" and vals[col].__class__ is str:
            vals[col] = value
    return vals
