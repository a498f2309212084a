"""The Excel functions under Pyodide — the Python that xlwings Lite runs inside the workbook (Microsoft 365,
Office 2021+ on Windows, Mac and the web), with no local Python: the same ``udf`` module, the same engine,
only what Pyodide can load (the standard library; no pandas, no calamine on this path).

The npm package ``pyodide`` runs under Node, offline. `.ci/run` installs it into tests/udf/pyodide/node_modules;
without Node or the package the test is skipped and says why.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

import udf
from udf import functions

HERE = Path(__file__).resolve().parent / "pyodide"
ROOT = HERE.parents[2]
PACKAGE = HERE / "node_modules" / "pyodide"

SETTINGS = "".join(
    f'[[setting]]\nregion = "{r}"\nkey = "{k}"\nyear = {y}\nvalue = "{v}"\nsource = "测试数字"\n'
    for r, k, y, v in [("赣州", "disposable_income", 2021, "30000"), ("赣州", "rural_income_province", 2021, "20000"),
                       ("龙岩", "disposable_income", 2022, "40000"), ("龙岩", "assistance_cap", 2023, "60000"),
                       ("龙岩", "critical_cap", 2023, "300000"), ("阳城", "assistance_cap", 2022, "100000")])
D, D_LY = "2022-06-30", "2023-06-30"
CELLS = [  # (function, arguments) as a worksheet would pass them
    ("ASSIST", ["低保", 10000.0, "赣州", None, None, "住院", D]),               # 75% → 7,500
    ("ASSIST", ["低保边缘", 10000.0, "赣州", None, None, "住院", D]),           # (10,000 − 3,000) × 60% = 4,200
    ("ASSIST", ["第四类", 10000.0, "龙岩", None, None, "住院", D_LY]),          # (10,000 − 4,000) × 60% = 3,600
    ("ASSIST", ["返贫致贫", 5000.0, "阳城", None, None, "住院", D, "是", 10000.0, "是"]),  # 90% top-up → 4,000
    ("ASSIST", ["低保", 0.015, "赣州", None, None, "住院", D]),  # 0.015 → 0.02 (half-up to the fen); 2 × 75% = 1.5 → 2 fen
    ("CRITICAL", ["低保", 100000.0, "赣州", None, D]),                          # (100,000 − 7,500) × 65% = 60,125
    ("SUBSIDY", ["低保", "阳城", 2022]),                                         # 80% × 320 = 256 → floor 280
    ("TILT", ["低保", 50000.0, "赣州", None, None, D, None, 50000.0]),          # (50,000 − 30,000) × 75% = 15,000
    ("TILT", ["低保", 50000.0, "龙岩", None, None, D_LY]),                      # 依申请
    ("MONITOR", ["脱贫户", 10000.01, "赣州", None, D]),                          # > 10,000 → 因病返贫监测
    ("IDENTITY", ["低保、特困", "赣州", D]),
    ("ID_CHECK", ["36070219800101001 6"]),
    ("ASSIST", ["外星人", 100.0, "赣州", None, None, "住院", D]),               # a # message
    ("ASSIST_EXPLAIN", ["低保", 10000.0, "赣州", None, None, "住院", D]),
]
EXPECTED = {0: 7500.0, 1: 4200.0, 2: 3600.0, 3: 4000.0, 4: 0.02, 5: 60125.0, 6: 280.0, 7: 15000.0, 8: "依申请",
            9: "因病返贫监测", 10: "特困人员"}


def _node() -> str | None:
    return shutil.which("node")


@pytest.fixture(scope="module")
def in_pyodide(tmp_path_factory):
    if _node() is None:
        pytest.skip("Node.js 不在本机：无法运行 Pyodide（xlwings Lite 所用的 Python）")
    if not (PACKAGE / "pyodide.mjs").exists():
        pytest.skip("npm 包 pyodide 未安装：运行 `npm install --no-save --prefix tests/udf/pyodide pyodide@314.0.7`"
                    "（.ci/run 会安装）")
    cases = tmp_path_factory.mktemp("pyodide") / "cases.json"
    cases.write_text(json.dumps({"settings": SETTINGS, "cells": CELLS}, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run([_node(), str(HERE / "run_cells.mjs"), str(PACKAGE), str(ROOT), str(cases)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def in_cpython(monkeypatch):
    functions.use_settings_text(SETTINGS)
    yield [getattr(udf, name)(*args) for name, args in CELLS]
    functions.use_settings_text(None)


@pytest.mark.slow
def test_cells_compute_the_same_under_pyodide(in_pyodide, in_cpython):
    assert in_pyodide["python"].startswith("3.")
    assert in_pyodide["results"] == in_cpython
    for i, value in EXPECTED.items():  # worked by hand in the comments of CELLS
        assert in_pyodide["results"][i] == value, CELLS[i]
    assert in_pyodide["results"][11] == "360702198001010016"
    assert str(in_pyodide["results"][12]).startswith("#未知人员类别")
    assert any("赣市医保字〔2021〕37号" in line for line in in_pyodide["results"][13])


@pytest.mark.slow
def test_the_cell_path_needs_no_pandas(in_pyodide):
    # xlwings Lite can load pandas only from the network: the functions must not import it
    assert in_pyodide["pandas_loaded"] is False


def test_the_wheel_installs_in_pyodide_without_compiled_dependencies():
    # the project's dependencies, as pip/micropip read them: in Pyodide (sys_platform "emscripten") only the
    # pure-Python ones remain, so `udf` installs in xlwings Lite from the same wheel
    import tomllib
    from packaging.markers import default_environment
    from packaging.requirements import Requirement
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["dependencies"]
    env = dict(default_environment(), sys_platform="emscripten", platform_system="Emscripten")
    kept = {Requirement(d).name for d in deps if Requirement(d).marker is None or Requirement(d).marker.evaluate(env)}
    assert kept == {"openpyxl", "defusedxml"}
