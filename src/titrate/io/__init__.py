"""Input and output at the edge of the library: files and streams (`files`), YAML with
line maps (`yamltext`), exact JSON and JSON Lines (`jsontext`), and line-by-line reading
of large inputs with a cap on each line (`lines`).

`from titrate.io import write_atomic` keeps working: the file functions are re-exported.
"""

from __future__ import annotations

from titrate.io.files import (
    atomic_output,
    open_input,
    read_input,
    stdout_bytes,
    tracking_inputs,
    write_atomic,
    write_stdout,
)

__all__ = [
    "atomic_output",
    "open_input",
    "read_input",
    "stdout_bytes",
    "tracking_inputs",
    "write_atomic",
    "write_stdout",
]
