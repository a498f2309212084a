"""The enrolment workbooks open and print in LibreOffice (headless PDF): the bundled 西秀 sample through
`yibao enrol` and `yibao compare`, every workbook converted, none refused, and the printed text large
enough to read (表一's 22 columns go on A3: fit to an A4 width they printed at about 4 pt)."""
from __future__ import annotations

import re
import shutil
import statistics
import subprocess
from pathlib import Path

import pytest

from .support import run

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"


def word_height(pdf: Path) -> float:
    """The median height (pt) of the words on page 1, as pdftotext measures their boxes: about the printed
    font size (a 10 pt body at 44 % measured 4.03 pt)."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    heights = [float(b) - float(a) for a, b in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', html)]
    assert heights, pdf.name
    return statistics.median(heights)


def page_size(pdf: Path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    w, h = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups()
    return float(w), float(h)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_sample_outputs_print_in_libreoffice(tmp_path):
    rosters = sorted(SAMPLES.glob("西秀_认定名单_*.xlsx"))
    pays = SAMPLES / "西秀_缴费记录.xlsx"
    assert run("enrol", *rosters, "--payments", pays, "--region", "西秀", "--year", 2022, "--out", tmp_path / "enrol",
               "--settings", ROOT / "settings.example.toml", "--quiet") == 0
    assert run("compare", *rosters, "--payments", pays, "--region", "西秀", "--out", tmp_path / "compare", "--quiet") == 0
    books = sorted((tmp_path / "enrol").glob("*.xlsx")) + sorted((tmp_path / "compare").glob("*.xlsx"))
    assert len(books) >= 9
    pdf = tmp_path / "pdf"
    done = subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(pdf), *map(str, books)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    for book in books:
        out = pdf / (book.stem + ".pdf")
        assert out.is_file() and out.stat().st_size > 2000, book.name
        assert out.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) not installed: the printed sizes are not measured")
    for book in books:
        # 10 pt body text fit to the page width: at least 60 % of it, allowing the box's rounding
        # (表一 fit to an A4 width measured 4.03 here)
        assert word_height(pdf / (book.stem + ".pdf")) >= 5.5, book.name
    # 表一: A3 landscape is 1190.55 × 841.89 pt (420 × 297 mm); the narrower sheets stay on A4 (841.89 × 595.28)
    assert page_size(pdf / "表一_参保资助台账.pdf") == pytest.approx((1190.55, 841.89), abs=1)
    assert page_size(pdf / "代缴请款明细.pdf") == pytest.approx((841.89, 595.3), abs=1)
