"""Fixtures shared by the reader's tests."""
from __future__ import annotations

import pytest
import python_calamine


@pytest.fixture
def no_calamine(monkeypatch):
    """Fail the test if anything opens the workbook with calamine: a refusal of a hostile file must come
    from the safety scan, before the fast reader sees a byte."""

    class Forbidden:
        @classmethod
        def from_path(cls, *args, **kwargs):
            raise AssertionError("calamine must not see this file")

        from_object = from_filelike = from_path

    monkeypatch.setattr(python_calamine, "CalamineWorkbook", Forbidden)
    monkeypatch.setattr(python_calamine, "load_workbook", Forbidden.from_path)
