"""A run interrupted after some partitions, rerun: only the missing partitions are computed, and the result
equals a clean run. A changed input, settings file or partition count is named, and everything is redone."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import processor.province.run as province_run
from processor.province.partition import settle_partition

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers import claims, rejects, run, synthetic, write_parquet  # noqa: E402
from test_equality import SETTINGS_TOML  # noqa: E402


def _inputs(tmp: Path) -> list[str]:
    rows = synthetic(200, seed=3)
    write_parquet(tmp / "a.parquet", rows[:120])
    write_parquet(tmp / "b.parquet", rows[120:], typed=True)
    (tmp / "s.toml").write_text(SETTINGS_TOML, encoding="utf-8")
    return [str(tmp / "a.parquet"), str(tmp / "b.parquet"), "--region", "赣州", "--settings", str(tmp / "s.toml"),
            "--workers", "1", "--partitions", "8"]


def test_a_rerun_computes_only_the_partitions_not_finished(tmp_path, monkeypatch):
    args = _inputs(tmp_path)
    out = str(tmp_path / "out")
    calls = []

    def flaky(work, part, buckets, job):  # the 3rd partition fails; the others finish and are kept
        calls.append(part)
        if len(calls) == 3:
            raise OSError("磁盘已满（测试模拟）")
        return settle_partition(work, part, buckets, job)

    monkeypatch.setattr(province_run, "settle_partition", flaky)
    code, _, err = run(*args, "--out", out)
    assert code == 2
    assert "1 个分区计算失败" in err and "磁盘已满" in err and "重新运行同一命令将只计算未完成的分区" in err
    assert "Traceback" not in err
    total = len(calls)
    failed = calls[2]

    again = []
    monkeypatch.setattr(province_run, "settle_partition",
                        lambda *a: again.append(a[1]) or settle_partition(*a))
    code, _, err = run(*args, "--out", out)
    assert code == 0, err
    assert again == [failed]  # only the missing partition is computed
    assert f"上次运行已完成 {total - 1} 个，跳过，计算其余 1 个" in err
    assert "读入与分区已在上次运行完成" in err
    assert err.count("完成：") == 1  # one progress line: the one partition computed

    monkeypatch.setattr(province_run, "settle_partition", settle_partition)
    code, _, _ = run(*args, "--out", str(tmp_path / "clean"))
    assert code == 0
    assert claims(tmp_path / "out") == claims(tmp_path / "clean")
    assert rejects(tmp_path / "out") == rejects(tmp_path / "clean")


def test_a_changed_run_is_named_and_redone(tmp_path):
    args = _inputs(tmp_path)
    out = str(tmp_path / "out")
    assert run(*args, "--out", out)[0] == 0
    code, _, err = run(*args, "--out", out)  # unchanged: nothing recomputed
    assert code == 0 and "计算其余 0 个" in err and "分区 1/" not in err

    st = os.stat(tmp_path / "a.parquet")
    os.utime(tmp_path / "a.parquet", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    (tmp_path / "s.toml").write_text(SETTINGS_TOML + "\n# 改动\n", encoding="utf-8")
    code, _, err = run(*args[:-1], "6", "--out", out)
    assert code == 0
    assert ("与上次运行相比：输入文件 a.parquet 的大小或修改时间变了；设置文件的内容变了；分区数由 8 改为 6。"
            "全部分区重新计算") in err
    assert "上次运行已完成" not in err

    code, _, err = run(*args[:-1], "6", "--out", out, "--restart")
    assert code == 0 and "按 --restart 丢弃上次运行的结果，全部分区重新计算" in err
    assert "上次运行已完成" not in err


def test_a_split_cut_short_keeps_the_files_already_read(tmp_path):
    """Killed while reading the inputs: the manifest has no split yet; the first file's task had finished
    (its split-00000.json is there), the second's had not. The rerun reads the second file only, on a work
    folder cleared of everything else (never appends to a task's blocks), and gives the same result."""
    import json
    args = _inputs(tmp_path)
    out = tmp_path / "out"
    assert run(*args, "--out", str(out))[0] == 0
    first = claims(out)
    manifest = json.loads((out / "_work" / "manifest.json").read_text("utf-8"))
    del manifest["split"]
    (out / "_work" / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    for p in (out / "_work").glob("part-*.json"):
        p.unlink()
    (out / "_work" / "split-00001.json").unlink()
    code, _, err = run(*args, "--out", str(out))
    assert code == 0, err
    assert "读入 2 个文件，按人分成 8 个区 …（上次运行已读完 1 个，跳过，读入其余 1 个）" in err
    assert "读入 a.parquet" not in err and "读入 b.parquet：93 行" in err
    assert "上次运行已完成" not in err
    assert claims(out) == first
