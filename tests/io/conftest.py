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


@pytest.fixture
def started(monkeypatch):
    """The helper processes processor/io/child.py starts (reader, renderer), each kept to be looked at."""
    import subprocess

    from processor.io import child

    procs: list = []
    real = subprocess.Popen

    def popen(*args, **kwargs):
        procs.append(real(*args, **kwargs))
        return procs[-1]

    monkeypatch.setattr(child.subprocess, "Popen", popen)
    return procs


@pytest.fixture
def no_processes(monkeypatch):
    """A machine where no process can be started (a locked-down sandbox): child.start gives None."""
    from processor.io import child

    def refuse(*args, **kwargs):
        raise OSError("no fork here")

    monkeypatch.setattr(child.subprocess, "Popen", refuse)
