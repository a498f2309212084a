"""The Excel functions. Thin: parse the cell values, call the engine, format the answer.

Every function returns a number (yuan, half-up to the fen), a text answer, or a message
starting with ``#`` — never a traceback and never a silent 0. ``*_EXPLAIN`` return one step per
line (a column that spills in Excel; a list of strings in Python), each line short enough for
the classic add-in's 255-character limit.

Settings (the figures the documents leave to the bureau) come from, in order: the file named by
the environment variable ``YIBAO_SETTINGS``; ``yibao_settings.toml`` next to the calling workbook;
``yibao_settings.toml`` in the current folder. Without one, a function that needs a setting says
which one.
"""
from __future__ import annotations

import datetime as _dt
import functools
import inspect
import logging
import os
import time
from datetime import date
from pathlib import Path

import xlwings as xw

from processor.engine import Engine
from processor.errors import YibaoError
from processor.io.ids import doc_type_of, normalise_document
from processor.money import fen_to_yuan
from processor.settings import load_settings, parse_settings

from . import inputs as arg

log = logging.getLogger("yibao.udf")
SETTINGS_FILE = "yibao_settings.toml"
MAX_CELL_TEXT = 250

_engines: dict[tuple, Engine] = {}


_LOOKUP_EVERY = 2.0  # seconds between searches for the workbook's settings file (a COM call in Excel)
_found: dict[str, object] = {"at": float("-inf"), "path": None}


def _settings_path() -> Path | None:
    env = os.environ.get("YIBAO_SETTINGS")
    if env:
        return Path(env)
    now = time.monotonic()
    if now - _found["at"] < _LOOKUP_EVERY:
        return _found["path"]
    _found["path"] = _search_settings()
    _found["at"] = now
    return _found["path"]


def _search_settings() -> Path | None:
    try:  # only inside Excel: the calling workbook's folder
        caller = xw.Book.caller()
        p = Path(caller.fullname).parent / SETTINGS_FILE
        if p.exists():
            return p
    except Exception:
        pass
    p = Path.cwd() / SETTINGS_FILE
    return p if p.exists() else None


_SETTINGS_TEXT: dict[str, str | None] = {"text": None}


def use_settings_text(text: str | None) -> None:
    """Settings given as TOML text instead of a file — for xlwings Lite, where the workbook's Python
    has no file system: ``main.py`` calls ``udf.use_settings_text('''[[setting]] …''')``. ``None``
    goes back to the file search."""
    _SETTINGS_TEXT["text"] = text
    reload_settings()


def engine() -> Engine:
    """The engine, with the policy book loaded once; reloaded only when the settings file changes.

    Settings come from, first, text given with :func:`use_settings_text` or the environment variable
    ``YIBAO_SETTINGS_TOML`` (xlwings Lite's environment variables; a one-line value may write line
    breaks as \\n), then the file search described in the module docstring."""
    text = _SETTINGS_TEXT["text"] or os.environ.get("YIBAO_SETTINGS_TOML")
    if text:
        if "\n" not in text:
            text = text.replace("\\n", "\n")
        key = ("text", text)
        eng = _engines.get(key)
        if eng is None:
            _engines.clear()
            eng = Engine(settings=parse_settings(text, "设置文本（YIBAO_SETTINGS_TOML）"))
            _engines[key] = eng
        return eng
    path = _settings_path()
    # a named file that is missing gets its own key, so load_settings reports it on every call instead of
    # a cached settings-less engine being reused silently
    stamp = (str(path), path.stat().st_mtime_ns if path.exists() else None) if path else (None, None)
    eng = _engines.get(stamp)
    if eng is None:
        _engines.clear()
        eng = Engine(settings=load_settings(path))
        _engines[stamp] = eng
    return eng


def reload_settings() -> None:
    _engines.clear()
    _found["at"] = float("-inf")


