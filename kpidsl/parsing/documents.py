"""TOML, JSON and YAML text to plain values, within limits that keep every reader linear and calm.

``load(text, fmt)`` returns what the format's reader returns, or raises ``DocumentError`` with a
sentence and, where the reader gives it, the line. Beyond each format's own syntax it refuses:

- nesting deeper than ``MAX_DEPTH`` levels (brackets, braces, TOML tables and dotted keys, YAML
  collections): the readers recurse without a limit of their own, and TOML's reader takes time
  quadratic in the depth of a dotted key;
- a key given twice in one JSON object or YAML mapping (TOML's reader refuses that itself);
- a whole number too long for Python's ``int`` (more than 4,300 digits);
- YAML tags that would build Python objects (YAML is read with the safe loader), and values that a
  tag's own reader cannot read (`2025-02-30`, `!!int abc`).

Data files (``kpidsl.data``) and the configuration (``kpidsl.checking.config``) read through here.
"""

from __future__ import annotations

import functools
import re

from .literals import show

#: Levels of nesting a document may have; kpi's own files need three at most.
MAX_DEPTH = 64
#: A YAML whole number longer than this is refused before ``int`` reads it (beyond about 310
#: digits it is too large for a float anyway; ``int`` refuses more than 4,300).
_INT_CHARS = 4000
_TOO_LARGE = "too large to be a number (the limit is about 1.8e308)"

# What the depth scan sees of a document: strings and comments (skipped whole, as a bracket or a
# dot inside them means nothing), line ends, brackets and braces, and in TOML the dots of dotted
# keys and what ends a key (`=`, `,`).
_SCAN = {
    "json": re.compile(r'"(?:[^"\\\n]|\\.)*"|[\[\]{}\n]'),
    "toml": re.compile(r'"""(?:[^\\]|\\[\s\S])*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\''
                       r"|#[^\n]*|[\[\]{}.=,\n]"),
}


class DocumentError(Exception):
    """A document that cannot be read: the sentence, and the line and column where known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def _too_deep(line: int) -> DocumentError:
    return DocumentError(f"nested more than {MAX_DEPTH} levels deep; kpi's data and configuration files "
                         "need three levels at most", line)


def _check_depth(text: str, fmt: str) -> None:
    """``DocumentError`` at the line where nesting passes ``MAX_DEPTH``; one pass over the text."""
    depth = dots = 0
    line = 1
    for m in _SCAN[fmt].finditer(text):
        c = m.group()[0]
        if c == "\n":
            line += 1
            dots = 0
        elif c == "[" or c == "{":
            depth += 1
            dots = 0
        elif c == "]" or c == "}":
            depth -= 1
            dots = 0
        elif c == ".":
            dots += 1
        elif c == "=" or c == ",":
            dots = 0
        elif c != "#":  # a string: it may span lines
            line += m.group().count("\n")
        if depth + dots > MAX_DEPTH:
            raise _too_deep(line)


def load(text: str, fmt: str):
    """The value of ``text`` in ``fmt`` (``"toml"``, ``"json"`` or ``"yaml"``); ``DocumentError``."""
    if fmt == "yaml":
        return _load_yaml(text)
    _check_depth(text, fmt)
    if fmt == "json":
        import json

        try:  # whole numbers become floats (as every value does): float() reads any length
            return json.loads(text, parse_int=float, object_pairs_hook=_json_object)
        except json.JSONDecodeError as exc:
            raise DocumentError(f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DocumentError(f"not valid TOML: {exc}") from None
    except ValueError as exc:  # int() refused a whole number of more than 4,300 digits
        long = re.search(r"[0-9][0-9_]{4000,}", text)
        if long is None:
            raise DocumentError(f"not valid TOML: {exc}") from None
        line = text.count("\n", 0, long.start()) + 1
        raise DocumentError(f"a whole number of more than 4,300 digits is {_TOO_LARGE}", line) from None


def _json_object(pairs: list) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise DocumentError(f"the key `{show(key, 40)}` is given twice in one object; keep one")
        out[key] = value
    return out


def _load_yaml(text: str):
    import yaml

    try:
        return yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader, see _yaml_loader
    except DocumentError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if mark is None:
            raise DocumentError(f"not valid YAML: {problem}") from None
        raise DocumentError(f"not valid YAML: {problem}", mark.line + 1, mark.column + 1) from None
    except Exception:  # a tag's reader that fails outside construct_object (`!!set a`)
        raise DocumentError("not valid YAML: a value does not fit its tag (`!!set`, `!!omap`, …)") from None


@functools.cache
def _yaml_loader():
    """PyYAML's safe loader, with a depth limit, duplicate keys refused and long whole numbers too."""
    import yaml

    class Loader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent, index):
            self.depth += 1
            try:
                if self.depth > MAX_DEPTH:
                    mark = self.peek_event().start_mark
                    raise _too_deep(mark.line + 1)
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

        def construct_mapping(self, node, deep=False):
            seen: dict = {}  # (tag, text) of each key -> its line
            for key, _ in node.value if isinstance(node, yaml.MappingNode) else ():
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    if (key.tag, key.value) in seen:
                        raise DocumentError(f"the key `{show(key.value, 40)}` is given twice in one mapping "
                                            f"(first on line {seen[key.tag, key.value]}); keep one",
                                            key.start_mark.line + 1, key.start_mark.column + 1)
                    seen[key.tag, key.value] = key.start_mark.line + 1
            return super().construct_mapping(node, deep)

        def construct_object(self, node, deep=False):
            try:
                return super().construct_object(node, deep)
            except (DocumentError, yaml.YAMLError):
                raise
            except Exception:  # a tag's own reader failed on the text (`!!int abc`, `2025-02-30`)
                tag = node.tag.rpartition(":")[2]
                text = f"`{show(node.value)}`" if isinstance(node.value, str) and node.value else "the value"
                raise DocumentError(f"not valid YAML: {text} is not a valid {tag}",
                                    node.start_mark.line + 1, node.start_mark.column + 1) from None

        def construct_yaml_int(self, node):
            if len(node.value) > _INT_CHARS:
                raise DocumentError(f"a whole number of {len(node.value):,} characters is {_TOO_LARGE}",
                                    node.start_mark.line + 1, node.start_mark.column + 1)
            return super().construct_yaml_int(node)

    Loader.add_constructor("tag:yaml.org,2002:int", Loader.construct_yaml_int)
    return Loader
