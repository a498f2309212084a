"""Build rosters and payment files in tmp_path and run the commands (tests build their own inputs)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import Workbook, load_workbook

from processor.cli import main

_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def gid(code: str, birth: str, seq: int) -> str:
    """A valid GB 11643 number: check digit by ISO 7064 MOD 11-2."""
    body = f"{code}{birth}{seq:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _W)) % 11]


ROSTER_HEAD = ["乡镇", "村", "姓名", "证件号码", "人员类别", "认定日期", "取消日期", "未参保原因", "佐证材料"]
PAY_HEAD = ["姓名", "证件号码", "参保年度", "险种", "缴费日期", "个人缴费金额", "参保地", "代缴类别"]


def xlsx(path: Path, head: list, rows: list, title: str | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(head)
    for r in rows:
        ws.append(list(r) + [None] * (len(head) - len(r)))
    wb.save(path)
    return path


def settings(tmp: Path) -> Path:
    text = "\n".join(
        f'[[setting]]\nregion = "{r}"\nkey = "{k}"\nyear = {y}\nvalue = "{v}"\nsource = "测试数字"\n'
        for r, k, y, v in [("西秀", "individual_contribution", 2022, "320"), ("西秀", "subsidy_fixed_amount", 2022, "100"),
                           ("龙岩", "individual_contribution", 2023, "380")])
    p = tmp / "settings.toml"
    p.write_text(text, "utf-8")
    return p


def run(*argv) -> int:
    return main([str(a) for a in argv])


def sheet_rows(path: Path, sheet: str, first: int) -> list[tuple]:
    ws = load_workbook(path)[sheet]
    return [r for r in ws.iter_rows(min_row=first, values_only=True) if any(v is not None for v in r)]


def by_name(rows: list[tuple], name_col: int) -> dict:
    return {r[name_col]: r for r in rows if r[name_col]}


def d(text: str) -> date:
    return date.fromisoformat(text)
