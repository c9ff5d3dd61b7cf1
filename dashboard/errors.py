"""Errors named after the condition, each carrying what the user must do next."""

from __future__ import annotations


class SeatReviewError(Exception):
    """Base class of every error the product shows to a user (never as a traceback)."""

    exit_code = 2


class InputRefused(SeatReviewError):
    """A file (or form input) was refused; names the file, row and column and what to do."""

    def __init__(
        self,
        file: str,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.message = message
        self.hint = hint
        super().__init__(self.text)

    @property
    def text(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        out = f"{where}: {self.message}"
        if self.hint:
            out += f". {self.hint}"
        return out


class NoData(SeatReviewError):
    """There is no snapshot (or not the one asked for) to work on."""


class DatabaseBusy(SeatReviewError):
    """Another process held the database file for longer than we were willing to wait."""


class SyncFailed(SeatReviewError):
    """An API sync failed; the database was left as it was."""

    exit_code = 3


class ExportBlocked(SeatReviewError):
    """The pre-flight check found a problem; nothing was written."""


class QueryRefused(SeatReviewError):
    """The SQL sandbox refused a query (or stopped it at the time limit)."""
