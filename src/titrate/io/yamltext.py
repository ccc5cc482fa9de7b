"""Text input: small whole files read with a size cap, YAML parsed with a map from each
key path to its line (so errors say `file:line`), and validation errors placed on lines.

YAML 1.2 (ruamel.yaml's round-trip loader) keeps `14:00` a string and rejects duplicate
keys; tags, alias bombs and absurd nesting are refused before they cost anything.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from titrate.errors import InputError

# Regimen and plan files are small; refusing anything larger keeps a hostile or
# mistaken file (a log passed as a regimen, a YAML bomb) from eating memory.
MAX_INPUT_BYTES = 2 * 1024 * 1024

LineMap = dict[tuple[Any, ...], int]


# A regimen or plan file has a few hundred nodes; aliases can make a tiny file expand
# to billions ("billion laughs"), so walks stop at this many visits.
MAX_NODES = 100_000
# "\ud800" escapes in double-quoted YAML give strings that cannot be written as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_DEPTH = 64


def _walk(root: Any, name: str) -> LineMap:
    """Map every key/index path of a round-trip document to its 1-based line, refusing
    tags, alias bombs and absurd nesting on the way."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar

    lines: LineMap = {}
    visits = 0
    stack: list[tuple[Any, tuple[Any, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        visits += 1
        if visits > MAX_NODES:
            raise InputError(
                f"document too large or too many aliases (more than {MAX_NODES} nodes)", name
            )
        if len(path) > MAX_DEPTH:
            raise InputError(f"nested too deeply (limit {MAX_DEPTH} levels)", name)
        if isinstance(node, str) and _SURROGATE.search(node):
            line = line_for(path, lines)
            raise InputError(
                "text contains an invalid character (an unpaired UTF-16 surrogate escape)",
                f"{name}:{line}" if line else name,
            )
        problem = _not_json(node)
        if problem is not None:
            line = line_for(path, lines)
            dotted = ".".join(str(part) for part in path) or "(top level)"
            raise InputError(f"{dotted}: {problem}", f"{name}:{line}" if line else name)
        tag = getattr(getattr(node, "tag", None), "value", None)
        if isinstance(node, TaggedScalar) or tag:
            raise InputError(f"YAML tags are not allowed ({tag or '?'})", name)
        if isinstance(node, CommentedMap):
            for key, value in node.items():
                if isinstance(key, bool) or not isinstance(key, str | int):
                    line = node.lc.line + 1
                    raise InputError(
                        f"a key must be text or a whole number, not {_kind(key)}", f"{name}:{line}"
                    )
                try:
                    lines[(*path, key)] = node.lc.key(key)[0] + 1
                except KeyError:  # a key merged in with `<<:` has no position of its own
                    lines[(*path, key)] = node.lc.line + 1
                stack.append((value, (*path, key)))
        elif isinstance(node, CommentedSeq):
            for index, value in enumerate(node):
                lines[(*path, index)] = node.lc.item(index)[0] + 1
                stack.append((value, (*path, index)))
    return lines


def _not_json(node: Any) -> str | None:
    """Why a loaded YAML value has no JSON equivalent (sets, ordered maps, binary, infinite
    or NaN floats, numbers written as hex, octal or with `_`), or None; the text itself
    goes through the control-character policy (`titrate.io.text`). Dates and times are
    kept: the models read them as their ISO text."""
    from ruamel.yaml.comments import CommentedMap, CommentedOrderedMap, CommentedSeq
    from ruamel.yaml.scalarint import BinaryInt, HexCapsInt, HexInt, OctalInt

    from titrate.io.text import text_problem

    if isinstance(node, CommentedOrderedMap):
        return "an ordered map (!!omap) has no JSON equivalent (use a plain mapping)"
    if node is None or isinstance(node, CommentedMap | CommentedSeq | date):
        return None
    if isinstance(node, str):
        problem = text_problem(node, multiline=True)
        return f"text holds {problem}" if problem else None
    if isinstance(node, bool):
        return None
    if isinstance(node, BinaryInt | HexInt | HexCapsInt | OctalInt) or getattr(
        node, "_underscore", None
    ):
        return "write numbers as plain decimal digits (no 0x, 0o, 0b or `_`)"
    if isinstance(node, int):
        return None
    if isinstance(node, float):
        return None if math.isfinite(node) else "not a finite number"
    return f"{_kind(node)} has no JSON equivalent (use mappings, lists, text and numbers)"


def _kind(value: Any) -> str:
    if isinstance(value, AbstractSet):
        return "a set"
    if isinstance(value, bytes):
        return "binary data"
    if isinstance(value, tuple):
        return "a list"
    return f"a {type(value).__name__}"


def line_for(loc: Sequence[Any], lines: LineMap) -> int | None:
    """The line of the nearest enclosing node that has one (a missing field → its parent)."""
    key = tuple(loc)
    while key and key not in lines:
        key = key[:-1]
    return lines.get(key)


def read_text(path: Path, what: str = "file") -> str:
    """Read a small UTF-8 text file, turning every OS problem into one clear line."""
    from titrate.io.files import read_input

    data = read_input(path, what, MAX_INPUT_BYTES)
    try:
        text = data.decode("utf-8-sig")  # tolerate a BOM
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte {exc.start}: {data[exc.start : exc.start + 1]!r})", str(path)
        ) from None
    if not text.strip():
        raise InputError(f"{what} is empty", str(path))
    return text


def parse_yaml(text: str, name: str) -> tuple[Any, LineMap]:
    """Parse YAML 1.2 safely (no object-building tags) and map paths to lines."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    _refuse_deep_nesting(text, name)
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        data = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        if "duplicate key" in problem.lower() or "found duplicate key" in str(exc).lower():
            problem = "duplicate key " + _duplicate_key_name(str(exc))
        raise InputError(problem, f"{name}{line}") from None
    except YAMLError as exc:
        raise InputError(f"invalid YAML: {str(exc).splitlines()[0]}", name) from None
    except RecursionError:
        raise InputError("nested too deeply", name) from None
    except (TypeError, AttributeError, KeyError, IndexError):
        # ruamel's constructors crash on some tagged nodes (`!!omap` of a scalar)
        raise InputError(
            "YAML this loader cannot build (tags such as !!omap are not allowed)",
            _where_tag(text, name),
        ) from None
    except ValueError as exc:  # e.g. a date that does not exist: 2027-02-29
        raise InputError(f"invalid value: {exc}", _where_bad_date(text, name)) from None
    return data, _walk(data, name)


def _where_tag(text: str, name: str) -> str:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.search(r"(?:^|[\s\[{,:-])!", line):
            return f"{name}:{number}"
    return name


def _where_bad_date(text: str, name: str) -> str:
    """The loader reports an impossible date without a position: find its line."""
    import re
    from datetime import date

    for number, line in enumerate(text.splitlines(), start=1):
        for match in re.finditer(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", line):
            try:
                date(*(int(part) for part in match.groups()))
            except ValueError:
                return f"{name}:{number}"
    return name


def _refuse_deep_nesting(text: str, name: str) -> None:
    """Cheap pre-scan: the parser recurses per level and takes seconds to fail on a
    document nested thousands deep, so refuse it before parsing."""
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(depth - 1, 0)
    indent = max((len(line) - len(line.lstrip(" ")) for line in text.splitlines()), default=0)
    if deepest > MAX_DEPTH or indent > 4 * MAX_DEPTH:
        raise InputError(f"nested too deeply (limit {MAX_DEPTH} levels)", name)


def _duplicate_key_name(text: str) -> str:
    for line in text.splitlines():
        if "found duplicate key" in line:
            return line.split("found duplicate key", 1)[1].split(" with value")[0].strip()
    return ""


def validation_error(exc: ValidationError, name: str, lines: LineMap) -> InputError:
    """The first validation problem as one `FILE:LINE: path: message` error."""
    first = exc.errors(include_url=False)[0]
    loc = first["loc"]
    line = line_for(loc, lines)
    where = f"{name}:{line}" if line else name
    path = ".".join(str(part) for part in loc) or "(top level)"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown field (check the spelling)"
    more = len(exc.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return InputError(f"{path}: {message}{suffix}", where)
