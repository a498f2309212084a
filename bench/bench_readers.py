"""Readers of one worksheet, measured side by side: which parser streams a settlement export fastest
in constant memory (issue 12). Each candidate runs in its own process and reads every row of the
sheet into Python values (shared strings resolved, numbers as float, dates by style):

    python bench/bench_readers.py                  # bench/.cache/阳城_100000.xlsx (100,000 × 19)
    python bench/bench_readers.py --rows 1000000   # 1,000,000 × 19 (made once by bench_fill.make_input)
    python bench/bench_readers.py --only stream,stream_lxml,calamine
    python bench/bench_readers.py --shared         # the same rows with shared strings (made once by openpyxl)

Reported per candidate: wall seconds, CPU seconds (user + sys: steadier than wall when other
processes share the 2 cores) and peak RSS (the child's ru_maxrss), each with its ratio to
calamine's ``to_python`` measured in the same run.

  calamine     python-calamine ``to_python(skip_empty_area=False)`` (what reader.py did)
  calamine_it  python-calamine ``iter_rows()`` (still builds the whole range in Rust first)
  stream       processor.io.xlsx_stream.iter_sheet (the fast path: regular expressions over the text,
               lxml for the rows they do not take; the chosen reader)
  stream_lxml  the same with the fast path off (lxml iterparse for every row)
  expat        stdlib pyexpat, buffer_text, a small state machine
  et_iterparse stdlib xml.etree.ElementTree.iterparse, rows cleared as read
  et_pull      stdlib xml.etree.ElementTree.XMLPullParser fed 1 MiB chunks
  openpyxl     openpyxl ``load_workbook(read_only=True)`` + ``iter_rows(values_only=True)``
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
SHEET = "结算明细"
CANDIDATES = ["calamine", "calamine_it", "stream", "stream_lxml", "expat", "et_iterparse", "et_pull", "openpyxl"]

# --- the candidates (run inside the child) ------------------------------------------------------


def _sheet_part(path: Path) -> tuple[str, list[str], set[str]]:
    """Worksheet member, shared strings and date style indexes, via the streaming module's helpers
    (the same for every stdlib candidate, and not what is being timed in earnest: small parts)."""
    import zipfile

    from processor.io import xlsx_stream as xs
    with zipfile.ZipFile(path) as zf:
        book = xs._Book(zf)
        info = next(s for s in book.sheets if s.name == SHEET)
        strings = xs._shared_strings(book)
        kinds = xs._style_kinds(book)
        return book.member(info.part).filename, strings, {k for k, v in kinds.items() if v == 1}


def run_calamine(path: Path):
    from python_calamine import CalamineWorkbook
    with CalamineWorkbook.from_path(str(path)) as book:
        grid = book.get_sheet_by_name(SHEET).to_python(skip_empty_area=False)
        n = 0
        for _row in grid:
            n += 1
        return n


def run_calamine_it(path: Path):
    from python_calamine import CalamineWorkbook
    with CalamineWorkbook.from_path(str(path)) as book:
        n = 0
        for _row in book.get_sheet_by_name(SHEET).iter_rows():
            n += 1
        return n


def run_stream(path: Path):
    from processor.io.xlsx_stream import iter_sheet
    n = 0
    for _n, _row in iter_sheet(path, SHEET):
        n += 1
    return n


def run_stream_lxml(path: Path):
    from processor.io import xlsx_stream
    xlsx_stream.FAST = False
    return run_stream(path)


def make_shared(rows: int) -> Path:
    """The export of ``rows`` rows with its text in sharedStrings.xml (as Excel and many platform
    exports write it) instead of inline strings: each inline cell becomes ``t="s"`` with the index of
    its text, in order of first use. (openpyxl's write-only mode writes inline strings, so the copy
    is made here.)"""
    import re
    import zipfile

    from bench_fill import make_input
    source = CACHE / f"阳城_{rows}.xlsx"
    if not source.exists():
        source = make_input(rows)
    out = CACHE / f"阳城_{rows}_shared.xlsx"
    cell = re.compile(r'<c r="([A-Z]+[0-9]+)"((?: s="[0-9]+")?) t="inlineStr"><is><t>([^<]*)</t></is></c>')
    index: dict[str, int] = {}

    def shared(m) -> str:
        i = index.setdefault(m.group(3), len(index))
        return f'<c r="{m.group(1)}"{m.group(2)} t="s"><v>{i}</v></c>'

    sst = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = None if info.filename == "xl/worksheets/sheet1.xml" else zin.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{sst}"/>'
                                    "</Types>".encode())
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdSST" Type="http://schemas.openxml'
                                    b'formats.org/officeDocument/2006/relationships/sharedStrings" '
                                    b'Target="sharedStrings.xml"/></Relationships>')
            if data is not None:
                zout.writestr(info.filename, data)
                continue
            with zin.open(info) as src, zout.open(info.filename, "w", force_zip64=True) as dst:
                tail = b""
                while True:
                    chunk = src.read(1 << 20)
                    text = tail + chunk
                    cut = len(text) if not chunk else text.rfind(b"</row>") + 6
                    dst.write(cell.sub(shared, text[:cut].decode()).encode())
                    tail = text[cut:]
                    if not chunk:
                        break
        with zout.open("xl/sharedStrings.xml", "w", force_zip64=True) as dst:
            dst.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.'
                      b'openxmlformats.org/spreadsheetml/2006/main" uniqueCount="%d">' % len(index))
            for text in index:  # the patterns took texts without markup, already escaped
                dst.write(f"<si><t>{text}</t></si>".encode())
            dst.write(b"</sst>")
    return out


def _col(ref: str, cache: dict) -> int:
    letters = ref.rstrip("0123456789")
    col = cache.get(letters)
    if col is None:
        col = 0
        for ch in letters:
            col = col * 26 + ord(ch) - 64
        col = cache[letters] = col - 1
    return col


def _convert(text, t, s, strings, date_styles, dates):
    from processor.io.xlsx_stream import excel_date
    if t is None or t == "n":
        value = float(text)
        if s in date_styles:
            hit = dates.get(text)
            if hit is None:
                hit = dates[text] = excel_date(value, False)
            return hit
        return value
    if t == "s":
        return strings[int(text)]
    if t == "b":
        return text != "0"
    return text


def run_expat(path: Path):
    import zipfile
    from xml.parsers import expat
    member, strings, date_styles = _sheet_part(path)
    state = {"row": None, "rows": 0, "cell": None, "text": None, "inv": False}
    cols: dict = {}
    dates: dict = {}

    def start(name, attrs):
        if name == "c":
            state["cell"] = (attrs.get("r"), attrs.get("t"), attrs.get("s"))
            state["text"] = None
        elif name in ("v", "t"):
            state["inv"] = True
        elif name == "row":
            state["row"] = []

    def end(name):
        if name == "c":
            ref, t, s = state["cell"]
            text = state["text"]
            if text is not None:
                row = state["row"]
                col = _col(ref, cols)
                row.extend([""] * (col - len(row)))
                row.append(text if t == "inlineStr" else _convert(text, t, s, strings, date_styles, dates))
        elif name in ("v", "t"):
            state["inv"] = False
        elif name == "row":
            state["rows"] += 1

    def data(text):
        if state["inv"]:
            state["text"] = text if state["text"] is None else state["text"] + text

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, data
    with zipfile.ZipFile(path) as zf, zf.open(member) as fh:
        parser.ParseFile(fh)
    return state["rows"]


def _et_rows(events, ns, strings, date_styles):
    C, V, IS, T = ns + "c", ns + "v", ns + "is", ns + "t"
    cols: dict = {}
    dates: dict = {}
    n = 0
    for _event, el in events:
        if el.tag != ns + "row":
            continue
        row = []
        for c in el:
            if c.tag != C:
                continue
            t = c.get("t")
            child = c[0] if len(c) else None
            if child is None:
                continue
            if child.tag == IS:
                value = child[0].text if len(child) else ""
            elif child.tag == V:
                value = _convert(child.text, t, c.get("s"), strings, date_styles, dates)
            else:
                continue
            col = _col(c.get("r"), cols)
            row.extend([""] * (col - len(row)))
            row.append(value)
        el.clear()
        n += 1
    return n


def _et_events(pairs, ns):
    """'end' events of rows; sheetData (seen at its 'start') is emptied after each row."""
    holder = None
    for event, el in pairs:
        if event == "start":
            if el.tag == ns + "sheetData":
                holder = el
            continue
        if el.tag == ns + "row":
            yield event, el
            if holder is not None:
                holder.clear()


def run_et_iterparse(path: Path):
    import xml.etree.ElementTree as ET
    import zipfile
    member, strings, date_styles = _sheet_part(path)
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(path) as zf, zf.open(member) as fh:
        return _et_rows(_et_events(ET.iterparse(fh, events=("start", "end")), ns), ns, strings, date_styles)


def run_et_pull(path: Path):
    import xml.etree.ElementTree as ET
    import zipfile
    member, strings, date_styles = _sheet_part(path)
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    parser = ET.XMLPullParser(events=("start", "end"))

    def pairs():
        with zipfile.ZipFile(path) as zf, zf.open(member) as fh:
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    break
                parser.feed(chunk)
                yield from parser.read_events()
        parser.close()
        yield from parser.read_events()
    return _et_rows(_et_events(pairs(), ns), ns, strings, date_styles)


def run_openpyxl(path: Path):
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    n = 0
    for _row in wb[SHEET].iter_rows(values_only=True):
        n += 1
    wb.close()
    return n


# --- the harness ---------------------------------------------------------------------------------

def child(name: str, path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    start = time.perf_counter()
    rows = globals()[f"run_{name}"](path)
    print(json.dumps({"rows": rows, "inner": time.perf_counter() - start}))


def measure(name: str, path: Path) -> dict:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", name, str(path)], stdout=subprocess.PIPE,
                            text=True)
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        return {"name": name, "error": f"exit {proc.returncode}"}
    result = json.loads(out.strip().splitlines()[-1])
    return {"name": name, "rows": result["rows"], "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--only", help="comma-separated candidates (calamine is always run: it is the baseline)")
    ap.add_argument("--shared", action="store_true", help="read the shared-strings copy of the export")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_fill import make_input
    path = CACHE / f"阳城_{args.rows}{'_shared' if args.shared else ''}.xlsx"
    if not path.exists():
        print(f"making {path.name} …", flush=True)
        path = make_shared(args.rows) if args.shared else make_input(args.rows)
    names = CANDIDATES if not args.only else ["calamine"] + [n for n in args.only.split(",") if n != "calamine"]
    results = []
    for name in names:
        print(f"  {name} …", flush=True)
        results.append(measure(name, path))
    base = results[0]
    print(f"\n{path.name}: {base.get('rows', '?')} rows read")
    print(f"{'reader':<13}{'wall s':>9}{'×':>7}{'cpu s':>9}{'×':>7}{'peak RSS MB':>13}{'×':>7}")
    for r in results:
        if "error" in r:
            print(f"{r['name']:<13} {r['error']}")
            continue
        print(f"{r['name']:<13}{r['wall']:>9.1f}{r['wall'] / base['wall']:>7.2f}{r['cpu']:>9.1f}"
              f"{r['cpu'] / base['cpu']:>7.2f}{r['rss_mb']:>13.0f}{r['rss_mb'] / base['rss_mb']:>7.2f}"
              + ("" if r["rows"] == base["rows"] else f"  ({r['rows']} rows)"))


if __name__ == "__main__":
    main()
