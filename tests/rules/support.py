"""Shared by the rule tests: amounts written as the documents write them, and engines whose local
settings are exactly the round test figures a test lists."""
from decimal import Decimal

from processor.engine import Engine
from processor.settings import parse_settings


def yuan(x) -> int:
    """Yuan (int or decimal text) → int fen, so that amounts read as in the document."""
    return int(Decimal(str(x)) * 100)


def settings_text(*rows) -> str:
    """``rows`` = (region, key, year, value in yuan or a rate) → a settings TOML."""
    return "\n".join(f'[[setting]]\nregion = "{r}"\nkey = "{k}"\nyear = {y}\nvalue = "{v}"\nsource = "测试用整数"\n'
                     for r, k, y, v in rows)


def engine_with(*rows) -> Engine:
    """An engine whose settings are exactly ``rows`` = (region, key, year, value)."""
    return Engine(settings=parse_settings(settings_text(*rows)))
