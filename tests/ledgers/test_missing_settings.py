"""Issue 7 item 11: a setting missing for one row's year sends that row to 异常 naming the setting (the
rest is processed); where the export gives 大病保险支付, a missing 大病 setting does not stop the ledger:
the export's figure is used and 「核对」 says it could not be checked, and why."""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_fidelity_batch import Y, fen, fill, gb_id, table  # noqa: E402


def row(sid, idno, category, on, total, policy, basic, **more):
    return {"结算ID": sid, "姓名": "测试", "证件号码": idno, "人员类别": category, "镇街": "某镇", "医疗类别": "住院",
            "是否转诊": "是", "结算日期": on, "医疗费总额": total, "符合范围金额": policy, "统筹基金支出": basic, **more}


def test_a_row_in_a_year_without_settings_goes_to_the_exceptions(tmp_path):
    # settings give 赣州's 2021 income only: 2022 rows compute, a 2023 row needs the 2022 income
    settings = [("disposable_income", 2021, "40000"), ("rural_income_province", 2021, "18000")]
    a, b = gb_id("36070219800101001"), gb_id("36070219800101002")
    rows = [row("G1", a, "低保对象", date(2022, 12, 30), 6000, 6000, 0),
            row("G2", b, "低保对象", date(2023, 1, 3), 6000, 6000, 0)]
    out, stdout = fill(tmp_path, "赣州", rows, settings)
    written = table(out)
    # G1: 大病 tilted deductible 10,000 > 6,000 → 0; 救助 75% × 6,000 = 4,500
    assert [r["结算ID"] for r in written] == ["G1"] and fen(written[0]["医疗救助"]) == Y(4500)
    rejected = [r for r in table(out, "异常") if r["结算ID"]]
    assert [r["结算ID"] for r in rejected] == ["G2"]
    assert "disposable_income" in rejected[0]["原因"] and "2022年" in rejected[0]["原因"]
    assert "读入结算行 2 = 写入台账 1 + 异常 1" in stdout


def test_export_critical_figure_is_used_when_its_setting_is_missing(tmp_path):
    # 西秀 with no 大病 settings (critical_deductible/rate/cap) but the export's 大病保险支付 1,000:
    # 脱贫人口 救助 一(四) 70% × (20,000 − 12,000 − 1,000 = 7,000) = 4,900; 个人自付 20,000 − 12,000 − 1,000 − 4,900 = 2,100
    settings = [("assistance_cap", 2022, "50000")]
    rows = [row("X1", gb_id("52040219800101001"), "脱贫人口", date(2022, 3, 1), 20000, 20000, 12000, 大病保险支付=1000)]
    out, _ = fill(tmp_path, "西秀", rows, settings, extra=("大病保险支付",))
    r = table(out)[0]
    assert (fen(r["大病保险"]), fen(r["医疗救助"]), fen(r["个人自付"])) == (Y(1000), Y(4900), Y(2100))
    checks = table(out, "核对")
    assert len(checks) == 1 and checks[0]["基金"] == "大病保险" and checks[0]["结算ID"] == "X1"
    assert "无法按政策核对" in checks[0]["说明"] and "critical_deductible" in checks[0]["说明"]
    # without the export's figure the same row cannot be settled: it goes to 异常 naming the setting
    rows[0].pop("大病保险支付")
    out, _ = fill(tmp_path, "西秀", rows, settings, name="n")
    assert table(out) == []
    assert "critical_deductible" in [r for r in table(out, "异常") if r["结算ID"]][0]["原因"]
