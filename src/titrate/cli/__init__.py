"""The command line: parse → request → library → renderer → exit status. Nothing else.

Exit status: 0 nothing at or above --fail-on; 1 findings at or above it; 2 bad input
or usage; 3 internal error (`--debug` shows the traceback).

`titrate --help` reads the command registry (`registry.COMMANDS`); only the command
that runs is imported.
"""

from __future__ import annotations

from titrate.cli.app import app, entry

__all__ = ["app", "entry"]