def _message(err: Exception) -> str:
    if isinstance(err, YibaoError):
        text = "#" + err.message
    else:  # a bug, not a bad input: say so briefly, keep the detail in the log (no cell values)
        log.exception("yibao UDF internal error")
        text = f"#内部错误：{type(err).__name__}，请联系维护人员"
    return text if len(text) <= MAX_CELL_TEXT else text[: MAX_CELL_TEXT - 1] + "…"


def _errors_as_text(fn):
    """Excel error cells (#N/A, #VALUE! …) reach Python as '#N/A' text instead of None.

    By default xlwings turns an error cell into ``None`` (``_xlwindows._clean_value_data_element``), which
    reads as an empty cell: an #N/A 人员类别 would silently become 普通参保人 and an #N/A date today.
    With ``err_to_str`` the parsers below reject the text with a message. No effect outside Windows.
    """
    for name in inspect.signature(fn).parameters:
        fn = xw.arg(name, err_to_str=True)(fn)
    return fn


def _cell(fn):
    """Run a function body; any error becomes a '#…' message in the cell."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - the cell must never show a traceback
            return _message(err)
    return wrapper


def _explain(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
        except Exception as err:  # noqa: BLE001
            return [_message(err)]
        lines = [f"适用身份：{result.identity}"] + result.lines()
        lines.append("结果：" + (f"{fen_to_yuan(result.fen)} 元" if result.fen is not None else (result.text or "无")))
        return [line if len(line) <= MAX_CELL_TEXT else line[: MAX_CELL_TEXT - 1] + "…" for line in lines]
    return wrapper


def _yuan(result) -> float | str:
    return float(fen_to_yuan(result.fen)) if result.fen is not None else result.text


# ----------------------------------------------------------------------------- computations
def _assist(category, selfpay, region, ytd_selfpay=None, ytd_assist=None, kind=None, date=None,
            referral=None, stay_total=None, in_province=None):
    return engine().assistance(
        category, region, arg.amount(selfpay, "个人自付金额"), arg.amount(ytd_selfpay, "年度累计个人自付", False),
        arg.amount(ytd_assist, "年度累计医疗救助", False), arg.kind(kind), arg.when(date),
        arg.flag(referral, "是否转诊"), arg.optional_amount(stay_total, "本次目录内费用"), arg.flag(in_province, "是否省内"))


def _critical(category, amount, region, ytd_amount=None, date=None, referral=None):
    return engine().critical(category, region, arg.amount(amount, "进入大病保险的费用"),
                             arg.amount(ytd_amount, "年度累计进入大病的费用", False), arg.when(date),
                             arg.flag(referral, "是否转诊"))


def _subsidy(category, region, year=None):
    return engine().subsidy(category, region, arg.year(year))


def _tilt(category, remaining, region, ytd_remaining=None, ytd_tilt=None, date=None, referral=None, beyond_cap=None):
    return engine().tilt(category, region, arg.amount(remaining, "三重制度后个人自付"),
                         arg.amount(ytd_remaining, "年度累计三重制度后个人自付", False),
                         arg.amount(ytd_tilt, "年度累计倾斜救助", False), arg.when(date), arg.flag(referral, "是否转诊"),
                         arg.optional_amount(beyond_cap, "超出医疗救助限额的个人自付"))


# ----------------------------------------------------------------------------- Excel functions
@xw.func
@_errors_as_text
@_cell
def ASSIST(category, selfpay, region, ytd_selfpay=None, ytd_assist=None, kind=None, date=None,
           referral=None, stay_total=None, in_province=None):
    """医疗救助：本次救助金额（元）。selfpay = 经基本医保、大病保险后政策范围内个人自付。"""
    return _yuan(_assist(category, selfpay, region, ytd_selfpay, ytd_assist, kind, date, referral, stay_total,
                         in_province))


@xw.func
@_errors_as_text
@_cell
def CRITICAL(category, amount, region, ytd_amount=None, date=None, referral=None):
    """大病保险：本次支付（元）。amount = 政策范围内费用经基本医保支付后的剩余。"""
    return _yuan(_critical(category, amount, region, ytd_amount, date, referral))


@xw.func
@_errors_as_text
@_cell
def SUBSIDY(category, region, year=None):
    """资助参保：该年度资助金额（元）。"""
    return _yuan(_subsidy(category, region, year))


@xw.func
@_errors_as_text
@_cell
def WAIT_START(pay_date, region, category=None, case=None):
    """待遇起始日：缴费日期、地区、[人员类别]、[免等待期情形] → 医保待遇开始享受的日期（集中征缴期、90日等待期、免等待期的身份与情形）。"""
    if pay_date is None or (isinstance(pay_date, str) and not pay_date.strip()):
        raise YibaoError("缺少缴费日期")
    r = engine().benefit_start(category or "", region, arg.when(pay_date), str(case or "").strip())
    return _dt.date.fromisoformat(r.text)


@xw.func
@_errors_as_text
@_cell
def TILT(category, remaining, region, ytd_remaining=None, ytd_tilt=None, date=None, referral=None, beyond_cap=None):
    """倾斜救助：本次金额（元）；依申请的地区返回“依申请”。beyond_cap = 本次自付中超出医疗救助年度限额的部分
    （赣州 二(三)3(4) 必填：限额未用完时填 0）。"""
    return _yuan(_tilt(category, remaining, region, ytd_remaining, ytd_tilt, date, referral, beyond_cap))


@xw.func
@_errors_as_text
@_cell
def MONITOR(category, selfpay, region, ytd_selfpay=None, date=None):
    """监测：应纳入的监测/预警名单名称，未达到时为空。"""
    return engine().monitor(category, region, arg.amount(selfpay, "本次个人自付"),
                            arg.amount(ytd_selfpay, "年度累计个人自付", False), arg.when(date)).text


@xw.func
@_errors_as_text
@_cell
def IDENTITY(categories, region, date=None):
    """多重身份：待遇最高的一个身份。"""
    return engine().identity(categories, region, arg.when(date))


@xw.func
@_errors_as_text
@_cell
def ID_CHECK(id_number, id_type=None):
    """证件号码：规整后的号码（18位身份证号、15位转18位），或以 # 开头的错误说明。id_type = 证件类型，默认居民身份证。"""
    # the rules (GB 11643 check digit, 15 → 18, numbers Excel has rounded) live in processor/io/ids.py
    return normalise_document(id_number, doc_type_of(id_type), date.today()).number


