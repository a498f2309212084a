"""Inputs and runs for the `yibao province` tests (not a test module; tests/ has no __init__.py)."""
from __future__ import annotations

import contextlib
import csv
import io
import random
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from processor.cli import main

# canonical key → the export's header text
HEADER = {"settlement_id": "结算ID", "id_number": "证件号码", "name": "姓名", "category": "人员类别",
          "kind": "医疗类别", "referral": "是否转诊", "settlement_date": "结算日期", "total_cost": "医疗费总额",
          "policy_cost": "符合范围金额", "basic_paid": "统筹基金支出", "insured_area": "参保地", "township": "镇街"}
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def gb_id(n: int, prefix: str = "36070219800101") -> str:
    body = f"{prefix}{n:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS)) % 11]


def text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _headers(rows: list[dict]) -> list[str]:
    keys: list[str] = []
    for r in rows:
        for k in r:
            if k not in keys:
                keys.append(k)
    return keys


def write_parquet(path: Path, rows: list[dict], typed: bool = False) -> Path:
    """``rows`` keyed by canonical key; every column as text (typed: amounts float64, dates date32)."""
    keys = _headers(rows)
    cols = {}
    for k in keys:
        values = [r.get(k) for r in rows]
        if typed and k in ("total_cost", "policy_cost", "basic_paid"):
            cols[HEADER[k]] = pa.array([None if v is None else float(v) for v in values], pa.float64())
        elif typed and k == "settlement_date":
            cols[HEADER[k]] = pa.array(values, pa.date32())
        else:
            cols[HEADER[k]] = pa.array([text(v) for v in values], pa.string())
    pq.write_table(pa.table(cols), str(path))
    return path


def write_csv(path: Path, rows: list[dict]) -> Path:
    keys = _headers(rows)
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow([HEADER[k] for k in keys])
        for r in rows:
            w.writerow([text(r.get(k)) for k in keys])
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["province", *argv])
    return code, out.getvalue(), err.getvalue()


def claims(out_dir: Path) -> list[dict]:
    """结算明细.parquet, sorted by (源文件, 源行号)."""
    rows = pq.read_table(str(out_dir / "结算明细.parquet")).to_pylist()
    return sorted(rows, key=lambda r: (r["源文件"], r["源行号"]))


def rejects(out_dir: Path) -> list[dict]:
    rows = pq.read_table(str(out_dir / "异常.parquet")).to_pylist()
    return sorted(rows, key=lambda r: (r["源文件"], r["源行号"]))


CATEGORIES = ["低保对象", "特困人员", "边缘易致贫人口", "", "稳定脱贫人口", "低保对象、边缘易致贫人口"]
AREAS = ["章贡区", "南康区", "赣县区"]


def synthetic(n: int, seed: int = 1, persons: int = 40) -> list[dict]:
    """``n`` claims of 赣州 2022 by ``persons`` people (caps reached: amounts up to 200,000), with duplicates,
    reversals and a 结算ID shared by two ID numbers."""
    rnd = random.Random(seed)
    people = [(gb_id(i + 1), f"人{i}", rnd.choice(CATEGORIES), rnd.choice(AREAS)) for i in range(persons)]
    rows = []
    for i in range(n):
        pid, name, cat, area = rnd.choice(people)
        policy = rnd.randint(0, 200_000)
        basic = rnd.randint(0, policy)
        rows.append({"settlement_id": f"S{i}", "id_number": pid, "name": name, "category": cat,
                     "kind": rnd.choice(["住院", "住院", "门诊慢特病", "普通门诊"]), "referral": "是",
                     "settlement_date": date(2022, 1, 1) + timedelta(days=rnd.randint(0, 330)),
                     "total_cost": float(policy + rnd.randint(0, 3000)), "policy_cost": float(policy),
                     "basic_paid": float(basic), "insured_area": area})
    for _ in range(max(1, n // 30)):
        rows.append(dict(rnd.choice(rows[:n])))                          # duplicate
        orig = rnd.choice(rows[:n])                                      # reversal, later
        rev = dict(orig, settlement_date=orig["settlement_date"] + timedelta(days=rnd.randint(1, 20)))
        for k in ("total_cost", "policy_cost", "basic_paid"):
            rev[k] = -orig[k]
        rows.append(rev)
    rows.append(dict(rows[0], id_number=rows[-1]["id_number"], name=rows[-1]["name"]))  # one 结算ID, two persons
    return rows
