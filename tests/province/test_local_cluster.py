"""The same run on a local Dask cluster (2 single-threaded worker processes) and in this process gives the
same 结算明细 and 异常, row for row: one task function, wherever it runs."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers import claims, rejects, run, synthetic, write_csv, write_parquet  # noqa: E402
from test_equality import SETTINGS_TOML  # noqa: E402


def test_local_cluster_equals_the_in_process_run(tmp_path):
    rows = synthetic(300, seed=7)
    write_csv(tmp_path / "a.csv", rows[:150])
    write_parquet(tmp_path / "b.parquet", rows[150:], typed=True)
    (tmp_path / "s.toml").write_text(SETTINGS_TOML, encoding="utf-8")
    common = ["--region", "赣州", "--settings", str(tmp_path / "s.toml"), "--partitions", "6"]
    code, out, err = run(str(tmp_path / "a.csv"), str(tmp_path / "b.parquet"), *common, "--out",
                         str(tmp_path / "dask"), "--workers", "2")
    assert code == 0, err
    assert "本机 Dask 集群（2 个工作进程）" in err
    assert err.count("完成：") >= 1 and "分区 1/" in err
    code, _, err1 = run(str(tmp_path / "a.csv"), str(tmp_path / "b.parquet"), *common, "--out",
                        str(tmp_path / "local"), "--workers", "1")
    assert code == 0, err1
    assert claims(tmp_path / "dask") == claims(tmp_path / "local")
    assert rejects(tmp_path / "dask") == rejects(tmp_path / "local")
    # rows in = computed + rejected (+ blank lines): every input row is in exactly one of the two files
    assert len(claims(tmp_path / "dask")) + len(rejects(tmp_path / "dask")) == len(rows)
    ledgers = sorted(p.name for p in (tmp_path / "dask" / "台账").iterdir())
    assert ledgers == ["南康区_医疗救助待遇台账.xlsx", "章贡区_医疗救助待遇台账.xlsx", "赣县区_医疗救助待遇台账.xlsx"]
