"""Errors that mean "bad input": each edge prints one line and exits 2.

The library names what was wrong by its field (`step_mg`, `timezone`), never by a
command-line flag: the same request comes from the CLI, a batch row, a checked file or a
Python call, and each edge says it in its own words (the CLI's flag, the batch
column, `proposed.yaml:4`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

# In a message, `<field>` refers to another input by its field name; an edge shows it
# as that edge names it (see `InputError.describe`).
_FIELD_REF = re.compile(r"<([a-z][a-z0-9_]*)>")


def _as_field(name: str) -> str:
    return name


class InputError(Exception):
    """Bad input: a file, a field or a value.

    `where` is `FILE:LINE` (or `FILE`) when the input came from a file; `field` is the
    request field at fault (`step_mg`). The message may mention other fields as
    `<field>`.

    >>> error = InputError("give <step_mg> with <every_days>", field="step_mg")
    >>> str(error)
    'step_mg: give step_mg with every_days'
    >>> error.describe(str.upper)
    'STEP_MG: give STEP_MG with EVERY_DAYS'
    """

    def __init__(self, message: str, where: str | None = None, *, field: str | None = None):
        super().__init__(message)
        self.template = message
        self.where = where
        self.field = field

    @property
    def message(self) -> str:
        """The message with fields by their field names."""
        return self.text(_as_field)

    def text(self, name_for: Callable[[str], str]) -> str:
        """The message with each `<field>` named as `name_for` names it."""
        return _FIELD_REF.sub(lambda found: name_for(found[1]), self.template)

    def describe(self, name_for: Callable[[str], str] = _as_field) -> str:
        """`WHERE: message`: the file position if any, else the field as `name_for` says."""
        where = self.where or (name_for(self.field) if self.field else None)
        text = self.text(name_for)
        return f"{where}: {text}" if where else text

    def __str__(self) -> str:
        return self.describe()
