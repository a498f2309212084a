"""The partitioned province run equals the single-process settle_claims run, row for row and to the fen, on
random years (the generators of tests/ledgers/test_table_properties.py: duplicates, reversals, several
identities, caps reached, bad rows), the rows spread over two input files, also with a 结算ID shared by two
ID numbers — which must put the two persons' buckets into one partition (processor/province/split.py).

The reference: the same files read by the same reader, every row normalised, the claims sorted by
(settlement date, file order, source row) and settled by ONE call of settle_claims — what `yibao fill`
does for one file."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from processor.errors import InputError
from processor.io.parquet import read_parquet
from processor.ledgers.compute import PreviousLedger, settle_claims
from processor.ledgers.normalise import normalise
from processor.province.split import bucket_of, merge_buckets

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "ledgers"))
from helpers import claims, rejects, run, write_parquet  # noqa: E402
from test_table_properties import REGION, SETTINGS, tables  # noqa: E402

SETTINGS_TOML = ('[[setting]]\nregion = "赣州"\nkey = "disposable_income"\nyear = 2021\nvalue = "40000"\nsource = "测试"\n'
                 '[[setting]]\nregion = "赣州"\nkey = "rural_income_province"\nyear = 2021\nvalue = "18000"\n'
                 'source = "测试"\n')


def reference(paths: list[Path]):
    accepted, rejected = [], []
    where = {}
    for fi, path in enumerate(paths):
        table = read_parquet(path)
        for raw in table.rows:
            try:
                row = normalise(raw, True)
            except InputError as err:
                rejected.append((path.name, raw.source_row, err.message))
                continue
            accepted.append((fi, row))
            where[id(row)] = path.name
    accepted.sort(key=lambda t: (t[1].claim.settled_on, t[0], t[1].source_row))
    rows = [r for _, r in accepted]
    lines, settle_rejects, _ = settle_claims(rows, REGION, SETTINGS, PreviousLedger(), {})
    done = {id(ln.row) for ln in lines}
    rejected_rows = iter(settle_rejects)
    for r in rows:  # each accepted row is a line or the next rejection, in order
        if id(r) not in done:
            rejected.append((where[id(r)], r.source_row, next(rejected_rows).reason))
    computed = sorted((where[id(ln.row)], ln.row.source_row, ln.row.claim.settlement_id, ln.result.critical,
                       ln.result.assist, ln.result.tilt or 0, ln.result.final_selfpay, ln.result.assist_base,
                       ln.result.hospital_borne, ln.state_after.final_selfpay, ln.state_after.assist)
                      for ln in lines)
    return computed, sorted(rejected)


def province_result(out: Path):
    computed = [(r["源文件"], r["源行号"], r["结算ID"], r["大病保险（分）"], r["医疗救助（分）"], r["倾斜救助（分）"],
                 r["个人自付（分）"], r["进入医疗救助金额（分）"], r["医疗机构承担（分）"], r["年度累计个人自付（分）"],
                 r["年度累计医疗救助（分）"]) for r in claims(out)]
    rejected = sorted((r["源文件"], r["源行号"], r["原因"]) for r in rejects(out) if r["类别"] == "拒绝")
    return computed, rejected


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=tables(), cross=st.booleans(), cut=st.integers(0, 30), parts=st.sampled_from([2, 3, 5]))
def test_partitioned_run_equals_one_settle_claims_run(rows, cross, cut, parts):
    if cross and len(rows) > 1:  # a 结算ID used under another person's ID number
        rows = rows + [dict(rows[0], id_number=rows[-1]["id_number"])]
    for i, r in enumerate(rows):
        r["insured_area"] = ["章贡区", "南康区"][i % 2]
    cut = min(cut, len(rows))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        a = write_parquet(tmp / "a.parquet", rows[:cut] or rows[:1])
        b = write_parquet(tmp / "b.parquet", rows[cut:] or rows[:1])
        (tmp / "s.toml").write_text(SETTINGS_TOML, encoding="utf-8")
        code, _out, err = run(str(a), str(b), "--region", "赣州", "--settings", str(tmp / "s.toml"),
                              "--out", str(tmp / "out"), "--workers", "1", "--partitions", str(parts))
        assert code == 0, err
        assert province_result(tmp / "out") == reference([a, b])


def test_buckets_sharing_a_settlement_id_are_merged():
    # buckets 1–3 tied by two shared 结算IDs, 5 alone, 7–8 tied: three partitions, each sorted
    assert merge_buckets({1, 2, 3, 5, 7, 8}, [(3, 1), (2, 3), (8, 7)]) == [[1, 2, 3], [5], [7, 8]]


def test_the_bucket_of_a_person_is_stable():
    # zlib.crc32, never Python's salted hash(): the same in every process and on every run
    assert bucket_of("360702198001010011", 64) == bucket_of("360702198001010011", 64)
    import zlib
    assert bucket_of("360702198001010011", 64) == zlib.crc32("360702198001010011".encode()) % 64
