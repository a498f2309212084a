"""The export files of one run: files and folders of .parquet / .csv / .xlsx, in a fixed order.

A folder stands for every *.parquet, *.csv, *.xlsx in it (not its subfolders), sorted by name; Excel's
lock files (~$…) and hidden files are left out and said so. The order of the files is the "source file
order" of the settlement order (date, file, row): the same inputs in the same order give the same run.
One file given twice (also through a folder) is refused: each settlement is read once.
Used by `yibao fill` (several exports of a month) and `yibao province`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import FileError
from .parquet import PARQUET_SUFFIXES

SUFFIXES = (*PARQUET_SUFFIXES, ".csv", ".xlsx", ".xlsm")
FOLDER_SUFFIXES = (".parquet", ".csv", ".xlsx")


@dataclass(frozen=True)
class InputFile:
    path: Path
    size: int
    mtime_ns: int

    @property
    def kind(self) -> str:
        return "parquet" if self.path.suffix.lower() in PARQUET_SUFFIXES else self.path.suffix.lower().lstrip(".")

    def fingerprint(self) -> list:
        return [str(self.path), self.size, self.mtime_ns]


def expand(given: list[str], any_file: bool = False) -> tuple[list[InputFile], list[str]]:
    """(files in run order, what was found in each folder — lines to show). ``any_file``: a file given by
    name is taken whatever its suffix, for the reader to refuse with its own reason (an .xls: 另存为 xlsx)."""
    files: list[Path] = []
    notes: list[str] = []
    for text in given:
        p = Path(text)
        if p.is_dir():
            found, left = [], []
            for child in sorted(p.iterdir(), key=lambda c: c.name):
                if not child.is_file():
                    continue
                if child.name.startswith(("~$", ".")):
                    left.append(child.name)
                elif child.suffix.lower() in FOLDER_SUFFIXES:
                    found.append(child)
            if not found:
                raise FileError(f"输入文件夹 {p} 中没有 .parquet、.csv 或 .xlsx 文件"
                                + (f"（只有临时或隐藏文件：{'、'.join(left[:5])}）" if left else "")
                                + "：请给出导出文件所在的文件夹或文件本身")
            shown = "、".join(f.name for f in found[:10]) + (f" 等 {len(found)} 个" if len(found) > 10 else "")
            notes.append(f"输入文件夹 {p}：{len(found)} 个文件（{shown}）"
                         + (f"；未读取临时或隐藏文件 {'、'.join(left[:5])}" if left else ""))
            files.extend(found)
        elif p.is_file():
            if not any_file and p.suffix.lower() not in SUFFIXES:
                raise FileError(f"不支持的输入文件类型“{p.suffix or '无扩展名'}”：{p.name}；"
                                "请给出 .parquet、.csv 或 .xlsx 文件，或它们所在的文件夹")
            files.append(p)
        else:
            raise FileError(f"找不到输入文件或文件夹：{p}")
    seen: dict[str, Path] = {}
    for f in files:
        key = os.path.realpath(f)
        if key in seen:
            raise FileError(f"同一个输入文件给了两次：{f}（与 {seen[key]} 相同）；每条结算只能读入一次")
        seen[key] = f
    out = []
    for f in files:
        st = f.stat()
        out.append(InputFile(f.resolve(), st.st_size, st.st_mtime_ns))
    return out, notes


__all__ = ["InputFile", "expand", "SUFFIXES", "FOLDER_SUFFIXES"]
