"""比对 (龙政办规〔2022〕14号 二(六)5), every outcome on a hand-made case (西秀 identities, 2022)."""
from __future__ import annotations

from .support import PAY_HEAD, ROSTER_HEAD, d, gid, run, sheet_rows, xlsx

P = {i: gid("520402", "19550101", i) for i in range(1, 8)}


def test_each_outcome(tmp_path, capsys):
    mz = xlsx(tmp_path / "西秀_认定名单_民政.xlsx", ROSTER_HEAD, [
        ["镇", "村", "P1", P[1], "低保对象", d("2020-01-01")],
        ["镇", "村", "P2", P[2], "低保对象", d("2020-01-01")],
        ["镇", "村", "P4", P[4], "低保对象", d("2020-01-01")],
        ["镇", "村", "P5", P[5], "低保对象", d("2020-01-01")],
        ["镇", "村", "P5", P[5], "低保", d("2020-01-01")],
        ["镇", "村", "P6", P[6], "低保对象", d("2020-01-01")],
        ["镇", "村", "P7", P[7], "低保对象", d("2020-01-01")]])
    xc = xlsx(tmp_path / "西秀_认定名单_乡村振兴.xlsx", ROSTER_HEAD, [
        ["镇", "村", "P3", P[3], "脱贫户", d("2019-01-01"), d("2022-02-28")],
        ["镇", "村", "P6", P[6], "脱贫户", d("2019-01-01")]])
    pays = xlsx(tmp_path / "pay.xlsx", PAY_HEAD, [
        ["P2", P[2], 2022, "居民", d("2022-01-10"), 0, "", "特困人员"],
        ["P3", P[3], 2022, "居民", d("2022-05-01"), 220, "", "脱贫户"],
        ["P4", P[4], 2022, "居民", d("2022-01-10"), 220, "", "低保对象"],
        ["P4", P[4], 2022, "居民", d("2022-02-10"), 220, "贵阳市云岩区", "低保对象"],
        ["P5", P[5], 2022, "居民", d("2022-01-10"), 220, "", "低保对象"],
        ["P6", P[6], 2022, "居民", d("2022-01-10"), 220, "", "低保对象"],
        ["P7", P[7], 2022, "居民", d("2022-01-10"), 220, "", "低保对象"]])
    out = tmp_path / "out"
    assert run("compare", mz, xc, "--payments", pays, "--out", out, "--region", "西秀", "--quiet") == 0
    rows = sheet_rows(out / "比对汇总.xlsx", "比对结果", 5)
    found = {(r[4], r[10]) for r in rows}
    assert ("P1", "未找到参保记录") in found
    assert ("P2", "身份不符") in found           # 代缴类别 特困人员, lists say 低保对象
    assert ("P3", "身份已取消仍享受资助") in found  # ended 2022-02-28, subsidised 2022-05-01
    assert ("P4", "重复资助") in found            # here and 贵阳市云岩区
    assert ("P5", "名单内重复") in found           # 低保对象 and 低保 are one identity, twice on 民政's list
    assert ("P6", "多部门认定") in found
    assert not any(r[4] == "P7" for r in rows)    # consistent: not listed
    assert {r[4] for r in rows if r[10] == "重复资助"} == {"P4"}
    p4 = next(r for r in rows if r[4] == "P4" and r[10] == "重复资助")
    assert "2处资助参保" in p4[11]
    summary = {r[0]: r for r in sheet_rows(out / "比对汇总.xlsx", "汇总", 2)}
    # 民政: 7 rows, 6 people; rows with a problem: P1, P2, P4, P5 (second row) → 7 − 4 = 3 一致 (P5 first row, P6, P7)
    assert summary["民政"][1:4] == (7, 6, 3)
    assert summary["乡村振兴"][1:4] == (2, 2, 1)
    assert (out / "比对结果_民政.xlsx").exists() and (out / "比对结果_乡村振兴.xlsx").exists()
    mine = sheet_rows(out / "比对结果_乡村振兴.xlsx", "比对结果", 5)
    assert {r[1] for r in mine} == {"乡村振兴"}
    assert "认定名单：读入 9 行 = 采用 9 + 异常 0" in capsys.readouterr().out


