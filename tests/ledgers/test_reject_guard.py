"""Most rows rejected for one reason is a run to stop, not an empty ledger to hand in: 赣州's export
run as 龙岩 (龙政办规〔2022〕14号 is in force from 2023: every 2022 row has no policy) exits 2 and
writes nothing; ``--allow-rejects`` writes it anyway. The guard needs ≥ 20 rows, more than half of
them rejected, and one reason (numbers such as dates blanked out) behind more than half of those."""
from __future__ import annotations

import contextlib
import io
import re
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/ledgers for the export builder
import exports  # noqa: E402

from processor.cli import main  # noqa: E402
from processor.io.ids import check_digit  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "settings.example.toml"
COUNT_LINE = re.compile(r"读入结算行 ([\d,]+) = 写入台账 ([\d,]+) \+ 异常 ([\d,]+)")


def run_cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in argv])
    return rc, out.getvalue(), err.getvalue()


def test_ganzhou_export_run_as_longyan_stops(tmp_path):
    out = tmp_path / "台账.xlsx"
    argv = ["fill", "医疗救助台账", ROOT / "samples" / "赣州_结算导出.xlsx", "--region", "龙岩", "--settings", SETTINGS,
            "--out", out, "--quiet"]
    rc, stdout, err = run_cli(*argv)
    assert rc == 2, (stdout, err)
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("错误：")
    m = re.search(r"([\d,]+) 行中 ([\d,]+) 行因同一原因被拒绝：(.+?)；请检查 --region 是否正确、导出文件是否完整；"
                  r"确需写出请加 --allow-rejects", err)
    assert m, err
    rows, same = (int(g.replace(",", "")) for g in m.groups()[:2])
    # make_sample.py: 1,503 settlement rows, all dated 2022; 龙岩's policy starts 2023-01-01, so every
    # row with a readable date (all but the one bad row) has no policy on its date
    assert rows == 1503 and same >= 1500
    assert "龙岩" in m.group(3) and "没有生效的政策" in m.group(3)
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert "完成" not in stdout

    rc, stdout, err = run_cli(*argv, "--allow-rejects")
    assert rc == 0, err
    n, written, rejected = (int(g.replace(",", "")) for g in COUNT_LINE.search(stdout).groups())
    assert n == written + rejected == 1503 and rejected >= 1500
    assert openpyxl.load_workbook(out, read_only=True).sheetnames[0] == "台账"


PERSON = dict(姓名="甲", 人员类别="低保对象", 镇街="凤城镇", 是否转诊="是", 结算日期=date(2022, 3, 1),
              符合范围金额=1000, 统筹基金支出=600, 医疗费总额=1000)


def rows(good: int, **bad_kinds: int) -> list[dict]:
    """``good`` claims of 住院, then for each unknown 医疗类别 ``kind=count`` claims that are rejected
    ("未知医疗类别：…"); ``no_date=count`` rows miss 结算日期 ("缺少必填项：结算日期")."""
    out, n = [], 0

    def person():
        body = f"99900019500101{n % 1000:03d}"
        return body + check_digit(body)

    for _ in range(good):
        n += 1
        out.append(dict(PERSON, 结算ID=f"G{n}", 证件号码=person(), 医疗类别="住院"))
    for kind, count in bad_kinds.items():
        for _ in range(count):
            n += 1
            row = dict(PERSON, 结算ID=f"B{n}", 证件号码=person(), 医疗类别="住院" if kind == "no_date" else kind)
            if kind == "no_date":
                row["结算日期"] = None
            out.append(row)
    return out


def fill(tmp_path, items, *extra):
    export = tmp_path / "导出.xlsx"
    exports.write_export(export, items)
    out = tmp_path / "台账.xlsx"
    settings = exports.write_settings(tmp_path / "s.toml", "阳城", [
        ("critical_deductible", 2022, "100000"), ("critical_rate", 2022, "60%"), ("critical_cap", 2022, "300000"),
        ("assistance_cap", 2022, "60000")])
    rc, stdout, err = run_cli("fill", "医疗救助台账", export, "--region", "阳城", "--settings", settings, "--out", out,
                              "--quiet", *extra)
    return rc, stdout, err, out


@pytest.mark.parametrize("good, bad, stops", [
    (10, {"牙科": 10}, False),                 # exactly half rejected: not "more than half"
    (9, {"牙科": 11}, True),                   # 11 of 20 for one reason
    (8, {"牙科": 6, "no_date": 6}, False),     # 12 of 20 rejected, but no reason behind more than half of them
    (8, {"牙科": 7, "no_date": 5}, True),      # 7 of the 12 for one reason
    (0, {"牙科": 19}, False),                  # 19 rows: too few to judge, the 异常 sheet lists them
])
def test_thresholds(tmp_path, good, bad, stops):
    rc, stdout, err, out = fill(tmp_path, rows(good, **bad))
    if stops:
        assert rc == 2 and "因同一原因被拒绝：未知医疗类别：牙科" in err, err
        assert not out.exists()
        rc, stdout, err, out = fill(tmp_path, rows(good, **bad), "--allow-rejects")
    assert rc == 0, err
    n, written, rejected = (int(g.replace(",", "")) for g in COUNT_LINE.search(stdout).groups())
    assert (written, rejected) == (good, sum(bad.values()))
    assert out.exists()
