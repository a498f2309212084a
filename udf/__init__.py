"""Excel functions (xlwings UDFs) over the yibao engine: ``from udf import ASSIST``."""
from .functions import (ASSIST, ASSIST_EXPLAIN, CRITICAL, CRITICAL_EXPLAIN, ID_CHECK, IDENTITY, MONITOR, SUBSIDY,
                        SUBSIDY_EXPLAIN, TILT, TILT_EXPLAIN, WAIT_START, reload_settings)

__all__ = ["ASSIST", "ASSIST_EXPLAIN", "CRITICAL", "CRITICAL_EXPLAIN", "ID_CHECK", "IDENTITY", "MONITOR", "SUBSIDY",
           "SUBSIDY_EXPLAIN", "TILT", "TILT_EXPLAIN", "WAIT_START", "reload_settings"]
