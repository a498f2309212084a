"""`yibao province`: a province's year through the same chain, partitioned by person, on Dask.

    inputs.py     the files given (folders expanded), each opened through the one reader
    manifest.py   what a run is computed from (its fingerprint) and what is finished, for resuming
    split.py      stage 1: one task per input file (normalise, bucket by person), then the buckets
                  sharing a 结算ID united into partitions
    lock.py       one run at a time on an output folder (DIR/_work/lock)
    partition.py  stage 2: one partition through processor.ledgers.compute.settle_claims
    claims.py     the 结算明细 record of one settled claim (Parquet columns)
    cluster.py    where stages 1 and 2 run: in this process, a local Dask cluster, or a scheduler by address
    outputs.py    结算明细.parquet, 异常.parquet and the ledgers per 统筹区 (split at the sheet row limit)
    run.py        the command: the stages in order, progress and the closing summary
    cli_args.py   its options

The chain is never copied: rows come through processor.io (reader / parquet), are normalised by
processor.ledgers.normalise.normalise and settled by processor.ledgers.compute.settle_claims, and the
ledger rows are made by processor.ledgers.benefit.row_values and written by processor.io.xlsx_splice.
"""