@xw.func
@xw.ret(transpose=True)
@_errors_as_text
@_explain
def ASSIST_EXPLAIN(category, selfpay, region, ytd_selfpay=None, ytd_assist=None, kind=None, date=None,
                   referral=None, stay_total=None, in_province=None):
    """医疗救助的计算过程：每步一行（向下溢出）。"""
    return _assist(category, selfpay, region, ytd_selfpay, ytd_assist, kind, date, referral, stay_total, in_province)


@xw.func
@xw.ret(transpose=True)
@_errors_as_text
@_explain
def CRITICAL_EXPLAIN(category, amount, region, ytd_amount=None, date=None, referral=None):
    """大病保险的计算过程：每步一行。"""
    return _critical(category, amount, region, ytd_amount, date, referral)


@xw.func
@xw.ret(transpose=True)
@_errors_as_text
@_explain
def SUBSIDY_EXPLAIN(category, region, year=None):
    """资助参保的计算过程：每步一行。"""
    return _subsidy(category, region, year)


@xw.func
@xw.ret(transpose=True)
@_errors_as_text
@_explain
def TILT_EXPLAIN(category, remaining, region, ytd_remaining=None, ytd_tilt=None, date=None, referral=None,
                 beyond_cap=None):
    """倾斜救助的计算过程：每步一行。"""
    return _tilt(category, remaining, region, ytd_remaining, ytd_tilt, date, referral, beyond_cap)