def _two_lists(tmp_path):
    mz = xlsx(tmp_path / "西秀_认定名单_民政.xlsx", ROSTER_HEAD, [
        ["镇", "村", "P1", P[1], "低保对象", d("2020-01-01")],
        ["镇", "村", "P6", P[6], "低保对象", d("2020-01-01")],
        ["镇", "村", "P7", P[7], "低保对象", d("2020-01-01")]])
    xc = xlsx(tmp_path / "西秀_认定名单_乡村振兴.xlsx", ROSTER_HEAD, [
        ["镇", "村", "P3", P[3], "脱贫户", d("2019-01-01"), d("2022-02-28")],
        ["镇", "村", "P6", P[6], "脱贫户", d("2019-01-01")]])
    pays = xlsx(tmp_path / "pay.xlsx", PAY_HEAD, [
        ["P3", P[3], 2022, "居民", d("2022-05-01"), 220, "", "脱贫户"],
        ["P6", P[6], 2022, "居民", d("2022-01-10"), 220, "", "低保对象"],
        ["P7", P[7], 2022, "居民", d("2022-01-10"), 220, "", "低保对象"]])
    return mz, xc, pays


def test_enrol_with_compare_writes_what_compare_writes(tmp_path, capsys):
    from .support import settings
    mz, xc, pays = _two_lists(tmp_path)
    cfg = settings(tmp_path)
    assert run("compare", mz, xc, "--payments", pays, "--region", "西秀", "--year", 2022, "--out", tmp_path / "alone",
               "--quiet") == 0
    assert run("enrol", mz, xc, "--payments", pays, "--region", "西秀", "--year", 2022, "--settings", cfg,
               "--out", tmp_path / "enrol", "--compare", tmp_path / "both", "--quiet") == 0
    printed = capsys.readouterr().out
    assert "完成：" in printed and "个部门的比对结果" in printed and "民政：名单 3 行" in printed
    names = ["比对汇总.xlsx", "比对结果_民政.xlsx", "比对结果_乡村振兴.xlsx"]
    assert sorted(p.name for p in (tmp_path / "both").iterdir()) == sorted(names)
    for name in names:  # every row of every sheet the same as `yibao compare` alone
        for sheet, first in (("比对结果", 5), ("汇总", 2), ("异常", 2)):
            assert sheet_rows(tmp_path / "both" / name, sheet, first) == \
                sheet_rows(tmp_path / "alone" / name, sheet, first), (name, sheet)
    rows = sheet_rows(tmp_path / "both" / "比对汇总.xlsx", "比对结果", 5)
    # P1 not enrolled; P3 subsidised on 2022-05-01 after 脱贫户 ended 2022-02-28; P6 on both lists
    assert {(r[4], r[10]) for r in rows} == {("P1", "未找到参保记录"), ("P3", "身份已取消仍享受资助"),
                                             ("P6", "多部门认定")}


def test_enrol_with_compare_checks_its_outputs_before_any_work(tmp_path, capsys):
    from .support import settings
    mz, xc, pays = _two_lists(tmp_path)
    cfg = settings(tmp_path)
    (tmp_path / "both").mkdir()
    (tmp_path / "both" / "比对结果_民政.xlsx").write_bytes(b"last month's")
    assert run("enrol", mz, xc, "--payments", pays, "--region", "西秀", "--year", 2022, "--settings", cfg,
               "--out", tmp_path / "enrol", "--compare", tmp_path / "both", "--quiet") == 2
    assert "输出文件已存在" in capsys.readouterr().err
    assert list((tmp_path / "enrol").glob("*.xlsx")) == []  # nothing written, last month's file untouched
    assert (tmp_path / "both" / "比对结果_民政.xlsx").read_bytes() == b"last month's"
    assert run("enrol", mz, xc, "--payments", pays, "--region", "西秀", "--year", 2022, "--settings", cfg,
               "--out", tmp_path / "same", "--compare", tmp_path / "same", "--quiet") == 2
    assert "另一个文件夹" in capsys.readouterr().err


def test_an_input_is_never_overwritten_even_with_force(tmp_path, capsys):
    # last month's 比对汇总 given back as a roster, in the folder compare writes to: refused, file untouched
    mz, xc, pays = _two_lists(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    roster = out / "比对汇总.xlsx"
    roster.write_bytes(mz.read_bytes())
    before = roster.read_bytes()
    assert run("compare", roster, xc, "--payments", pays, "--region", "西秀", "--out", out, "--force",
               "--quiet") == 2
    assert "不能是输入文件本身" in capsys.readouterr().err
    assert roster.read_bytes() == before


def test_compare_folder_that_is_a_file_is_named_by_its_option(tmp_path, capsys):
    from .support import settings
    mz, xc, pays = _two_lists(tmp_path)
    a_file = tmp_path / "比对.xlsx"
    a_file.write_bytes(b"x")
    assert run("enrol", mz, xc, "--payments", pays, "--region", "西秀", "--year", 2022, "--settings", settings(tmp_path),
               "--out", tmp_path / "enrol", "--compare", a_file, "--quiet") == 2
    assert "--compare 应为文件夹" in capsys.readouterr().err
    assert a_file.read_bytes() == b"x"
