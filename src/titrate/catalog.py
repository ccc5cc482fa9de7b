"""Load and validate regimen YAML: the built-in data file and users' own files.

Errors name the file and line: `regimens.yaml:12: regimens.0.limits.max_daily_mg.value:
Input should be greater than or equal to 0`. YAML 1.2 (ruamel.yaml) keeps `14:00` a
string and rejects duplicate keys.
"""

from __future__ import annotations

import difflib
import json
import sys
import zlib
from collections.abc import Iterable, Sequence
from datetime import date, time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec

from titrate.errors import InputError
from titrate.model import Regimen, RegimenFile

BUILTIN_NAME = "regimens.yaml"


def parse_regimen_file(text: str, name: str) -> list[Regimen]:
    """A regimens YAML file, validated by the edge models (`titrate.schema.regimen`)."""
    from pydantic import ValidationError

    from titrate.io.yamltext import parse_yaml, validation_error
    from titrate.schema import to_runtime
    from titrate.schema.regimen import RegimenFile as RegimenFileModel

    data, lines = parse_yaml(text, name)
    if not isinstance(data, dict):
        raise InputError("expected a mapping with `regimens:` at the top level", name)
    try:
        return to_runtime(RegimenFileModel.model_validate(data), RegimenFile).regimens
    except ValidationError as exc:
        raise validation_error(exc, name, lines) from None


# The built-in data is also shipped pre-validated as JSON (`regimens.compiled.json`),
# because parsing the YAML with ruamel's round-trip loader (kept for its line numbers)
# costs more than the rest of `titrate plan -f json` together. The JSON records a
# fingerprint of the YAML bytes it was made from and is used only while they match, so
# an edited YAML is never shadowed by a stale copy: it is parsed instead (correct,
# slower), and a test tells the developer to regenerate the copy with COMPILE_COMMAND.
# The fingerprint is a CRC-32 and the length, not a cryptographic hash: it tells an
# edited file from the one compiled (no one forges regimen data against it), and zlib is
# loaded anyway, where hashlib's OpenSSL import alone cost ~3 ms of every start-up.
COMPILED_NAME = "regimens.compiled.json"
COMPILED_FORMAT = 2
COMPILE_COMMAND = "python -m titrate.catalog compile"


def _data_file(name: str) -> Path:
    # Beside this module, as the wheel installs it (importlib.resources would find the
    # same file, after importing its readers and zipfile: a few ms of every start-up).
    return Path(__file__).parent / "data" / name


@lru_cache(maxsize=1)
def builtin_regimens() -> tuple[Regimen, ...]:
    """The shipped regimens, read once per process: from the compiled copy when it was
    made from the YAML as it is now, else by parsing the YAML."""
    data = _data_file(BUILTIN_NAME).read_bytes()
    compiled = _read_compiled(fingerprint(data))
    if compiled is not None:
        return compiled
    return tuple(parse_regimen_file(data.decode("utf-8"), BUILTIN_NAME))


def fingerprint(data: bytes) -> str:
    """What the compiled copy records of the YAML bytes it was made from."""
    return f"crc32:{zlib.crc32(data):08x} bytes:{len(data)}"


class _Compiled(msgspec.Struct, frozen=True):
    generated: str
    format: int
    yaml: str  # fingerprint() of the YAML
    file: msgspec.Raw


def _read_compiled(yaml: str) -> tuple[Regimen, ...] | None:
    """The compiled regimens if the copy was made from YAML with this fingerprint.

    The copy was validated by the edge models when it was compiled (and `compile`
    refuses to write one that reads back different), so it is trusted: decoded straight
    into the runtime types, types checked, no pydantic model built. Any problem with it
    (missing, damaged, made by other code) means None, and the caller parses the YAML."""
    try:
        document = msgspec.json.decode(_data_file(COMPILED_NAME).read_bytes(), type=_Compiled)
        if document.format != COMPILED_FORMAT or document.yaml != yaml:
            return None
        return tuple(msgspec.json.decode(document.file, type=RegimenFile).regimens)
    except (OSError, msgspec.ValidationError, msgspec.DecodeError):
        return None


