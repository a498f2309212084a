"""The 结算明细 record of one settled claim (one Parquet row), and the 异常 record of a rejected row.

Amounts are int64 fen, and their column names say so (医疗救助（分）): a 结算明细.parquet given back as
an input is then never read as yuan (the header aliases know 医疗救助, not 医疗救助（分）). The texts of
the ledger (医疗类别, 备注, 政策依据) come from processor.ledgers.benefit.row_values, the one place
that makes them; the amounts are the chain's own integers.
"""
from __future__ import annotations

from ..ledgers.benefit import LedgerContext, row_values
from ..ledgers.compute import Line

TEXT = ("源文件", "结算ID", "证件号码", "姓名", "参保地", "镇街", "人员类别", "适用身份", "医疗类别")
AMOUNTS = ("医疗费总额（分）", "政策范围内费用（分）", "基本医保支付（分）", "大病保险（分）", "进入医疗救助金额（分）",
           "医疗救助（分）", "倾斜救助（分）", "医疗机构承担（分）", "个人自付（分）", "年度累计个人自付（分）",
           "年度累计医疗救助（分）")
NOTES = ("监测提示", "备注", "政策依据")
# the ledger columns whose text row_values makes (same order as below)
_LEDGER_TEXT = ["适用身份", "医疗类别", "监测提示", "备注", "政策依据"]

REJECT_COLUMNS = ("源文件", "源行号", "结算ID", "姓名", "参保地", "类别", "原因")
REJECTED, NOT_COUNTED = "拒绝", "未计入"


def schema():
    import pyarrow as pa
    fields = [pa.field("源文件", pa.string()), pa.field("源行号", pa.int64())]
    fields += [pa.field(n, pa.string()) for n in TEXT[1:]]
    fields += [pa.field("结算日期", pa.date32())]
    fields += [pa.field(n, pa.int64()) for n in AMOUNTS]
    fields += [pa.field(n, pa.string()) for n in NOTES]
    return pa.schema(fields, metadata={"金额单位": "分（整数）", "说明": "yibao province：每条计算后的结算一行"})


def reject_schema():
    import pyarrow as pa
    return pa.schema([pa.field("源文件", pa.string()), pa.field("源行号", pa.int64())]
                     + [pa.field(n, pa.string()) for n in REJECT_COLUMNS[2:]])


def text_context(region) -> LedgerContext:
    return LedgerContext(region, _LEDGER_TEXT, False, 1)


def record(line: Line, file: str, area: str, ctx: LedgerContext) -> tuple:
    """The values of one 结算明细 row, in :func:`schema` order."""
    r, s, st = line.row, line.result, line.state_after
    c = r.claim
    identity, kind, monitor, notes, basis = row_values(line, 0, ctx)
    return (file, r.source_row, c.settlement_id, r.id_number, r.name, area, r.township, r.category, identity, kind,
            c.settled_on, c.total_cost, c.policy_cost, c.basic_paid, s.critical, s.assist_base, s.assist,
            s.tilt or 0, s.hospital_borne, s.final_selfpay, st.final_selfpay, st.assist, monitor, notes, basis)


class BlockWriter:
    """Rows (tuples in schema order) to a Parquet file, one row group per ``block`` rows (constant memory)."""

    def __init__(self, path, schema, block: int = 50_000):
        import pyarrow.parquet as pq
        self.schema, self.block, self.rows, self.count = schema, block, [], 0
        self.writer = pq.ParquetWriter(str(path), schema, compression="zstd")

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.block:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        import pyarrow as pa
        cols = list(zip(*self.rows))
        self.writer.write_table(pa.table([pa.array(col, type=f.type) for col, f in zip(cols, self.schema)],
                                         schema=self.schema))
        self.count += len(self.rows)
        self.rows = []

    def close(self) -> None:
        self.flush()
        self.writer.close()


__all__ = ["schema", "reject_schema", "record", "BlockWriter", "text_context", "REJECTED", "NOT_COUNTED"]
