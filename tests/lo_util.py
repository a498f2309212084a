"""LibreOffice helper for tests: recalculate a workbook headless and read the results.

``recalculate(path, outdir)`` converts ``path`` to xlsx with ``soffice --headless --convert-to``
in a throw-away user profile whose ``registrymodifications.xcu`` sets
``org.openoffice.Office.Calc/Formula/Load`` ``OOXMLRecalcMode`` (and ``ODFRecalcMode``) to 0 =
"always recalculate" — LibreOffice otherwise keeps the cached values of an xlsx, and the files
this project writes have none. Read the result with ``openpyxl.load_workbook(p, data_only=True)``.

Skip tests that need it with ``pytest.mark.skipif(not lo_util.available(), ...)``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

_RECALC_ALWAYS_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


class ConversionError(RuntimeError):
    """soffice failed or produced no file."""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def available() -> bool:
    return soffice() is not None


def recalculate(path: Path, outdir: Path, timeout: float = 180) -> Path:
    """Open ``path`` in headless LibreOffice with recalculation forced, save it as xlsx into
    ``outdir`` and return the new file's path (same stem, ``.xlsx``). Raises ConversionError."""
    exe = soffice()
    if exe is None:
        raise ConversionError("LibreOffice (soffice) is not installed")
    path = Path(path).resolve()
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    if outdir == path.parent:
        raise ValueError("outdir must differ from the input's directory (the output has the same name)")
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as tmp:
        profile = Path(tmp) / "profile"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_RECALC_ALWAYS_XCU, encoding="utf-8")
        env = dict(os.environ, HOME=tmp)
        cmd = [
            exe,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless", "--norestore", "--nolockcheck", "--nodefault",
            "--convert-to", "xlsx:Calc MS Excel 2007 XML",
            "--outdir", str(outdir),
            str(path),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    result = outdir / (path.stem + ".xlsx")
    output = f"{proc.stdout.strip()} {proc.stderr.strip()}".strip()
    if proc.returncode != 0 or not result.is_file() or "error" in output.lower():
        raise ConversionError(f"soffice failed (rc={proc.returncode}): {output}")
    return result
