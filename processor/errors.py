"""Errors the engine raises. Every message is Chinese, short, and says what to fix.

The UDF layer turns any ``YibaoError`` into a cell text starting with ``#``; the batch turns
it into a row of the 异常 sheet (row-level errors) or a non-zero exit (file-level errors).
"""


class YibaoError(Exception):
    """Base class: ``str(err)`` is the Chinese message shown to the clerk."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class InputError(YibaoError):
    """A value the user typed or a platform export holds is unusable (bad amount, unknown category…)."""


class BeyondCap(InputError):
    """A year-to-date payment already above the annual cap of the identity being computed.

    For a person with one identity it is an input error; with several, the identity whose cap is
    exhausted simply has nothing left to pay and the others are compared (see identities.best).
    """


class PolicyNotInForce(YibaoError):
    """No policy of the region covers the date asked for, or the rule is not defined there."""


class SettingMissing(YibaoError):
    """A figure the documents leave to the bureau is not in the local settings file."""


class PolicyBookError(YibaoError):
    """The policy files themselves are inconsistent (overlap, missing citation, conflict)."""


class FileError(YibaoError):
    """An input file cannot be read safely (not xlsx/csv, zip bomb, corrupt …): the whole run fails."""
