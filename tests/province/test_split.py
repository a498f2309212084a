"""Stage 1 on the cluster (processor/province/split.py): one task per input file on a LocalCluster gives
exactly what reading the files one after another in one process gives — the partitions, each bucket's
claims in the same order, the rejected and blank rows, the counts (rows in = accepted + rejected) — on
random years spread over several files, with a 结算ID shared across files and persons and bad rows.
A restart after some files' tasks finished reads only the others."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import processor.province.run as province_run
from processor.errors import InputError
from processor.io.inputs import expand
from processor.ledgers.normalise import normalise
from processor.province.cluster import InProcess, OnDask
from processor.province.inputs import open_table
from processor.province.split import area_of, bucket_of, merge_buckets, read_bucket, split_file

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "ledgers"))
from helpers import claims, rejects, run, synthetic, write_csv, write_parquet  # noqa: E402
from test_equality import SETTINGS_TOML  # noqa: E402
from test_table_properties import tables  # noqa: E402


def one_process_split(files, names, buckets: int, region: str):
    """The one-process split as it was before the tasks: the files read in order, every row normalised,
    each claim to its bucket, the buckets sharing a 结算ID united (an in-memory dict of 结算ID → buckets)."""
    held: dict[int, list] = {}
    by_sid: dict[str, set] = {}
    rejected, totals = [], {"read": 0, "accepted": 0, "rejected": 0, "skipped": 0}
    for fi, (f, name) in enumerate(zip(files, names)):
        table = open_table(f)
        has_kind, has_area = "kind" in table.mapping.values(), "insured_area" in table.mapping.values()
        for raw in table.rows:
            totals["read"] += 1
            area = area_of(raw.values.get("insured_area"), has_area, region)
            try:
                row = normalise(raw, has_kind)
            except InputError as err:
                totals["rejected"] += 1
                rejected.append((name, raw.source_row, area, "拒绝", err.message))
                continue
            totals["accepted"] += 1
            b = bucket_of(row.claim.person, buckets)
            held.setdefault(b, []).append((fi, area, row.source_row, row.claim.settlement_id, row.claim.person))
            by_sid.setdefault(row.claim.settlement_id, set()).add(b)
        for source_row, reason in table.skipped:
            totals["skipped"] += 1
            rejected.append((name, source_row, "", "未计入", f"未计入：{reason}"))
    links = [(min(bs), b) for bs in by_sid.values() for b in bs if b != min(bs)]
    return merge_buckets(set(held), links), held, rejected, totals


def stage_one(runner, files, names, work: Path, buckets: int, region: str):
    said: list[str] = []
    result = province_run._split(runner, files, names, work, buckets, region, lambda t, progress=False: said.append(t))
    held = {int(b): [(fi, area, r.source_row, r.claim.settlement_id, r.claim.person)
                     for fi, area, r in read_bucket(work, int(b))] for b in result["rows"]}
    t = pq.read_table(str(work / "rejects-split.parquet")).to_pylist()
    rejected = [(r["源文件"], r["源行号"], r["参保地"], r["类别"], r["原因"]) for r in t]
    return result, held, rejected, said


@pytest.fixture(scope="module")
def dask_runner():
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    try:
        yield OnDask(client, "本机 Dask 集群（测试）", local=True)
    finally:
        client.close()
        cluster.close()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(rows=tables(), cuts=st.lists(st.integers(0, 40), min_size=1, max_size=3), cross=st.booleans(),
       blank=st.booleans(), buckets=st.sampled_from([1, 3, 7, 64]))
def test_the_split_on_the_cluster_equals_the_one_process_split(dask_runner, rows, cuts, cross, blank, buckets):
    for i, r in enumerate(rows):
        r["insured_area"] = ["章贡区", "南康区", None][i % 3]
    if cross and len(rows) > 1:  # a 结算ID of the first file again, under another person, in the last file
        rows = rows + [dict(rows[0], id_number=rows[-1]["id_number"], name="另一人")]
    edges = sorted({min(c, len(rows)) for c in cuts} | {0, len(rows)})
    chunks = [rows[a:b] for a, b in zip(edges, edges[1:])] or [rows]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths = []
        for k, chunk in enumerate(chunks):
            chunk = chunk or rows[:1]
            if blank:
                chunk = chunk + [{"settlement_id": None, "id_number": None}]
            if k % 2:
                paths.append(str(write_csv(tmp / f"{k:02d}.csv", chunk)))
            else:
                paths.append(str(write_parquet(tmp / f"{k:02d}.parquet", chunk)))
        files, _ = expand(paths)
        names = [f.path.name for f in files]
        groups, held, rejected, totals = one_process_split(files, names, buckets, "赣州")
        (tmp / "w").mkdir()
        result, got_held, got_rejected, said = stage_one(dask_runner, files, names, tmp / "w", buckets, "赣州")
        assert result["partitions"] == groups
        assert got_held == held  # each bucket's claims, in the same order
        assert got_rejected == rejected
        assert result["totals"] == totals
        assert totals["read"] == totals["accepted"] + totals["rejected"]
        assert result["rows"] == {str(b): len(v) for b, v in sorted(held.items())}
        assert sorted(t.split("：")[0] for t in said[1:]) == sorted(f"读入 {n}" for n in names)  # a line a file


def test_the_split_runs_as_tasks_on_the_workers(tmp_path, dask_runner):
    rows = synthetic(90, seed=2)
    for k in range(3):
        write_parquet(tmp_path / f"{k}.parquet", rows[k * 30:(k + 1) * 30])
    files, _ = expand([str(tmp_path / f"{k}.parquet") for k in range(3)])
    (tmp_path / "w").mkdir()
    result, _, _, said = stage_one(dask_runner, files, [f.path.name for f in files], tmp_path / "w", 8, "赣州")
    assert said[0] == "读入 3 个文件，按人分成 8 个区 …（本机 Dask 集群（测试））"
    assert sorted(t.split("：")[0] for t in said[1:]) == ["读入 0.parquet", "读入 1.parquet", "读入 2.parquet"]
    assert all(t.endswith("个文件）") for t in said[1:])
    import json
    pids = {json.loads((tmp_path / "w" / f"split-{k:05d}.json").read_text())["pid"] for k in range(3)}
    assert len(pids) >= 1 and all(p != __import__("os").getpid() for p in pids)  # on the workers
    assert result["totals"]["read"] == 90


def _args(tmp: Path) -> list[str]:
    rows = synthetic(240, seed=4)
    paths = [str(write_parquet(tmp / f"{k}.parquet", rows[k * 80:(k + 1) * 80], typed=True)) for k in range(3)]
    (tmp / "s.toml").write_text(SETTINGS_TOML, encoding="utf-8")
    return [*paths, "--region", "赣州", "--settings", str(tmp / "s.toml"), "--workers", "1", "--partitions", "6"]


def test_a_restart_reads_only_the_files_whose_split_did_not_finish(tmp_path, monkeypatch):
    args = _args(tmp_path)
    out = tmp_path / "out"
    calls = []

    def flaky(work, fi, f, name, buckets, region):
        calls.append(fi)
        if fi == 1:
            raise OSError("网络盘断开（测试模拟）")
        return split_file(work, fi, f, name, buckets, region)

    monkeypatch.setattr(province_run, "split_file", flaky)
    code, _, err = run(*args, "--out", str(out))
    assert code == 2 and "Traceback" not in err
    assert "1 个输入文件读入失败（第一个：1.parquet" in err and "网络盘断开" in err
    assert "已读完的 2 个文件已保存，重新运行同一命令将只读入未完成的文件" in err
    assert calls == [0, 1, 2]

    again = []
    monkeypatch.setattr(province_run, "split_file", lambda *a: again.append(a[1]) or split_file(*a))
    code, _, err = run(*args, "--out", str(out))
    assert code == 0, err
    assert again == [1]  # only the file whose task did not finish
    assert "读入 3 个文件，按人分成 6 个区 …（上次运行已读完 2 个，跳过，读入其余 1 个）" in err

    monkeypatch.setattr(province_run, "split_file", split_file)
    code, _, err = run(*args, "--out", str(out))  # all done: nothing read again
    assert code == 0 and "读入与分区已在上次运行完成（240 行），跳过" in err
    code, _, err = run(*args, "--out", str(tmp_path / "clean"))
    assert code == 0, err
    assert claims(out) == claims(tmp_path / "clean")
    assert rejects(out) == rejects(tmp_path / "clean")


def test_a_split_task_of_another_file_is_not_reused(tmp_path):
    """The task's record names its file (path, size, modification time) and the bucket count: a record of
    another file under the same number is not taken for this one's."""
    args = _args(tmp_path)
    files, _ = expand(args[:3])
    work = tmp_path / "w"
    work.mkdir()
    split_file(str(work), 0, files[0], "0.parquet", 6, "赣州")
    from processor.province.split import finished
    assert finished(work, 0, files[0], "0.parquet", 6) is not None
    assert finished(work, 0, files[1], "1.parquet", 6) is None
    assert finished(work, 0, files[0], "0.parquet", 7) is None
    assert InProcess().workers == 1


