"""The inputs of a province run: which files (processor/io/inputs.py, shared with `yibao fill`) and each
opened through the one reader with its required columns checked."""
from __future__ import annotations

from ..errors import FileError
from ..io.inputs import SUFFIXES, InputFile, expand
from ..io.reader import ExportTable, open_export, require_columns
from ..ledgers.normalise import REQUIRED_COLUMNS


def open_table(f: InputFile) -> ExportTable:
    """The file through the one reader (processor.io.reader.open_export: rows streamed — Parquet in record
    batches, CSV and xlsx a row at a time), its required columns checked before any row is used (exit 2
    naming the column)."""
    table = open_export(f.path, what=f"结算导出 {f.path.name} " if f.kind == "parquet" else "结算导出")
    try:
        require_columns(table, REQUIRED_COLUMNS)
    except FileError as err:
        if f.path.name in err.message:
            raise
        raise FileError(f"{f.path.name}：{err.message}") from None
    return table


def check_parquet_headers(files: list[InputFile]) -> None:
    """Every Parquet's columns before anything is read (cheap: the schema only). CSV and xlsx are checked
    when they are read."""
    for f in files:
        if f.kind == "parquet":
            open_table(f)


__all__ = ["InputFile", "expand", "open_table", "check_parquet_headers", "SUFFIXES"]
