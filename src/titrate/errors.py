"""Errors that mean "bad input": the CLI prints one line and exits 2."""

from __future__ import annotations


class InputError(Exception):
    """Bad input from the user: a file, an option or a value.

    `where` is `FILE:LINE` (or `FILE`, or an option name such as `--start`) and is
    printed in front of the message, so the user sees what and where in one line.
    """

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message
