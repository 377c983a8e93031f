"""Strings and comments in source lines, as the grammar's STRING and COMMENT terminals read them.

Whatever looks for comments or brackets in source text (the formatter, ``# noqa``, the depth
check before lark) splits lines with ``split_comment``; the fast parser composes its token regex
from the same ``pattern``s.
"""

from __future__ import annotations

import re

from .grammar import PATTERNS


def pattern(terminal: str) -> str:
    """The regular expression of ``terminal`` (a key of ``grammar.PATTERNS``) with its groups made
    non-capturing, so that it composes into a larger regex (the patterns hold no ``(`` in a
    character class)."""
    return re.sub(r"(\\.)|\((?!\?)", lambda m: m[1] or "(?:", PATTERNS[terminal])


#: A string; a string left open, which runs to the end of its line (lark rejects it; nothing after
#: its quote is code); or a comment.
_STRING_OR_COMMENT = re.compile(f'{pattern("STRING")}|"[^\\n]*|{pattern("COMMENT")}')


def split_comment(line: str) -> tuple[str, str]:
    """``line`` (one line, no ``\\n``) as (its code, its comment). The comment starts at the first
    ``#`` outside a string ("" when there is none). In the code, every character of a string is
    replaced by ``"``: columns stay, and no bracket or ``#`` inside a string reads as code."""
    if '"' not in line:
        i = line.find("#")
        return (line, "") if i < 0 else (line[:i], line[i:])
    code: list[str] = []
    at = 0
    for m in _STRING_OR_COMMENT.finditer(line):
        start, end = m.span()
        code.append(line[at:start])
        if line[start] == "#":
            return "".join(code), line[start:]
        code.append('"' * (end - start))
        at = end
    code.append(line[at:])
    return "".join(code), ""
