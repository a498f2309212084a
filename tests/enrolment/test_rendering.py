"""The enrolment workbooks open and print in LibreOffice (headless PDF): the bundled 西秀 sample through
`yibao enrol` and `yibao compare`, every workbook converted, none refused."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .support import run

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"


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