def _exact(value: Any) -> str:
    """JSON text for the values model_dump(mode="python") leaves: a Decimal as its exact
    string ('2.5', never a float), dates and times in ISO form."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | time):
        return value.isoformat()
    raise TypeError(f"cannot compile a {type(value).__name__}")


def compile_builtin() -> str:
    """The text of `regimens.compiled.json` for the shipped YAML as it is now.

    Only the fields the YAML sets are written (`exclude_unset`), so the records read back
    are the YAML's, field for field; this refuses to give a copy that reads back (into
    the runtime types, as `builtin_regimens` reads it) different from the YAML
    validated by the edge models."""
    from titrate.io.yamltext import parse_yaml
    from titrate.schema.regimen import RegimenFile as RegimenFileModel

    data = _data_file(BUILTIN_NAME).read_bytes()
    parsed = tuple(parse_regimen_file(data.decode("utf-8"), BUILTIN_NAME))
    validated = RegimenFileModel.model_validate(parse_yaml(data.decode("utf-8"), BUILTIN_NAME)[0])
    dumped = RegimenFileModel(regimens=validated.regimens).model_dump(
        mode="python", exclude_unset=True
    )
    document = {
        "generated": f"from {BUILTIN_NAME} by `{COMPILE_COMMAND}`; do not edit",
        "format": COMPILED_FORMAT,
        "yaml": fingerprint(data),
        "file": dumped,
    }
    text = json.dumps(document, default=_exact, ensure_ascii=False, indent=1) + "\n"
    read_back = tuple(
        msgspec.json.decode(json.dumps(json.loads(text)["file"]), type=RegimenFile).regimens
    )
    if read_back != parsed:
        raise InputError("the compiled regimens would not read back equal to the YAML")
    return text


def _main(argv: Sequence[str]) -> int:
    """`python -m titrate.catalog compile` writes the compiled copy next to the YAML;
    `python -m titrate.catalog check` exits 1 if it is out of date."""
    target = Path(__file__).parent / "data" / COMPILED_NAME
    if list(argv) not in (["compile"], ["check"]):
        sys.stderr.write("usage: python -m titrate.catalog compile | check\n")
        return 2
    try:
        text = compile_builtin()
    except InputError as exc:
        sys.stderr.write(f"titrate: error: {exc}\n")
        return 2
    current = target.read_text("utf-8") if target.exists() else None
    if argv[0] == "check":
        if current != text:
            sys.stderr.write(f"{target} is out of date: run `{COMPILE_COMMAND}`\n")
            return 1
        return 0
    if current != text:
        target.write_text(text, "utf-8")
        sys.stderr.write(f"wrote {target}\n")
    return 0


def load_regimens(extra_files: Iterable[str | Path] = ()) -> dict[str, Regimen]:
    """Built-in regimens plus users' files (later files may not reuse an id)."""
    catalog: dict[str, Regimen] = {regimen.id: regimen for regimen in builtin_regimens()}
    for file in extra_files:
        from titrate.io.yamltext import read_text

        path = Path(file)
        for regimen in parse_regimen_file(read_text(path, "regimen file"), str(path)):
            if regimen.id in catalog:
                raise InputError(
                    f"regimen id {regimen.id!r} is already defined; choose another id", str(path)
                )
            catalog[regimen.id] = regimen
    return catalog


def get_regimen(regimen_id: str, catalog: dict[str, Regimen] | None = None) -> Regimen:
    """Look up a regimen by id; an unknown id suggests the closest known one."""
    regimens = load_regimens() if catalog is None else catalog
    found = regimens.get(regimen_id) or regimens.get(regimen_id.strip().lower())
    if found is not None:
        return found
    close = difflib.get_close_matches(regimen_id.lower(), list(regimens), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    known = ", ".join(sorted(regimens))
    raise InputError(f"unknown regimen {regimen_id!r}{hint} (known: {known})")


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
