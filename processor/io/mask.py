"""Masking ID numbers in free text (console output, messages, logs): every number that looks like a
居民身份证 number (18 characters, or a 15-digit first-generation one) and every typed person key
("护照:E12345678", "人员编号:…") keeps only its first 6 and last 4 characters, via :func:`ids.mask`.

Inside the workbook IDs stay whole; outside it nothing prints one unmasked. A long settlement ID that
happens to have 18 digits is masked too: harmless, and safer than guessing.
"""
from __future__ import annotations

import re

from .ids import DOC_TYPES, PERSON_NO, mask

_TYPES = "|".join(sorted({*DOC_TYPES.values(), PERSON_NO}, key=len, reverse=True))
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_KEY_IN_TEXT = re.compile(rf"((?:{_TYPES}):)([0-9A-Za-z_-]+)")


def mask_text(text: str) -> str:
    """``text`` with every ID number in it masked (first 6 + last 4)."""
    text = _KEY_IN_TEXT.sub(lambda m: m.group(1) + mask(m.group(2)), str(text))
    return _ID_IN_TEXT.sub(lambda m: mask(m.group(0)), text)


__all__ = ["mask_text"]