def test_workers_that_cannot_see_the_inputs_leave_the_split_to_this_process(tmp_path, dask_runner):
    """On a province's cluster the split tasks read the input files: when a worker does not see them under
    the same path, stage 1 runs in this process instead (and says so)."""
    from processor.io.inputs import InputFile
    write_parquet(tmp_path / "a.parquet", synthetic(5))
    files, _ = expand([str(tmp_path / "a.parquet")])
    remote = OnDask(dask_runner.client, "Dask 调度器 tcp://10.0.0.5:8786", local=False)
    said: list[str] = []
    assert province_run._split_runner(remote, files, said.append) is remote and said == []
    missing = [InputFile(tmp_path / "不在共享盘上.parquet", 1, 1)]
    assert isinstance(province_run._split_runner(remote, missing, said.append), InProcess)
    assert said == [f"2 个工作进程（如 {remote.blind([str(missing[0].path)])[0]}）看不到输入文件（须以同一路径访问，"
                    "如共享盘上的文件夹）：读入与分区在本进程进行"]


def test_many_blocks_and_spill_flushes_give_the_same_split(tmp_path, monkeypatch):
    """A large file flushes its buckets' blocks and its 结算ID records many times (the records of one shard
    then lie in several ranges of the task's .sids file): the same split as the one-process reference."""
    import processor.province.split as split_mod
    monkeypatch.setattr(split_mod, "SPILL_ROWS", 7)
    monkeypatch.setattr(split_mod, "BUFFER_ROWS", 10)
    rows = synthetic(400, seed=9, persons=60)
    write_parquet(tmp_path / "a.parquet", rows[:250])
    write_csv(tmp_path / "b.csv", rows[250:])
    files, _ = expand([str(tmp_path / "a.parquet"), str(tmp_path / "b.csv")])
    names = [f.path.name for f in files]
    for buckets in (1, 5, 64):
        groups, held, rejected, totals = one_process_split(files, names, buckets, "赣州")
        work = tmp_path / f"w{buckets}"
        work.mkdir()
        result, got_held, got_rejected, _ = stage_one(InProcess(), files, names, work, buckets, "赣州")
        assert (result["partitions"], got_held, got_rejected, result["totals"]) == (groups, held, rejected, totals)
        import json
        record = json.loads((work / "split-00000.json").read_text())
        assert len(record["sids"]) > 30  # 36 flushes, a range for each shard each holds
        assert buckets > 1 or len(record["blocks"]["0"]) == 4  # blocks of at least 64 claims: 250 in four
