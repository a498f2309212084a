"""Shared fixtures for the Excel-function tests: a settings file with hand-chosen figures, isolation.

The figures below are test figures, not official ones; each expected amount in the tests is worked out
by hand from them and from the documents' clauses (cited next to each case).
"""
from __future__ import annotations

import sys
import types

import pytest

import udf
from processor.engine import Engine
from processor.settings import load_settings

# 赣州: 上年度(2021) 人均可支配收入 30,000 → 2022 大病起付线 15,000 (50%), 倾斜起付线 7,500, 低保边缘救助起付 3,000 (10%),
#       倾斜救助起点 30,000 (100%); 全省农村收入 20,000 → 返贫监测线 10,000 (50%), 致贫监测线 20,000 (100%).
# 龙岩: 2022 收入 40,000 → 2023 第四类救助起付 4,000 (10%); 救助限额 60,000 (≥ 40,000, 二(四)3).
# 西秀 / 阳城: the 大病 ordinary terms the documents leave to the bureau; 阳城 返贫致贫人口's shared yearly
# 医疗救助 cap (四、五: not stated in the document) 100,000.
SETTINGS = """
example = false

[[setting]]
region = "阳城"
key = "assistance_cap"
year = 2022
value = "100000"
source = "测试数字"

[[setting]]
region = "赣州"
key = "disposable_income"
year = 2021
value = "30000"
source = "测试数字"

[[setting]]
region = "赣州"
key = "rural_income_province"
year = 2021
value = "20000"
source = "测试数字"

[[setting]]
region = "赣州"
key = "individual_contribution"
year = 2023
value = "380"
source = "测试数字"

[[setting]]
region = "西秀"
key = "individual_contribution"
year = 2022
value = "350"
source = "测试数字"

[[setting]]
region = "西秀"
key = "subsidy_fixed_amount"
year = 2022
value = "100"
source = "测试数字"

[[setting]]
region = "西秀"
key = "critical_deductible"
year = 2022
value = "10000"
source = "测试数字"

[[setting]]
region = "西秀"
key = "critical_rate"
year = 2022
value = "60%"
source = "测试数字"

[[setting]]
region = "西秀"
key = "critical_cap"
year = 2022
value = "300000"
source = "测试数字"

[[setting]]
region = "西秀"
key = "assistance_cap"
year = 2022
value = "50000"
source = "测试数字"

[[setting]]
region = "龙岩"
key = "disposable_income"
year = 2022
value = "40000"
source = "测试数字"

[[setting]]
region = "龙岩"
key = "individual_contribution"
year = 2023
value = "380"
source = "测试数字"

[[setting]]
region = "龙岩"
key = "critical_cap"
year = 2023
value = "400000"
source = "测试数字"

[[setting]]
region = "龙岩"
key = "assistance_cap"
year = 2023
value = "60000"
source = "测试数字"

[[setting]]
region = "阳城"
key = "critical_deductible"
year = 2022
value = "12000"
source = "测试数字"

[[setting]]
region = "阳城"
key = "critical_rate"
year = 2022
value = "60%"
source = "测试数字"

[[setting]]
region = "阳城"
key = "critical_cap"
year = 2022
value = "300000"
source = "测试数字"
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """No settings leak in from the environment, the repository's folder or an earlier test."""
    monkeypatch.delenv("YIBAO_SETTINGS", raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    udf.reload_settings()
    yield
    udf.reload_settings()


@pytest.fixture
def settings_text() -> str:
    return SETTINGS


@pytest.fixture
def settings_file(tmp_path, monkeypatch):
    """The hand-chosen settings, picked up through YIBAO_SETTINGS."""
    path = tmp_path / "test_settings.toml"
    path.write_text(SETTINGS, "utf-8")
    monkeypatch.setenv("YIBAO_SETTINGS", str(path))
    return path


@pytest.fixture
def eng(settings_file) -> Engine:
    """An engine over the same settings, to compare the functions with."""
    return Engine(settings=load_settings(settings_file))


PLUGIN = "yibao_udf_pycel_plugin"


@pytest.fixture
def plugin(monkeypatch) -> str:
    """For pycel's ``ExcelCompiler(plugins=[...])``: a module holding udf's Excel functions under the names
    pycel's compiled formulas call (lower-case; ``_xludf.ASSIST`` → ``_xludf_assist``). See test_formulas.py."""
    module = types.ModuleType(PLUGIN)
    for name in udf.__all__:
        if name.isupper():
            fn = getattr(udf, name)
            setattr(module, name.lower(), fn)
            setattr(module, "_xludf_" + name.lower(), fn)  # a file saved while the functions were not imported
    monkeypatch.setitem(sys.modules, PLUGIN, module)
    return PLUGIN
