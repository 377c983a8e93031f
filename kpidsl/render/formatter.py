"""The canonical formatter behind ``kpi fmt`` (the style is described in ``docs/style.md``).

``format_source`` parses the text with the normal parser (so a broken file is never formatted),
finds every comment with ``kpidsl.parsing.scanning`` (the grammar's STRING and COMMENT terminals),
attaches each comment to a syntax item by position, and prints the tree again in one style:

- declarations, entries and ``expect`` lines are printed from the syntax tree, every literal with
  its spelling as written (``833万``, ``1_150``, ``75%``, ``1e6``, strings with their escapes, dates);
- formulas are printed with the fewest parentheses that give back the same tree (parentheses
  that change nothing are dropped), one space around binary operators, none after unary ``-``;
- comments stay where they were: a comment alone on its line stays on its own line before the item
  it preceded, at that item's indentation; a comment after code stays at the end of that line.
- ``kpi check`` reports the same after formatting: a ``# noqa`` comment silences findings that start
  on its line, so each printed line that holds code of a source line with a ``# noqa`` ends with that
  comment (repeated when the source line is split), and an item whose source lines differ in their
  ``# noqa`` (a formula written over several lines, with a ``# noqa`` on some of them) is printed as
  it was written, line for line, since one line cannot say what several said.

Printing is iterative for formulas (thousands of operators deep) and for blocks, so big and
deeply nested files format in time linear in their size.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Iterable

from ..parsing import grammar, parser, syntax
from ..parsing.scanning import split_comment
from ..parsing.sources import text_lines, without_bom
from ..errors import FindingSink, KpiError
from ..gcpause import paused_gc
from .text import width

#: Indentation per nesting level.
INDENT = "  "
#: A block written on one line stays on one line if its one-line form is at most this many columns
#: wide on screen (``render.text.width``: a wide East Asian character takes two).
MAX_WIDTH = 100
#: Separator between entries of a one-line block.
ONE_LINE_SEP = "  "
#: Consecutive one-line top-level declarations written without a blank line between them stay
#: together (a group of ``input`` lines); every other pair of top-level declarations gets one
#: blank line.
GROUP_ONE_LINE_DECLS = True

_BLANK = re.compile(r"[ \t\r\f\ufeff]*")
# What may stand before a comment that is "alone on its line": whitespace and dropped `;`s.
_ALONE = re.compile(r"[ \t\r\f\ufeff;]*")

# Precedence: the grammar's levels, loosest first from 1 (0: any formula, as inside brackets); atoms
# (numbers, names, calls, booleans) are tightest.
_ATOM = grammar.LEVELS["atom"]


def line_end(text: str) -> str:
    """The line end ``kpi fmt`` writes a file with (``docs/style.md``): a lone CR when more than half
    of the line ends of ``text`` are lone CRs; otherwise CRLF when it has more CRLF than lone LF line
    ends; otherwise LF."""
    lf, crlf = text.count("\n"), text.count("\r\n")
    if text.count("\r") - crlf > lf:
        return "\r"
    return "\r\n" if crlf > lf - crlf else "\n"


def format_source(text: str, path: str = "<text>") -> str:
    """Return ``text`` in the canonical style of ``docs/style.md``.

    The text is taken with any leading byte-order mark removed and ``\\r\\n`` read as ``\\n``; the
    result has neither: a caller that writes files (``kpi fmt``) restores the BOM, and CRLF line ends
    when ``line_end`` gives them. Its line ends are ``\\n``, or a lone ``\\r`` when ``line_end`` gives
    that (most line ends of the text are a lone CR, which the parser reads as a space). The result
    ends with exactly one line end (an empty or blank file gives ``""``).

    Raises ``KpiError`` with the parser's findings (E001/E002) when the text does not parse cleanly:
    a broken file is never formatted.
    """
    text = without_bom(text).replace("\r\n", "\n")
    sink = FindingSink(path)
    tree = parser.parse_text(text, sink)
    if tree is None or sink.items:
        raise KpiError(sink.items)
    with paused_gc():  # the tree is acyclic; collections while printing a big file only cost time
        out = _Printer(text, tree).run()
    return out.replace("\n", "\r") if line_end(text) == "\r" else out


# ---------------------------------------------------------------------------------------------
# Formulas


def format_expr(node) -> str:
    """A formula (or entry value) as one line of text, with minimal parentheses."""
    out: list[str] = []
    stack: list = [(node, 0)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        n, ctx = item
        prec, parts = _expr_parts(n)
        if prec < ctx:
            stack.append(")")
            stack.extend(reversed(parts))
            stack.append("(")
        else:
            stack.extend(reversed(parts))
    return "".join(out)


def _expr_parts(n) -> tuple[int, list]:
    """(precedence of ``n``, its parts in order: strings and (child, least precedence) pairs)."""
    t = type(n)
    if t is syntax.Number:
        return _ATOM, [n.raw]
    if t is syntax.Ref:
        return _ATOM, [n.text]
    if t is syntax.Binary or t is syntax.Compare:
        return _operator("binary" if t is syntax.Binary else "compare", n.op, f" {n.op} ", n.left, n.right)
    if t is syntax.Call:
        parts: list = [n.func.text, "("]
        for i, a in enumerate(n.args.items):
            if i:
                parts.append(", ")
            parts.append((a, 0))
        parts.append(")")
        return _ATOM, parts
    if t is syntax.Neg:
        return _operator("neg", "-", "-", n.operand)
    if t is syntax.AndOp:
        return _operator("and_op", "and", " and ", n.left, n.right)
    if t is syntax.OrOp:
        return _operator("or_op", "or", " or ", n.left, n.right)
    if t is syntax.NotOp:
        return _operator("not_op", "not", "not ", n.operand)
    if t is syntax.Attribute:
        level, left, _ = grammar.OPERATORS["attribute", "."]
        return level, [(n.target, left), ".", n.name.text]
    if t is syntax.Boolean:
        return _ATOM, ["true" if n.value else "false"]
    if t is syntax.Threshold:
        return 0, [n.op, " ", (n.value, 0)]
    if t is syntax.Band:
        return 0, [(n.low, 0), " .. ", (n.high, 0)]
    if t in (syntax.String, syntax.Date):
        return _ATOM, [n.raw]
    raise TypeError(f"cannot format {t.__name__}")  # pragma: no cover - every syntax class is above


def _operator(node: str, op: str, text: str, *operands) -> tuple[int, list]:
    """The level and parts of the operator ``op`` of the grammar's ``node``: ``text`` between its two
    operands, or before its one; each operand with the loosest level that stands there unbracketed."""
    level, left, right = grammar.OPERATORS[node, op]
    if left is None:
        return level, [text, (operands[0], right)]
    return level, [(operands[0], left), text, (operands[1], right)]


# ---------------------------------------------------------------------------------------------
# Comments


class _Comment:
    __slots__ = ("line", "column", "text", "own_line")

    def __init__(self, line: int, column: int, text: str, own_line: bool):
        self.line, self.column, self.text, self.own_line = line, column, text, own_line

    @property
    def pos(self) -> tuple[int, int]:
        return (self.line, self.column)


def find_comments(text: str) -> list[_Comment]:
    """Every comment of ``text`` (BOM removed, ``\\n`` line ends), in order, with its place."""
    found = []
    for line, source_line in enumerate(text.split("\n"), 1):
        if "#" in source_line:
            code, comment = split_comment(source_line)
            if comment:
                found.append(_Comment(line, len(code) + 1, comment.rstrip(), _ALONE.fullmatch(code) is not None))
    return found


def _header_lines(decl) -> list[int]:
    """The lines of a declaration's header where findings start: its keyword, name and ``extends``."""
    return [n.span.line for n in (decl, getattr(decl, "name", None), getattr(decl, "extends", None)) if n]


#: ``_Printer._noqa_line``'s answer when the lines differ in their ``# noqa``.
_MIXED = -1
#: What the grammar ignores around code at the ends of a line.
_SPACE = " \t\r\f\ufeff"


def _noqa_comments(comments: list[_Comment]) -> dict[int, tuple[frozenset, _Comment]]:
    """Per source line with a ``# noqa`` comment: the codes it silences (empty: all) and the comment."""
    if not any("noqa" in c.text.lower() for c in comments):
        return {}
    from ..checking.lint import noqa_codes  # read as `kpi check` reads it

    found = {}
    for c in comments:
        if not c.own_line and (codes := noqa_codes(c.text)) is not None:
            found[c.line] = (frozenset(codes), c)
    return found


class _Attached:
    """The comments that belong to one item (a declaration, entry or expect)."""

    __slots__ = ("leading", "inner", "trailing")

    def __init__(self):
        self.leading: list[_Comment] = []  # own-line comments before the item
        self.inner: list[_Comment] = []  # comments inside a multi-line item or declaration header
        self.trailing: list[_Comment] = []  # comments at the end of the item's (last) line


class _Container:
    """The comments of a file or a block that belong to no single item."""

    __slots__ = ("opening", "dangling")

    def __init__(self):
        self.opening: list[_Comment] = []  # after the block's ``{`` on its line
        self.dangling: list[_Comment] = []  # after the last item, before ``}`` / the end of file


class _Holders(dict):
    """``id(node)`` -> its ``_Attached`` or ``_Container``, made when the first comment is given to
    it (``own``): most nodes have no comment, and a holder for each would take more memory than the
    syntax tree. Reading a node that has none gives one shared empty holder, never written to."""

    def __init__(self, make):
        super().__init__()
        self.make, self.empty = make, make()

    def __missing__(self, key: int):
        return self.empty

    def own(self, key: int):
        """The holder of ``key``, made now if it has none."""
        got = self.get(key)
        if got is None:
            got = self[key] = self.make()
        return got


#: Lines printed before they are joined (``_Printer._compact``).
_COMPACT_LINES = 4096


def _start(node) -> tuple[int, int]:
    return (node.span.line, node.span.column)


def _end(node) -> tuple[int, int]:
    return (node.span.end_line, node.span.end_column)


# ---------------------------------------------------------------------------------------------
# Printing


class _Printer:
    def __init__(self, text: str, tree: syntax.File):
        self.tree = tree
        lines = text_lines(text)
        self.blank_before = [0] * (len(lines) + 2)  # blank lines among lines 1..i
        for i, ln in enumerate(lines, start=1):
            self.blank_before[i] = self.blank_before[i - 1] + (_BLANK.fullmatch(ln) is not None)
        self.blank_before[len(lines) + 1] = self.blank_before[len(lines)]
        self.comments = find_comments(text)
        self.positions = [c.pos for c in self.comments]
        self.lines = lines
        self.noqa = _noqa_comments(self.comments)
        self.items: _Holders = _Holders(_Attached)
        self.containers: _Holders = _Holders(_Container)
        self.out: list[str] = []  # the lines printed since the last ``_compact`` (at least the last one)
        self.done: list[str] = []  # the lines printed before it, joined a few thousand at a time

    # -- comment attachment ---------------------------------------------------------------------

    def _in_range(self, lo: tuple[int, int], hi: tuple[int, int]) -> list[_Comment]:
        i = bisect_left(self.positions, lo)
        j = bisect_left(self.positions, hi)
        return self.comments[i:j]

    def _attach(self, container_key, items, comments: list[_Comment], has_open: bool) -> None:
        """Share ``comments`` (all within one file or block) among ``items`` and the container."""
        if not comments:
            return
        cont = self.containers.own(container_key)
        own = self.items.own
        starts = [_start(it) for it in items]
        for c in comments:
            k = bisect_left(starts, c.pos)  # items[k] is the first item starting after the comment
            prev = items[k - 1] if k else None
            if prev is not None and c.pos < _end(prev):
                body = getattr(prev, "body", None)
                if body is not None and c.pos > _start(body):
                    continue  # inside a nested block: attached when that block is visited
                own(id(prev)).inner.append(c)
            elif not c.own_line:
                # after code on its line: it trails that line, unless an own-line comment came
                # between (after a `)` on a later line): then it follows that comment
                later = self.items[id(items[k])].leading if k < len(items) else cont.dangling
                if later:
                    later.append(c)
                elif prev is not None:
                    own(id(prev)).trailing.append(c)
                elif has_open:
                    cont.opening.append(c)
                elif k < len(items):
                    own(id(items[k])).leading.append(c)
                else:
                    cont.dangling.append(c)
            elif k < len(items):
                own(id(items[k])).leading.append(c)
            else:
                cont.dangling.append(c)

    # -- helpers ----------------------------------------------------------------------------------

    def _blank_between(self, a: int, b: int) -> bool:
        """Whether the source has a blank line strictly between lines ``a`` and ``b``."""
        if b - a < 2:
            return False
        return self.blank_before[b - 1] - self.blank_before[a] > 0

    def _emit(self, indent: str, text: str, trailing: Iterable[_Comment] = (),
              noqa: int | None = None) -> None:
        """Print ``text`` with the first of ``trailing`` after it (the rest on lines of their own); a
        line without one that holds code of the source line ``noqa`` ends with that line's ``# noqa``."""
        trailing = list(trailing)
        if trailing:
            text = f"{text}  {trailing[0].text}"
        elif noqa is not None:
            text = f"{text}  {self.noqa[noqa][1].text}"
        self.out.append(indent + text)
        for c in trailing[1:]:
            self.out.append(indent + c.text)

    def _blank(self) -> None:
        if self.out and self.out[-1] != "":
            self.out.append("")

    # -- `# noqa` ---------------------------------------------------------------------------------

    def _noqa_line(self, lines: Iterable[int]) -> int | None:
        """For the code of the source ``lines`` printed as one line: the line whose ``# noqa`` it
        must end with; None if none of them has one; ``_MIXED`` when they differ."""
        if not self.noqa:
            return None
        keys: dict = {}
        for n in lines:
            keys[self.noqa[n][0] if n in self.noqa else None] = n  # the last: its comment is the nearest
        if len(keys) > 1:
            return _MIXED
        key, n = next(iter(keys.items()))
        return None if key is None else n

    def _code_lines(self, first: int, last: int) -> Iterable[int]:
        """Lines ``first``..``last`` less those in between that hold no code (no finding starts there)."""
        for n in range(first, last + 1):
            if n in (first, last) or not _ALONE.fullmatch(split_comment(self.lines[n - 1])[0]):
                yield n

    def _closed(self, end: tuple[int, int]) -> tuple[int, int]:
        """``end`` (of a formula) moved past the ``)`` that follow it: a formula's span ends with its
        last operand, before the brackets that close around it."""
        line, column = end
        while line <= len(self.lines):
            code = split_comment(self.lines[line - 1])[0]
            rest = code[column - 1:].lstrip(_SPACE)
            if not rest:
                line, column = line + 1, 1
            elif rest[0] == ")":
                column = len(code) - len(rest) + 2
                end = (line, column)
            else:
                break
        return end

    def _decl_noqa(self, decl, one_line: bool) -> tuple[int | None, list[_Comment]]:
        """For ``decl``'s header printed alone on its line, or (``one_line``) the whole declaration
        on one: ``_noqa_line`` of the lines where its findings start (its keyword, name, ``extends``,
        and on one line its entries) and of the comment that ends the line; and that comment: the
        one after its ``{`` (after its ``}`` on one line), else the line's own ``# noqa`` when it is
        the last of the header's comments (kept on the line rather than moved above it). ``_MIXED``
        also when that ``# noqa`` is moved above the line with other comments after it."""
        body, att = decl.body, self.items[id(decl)]
        ending = att.trailing[:1] if one_line else self.containers[id(body)].opening[:1]
        lines = [*_header_lines(decl), *(c.line for c in ending)]
        noqa = self._noqa_line(lines + [body.span.line] if one_line and body.items else lines)
        if not ending and noqa is not None and noqa is not _MIXED:
            own = self.noqa[noqa][1]
            if att.inner and att.inner[-1] is own:
                ending = [own]
            elif any(c is own for c in att.inner):
                noqa = _MIXED
        return noqa, ending

    def _formula_trailing(self, container, items, index: int, end: tuple[int, int]) -> list[_Comment]:
        """The comments after ``items[index]``, a formula printed as written that ends at ``end``,
        to the end of its last line: taken from where they were attached (those before the brackets
        that close the formula are printed inside it); the ones after it are returned."""
        item = items[index]
        ours = {id(c) for c in self._in_range(_end(item), (end[0] + 1, 0))}
        after = (self.items[id(items[index + 1])].leading if index + 1 < len(items)
                 else self.containers[id(container)].dangling)
        taken = [c for c in after if id(c) in ours]
        after[:] = [c for c in after if id(c) not in ours]
        return sorted((c for c in self.items[id(item)].trailing + taken if c.pos >= end), key=lambda c: c.pos)

    def _as_written(self, indent: str, start: tuple[int, int], end: tuple[int, int], trailing,
                    code_at_end: bool = True) -> None:
        """Print the source text from ``start`` to ``end`` (line, column) as it was written, its lines
        after the first indented two levels deeper, blank ones dropped, comments inside kept; the last
        line ends with ``trailing``, or with its source line's ``# noqa`` when ``code_at_end`` (a
        finding may start there)."""
        (line, column), (end_line, end_column) = start, end
        rest = [self.lines[n - 1].strip(_SPACE) for n in range(line + 1, end_line)]
        rest.append(self.lines[end_line - 1][: end_column - 1].strip(_SPACE))
        self.out.append(indent + self.lines[line - 1][column - 1:].rstrip(_SPACE))
        rest = [r for r in rest if r]
        for r in rest[:-1]:
            self.out.append(indent + 2 * INDENT + r)
        self._emit(indent + 2 * INDENT, rest[-1], trailing,
                   self._noqa_line([end_line]) if code_at_end else None)

    # -- declarations -----------------------------------------------------------------------------

    @staticmethod
    def _header(decl) -> str:
        if type(decl) is syntax.PeriodBlock:
            return f"{decl.keyword.text} {decl.period.raw}"
        if isinstance(decl, syntax.ModelDecl):
            parts = ["model"]
        elif isinstance(decl, syntax.ScenarioDecl):
            parts = ["scenario", decl.name.text]
        else:
            parts = [decl.kind, decl.name.text]
        if decl.label is not None:
            parts.append(decl.label.raw)
        if isinstance(decl, syntax.ScenarioDecl) and decl.extends is not None:
            parts += ["extends", decl.extends.text]
        return " ".join(parts)

    @staticmethod
    def _item_text(item) -> str:
        if isinstance(item, syntax.Entry):
            return f"{item.key}: {format_expr(item.value)}"
        return f"{item.keyword.text} {format_expr(item.condition)}"  # Expect

    def _one_line(self, decl, indent: str) -> str | None:
        """The declaration on one line, when the style keeps it there (see docs/style.md)."""
        block = decl.body
        cont = self.containers[id(block)]
        if cont.opening or cont.dangling:
            return None
        if self._decl_noqa(decl, True)[0] is _MIXED:
            return None
        header = self._header(decl)
        if not block.items:
            return f"{header} {{}}"
        if block.span.line != block.span.end_line:
            return None
        for it in block.items:
            att = self.items[id(it)]
            if not isinstance(it, syntax.Entry) or att.leading or att.inner or att.trailing:
                return None
        line = f"{header} {{ {ONE_LINE_SEP.join(self._item_text(it) for it in block.items)} }}"
        return line if len(indent) + width(line) <= MAX_WIDTH else None

    def run(self) -> str:
        tree = self.tree
        self._attach(id(tree), tree.decls, self.comments, has_open=False)
        last_line: dict[int, int] = {id(tree): 0}  # per container: the last source line printed
        prev_one_line = False  # whether the previous top-level declaration was printed on one line
        # Work list, processed last-in first-out: ("items", container, items, index, depth) prints
        # the item at ``index`` and queues the rest; ("close", decl, depth) closes a block.
        work: list = [("items", tree, tree.decls, 0, 0)]
        while work:
            if len(self.out) > _COMPACT_LINES:
                self._compact()
            task = work.pop()
            if task[0] == "close":
                _, decl, depth = task
                self._dangling(decl.body, last_line[id(decl.body)], INDENT * (depth + 1),
                               blank_first=bool(decl.body.items))
                self._emit(INDENT * depth, "}", self.items[id(decl)].trailing)
                continue
            _, container, items, index, depth = task
            top = container is tree
            if index >= len(items):
                if top:
                    self._dangling(tree, last_line[id(tree)], "")
                continue
            work.append(("items", container, items, index + 1, depth))
            item = items[index]
            att = self.items[id(item)]
            indent = INDENT * depth
            block = getattr(item, "body", None)
            one = None
            if block is not None:
                self._attach(id(block), block.items, self._in_range(_start(block), _end(block)), True)
                one = self._one_line(item, indent)
            # blank lines before the item and its comments
            prev_line = last_line[id(container)]
            first_line = att.leading[0].line if att.leading else item.span.line
            if index:
                if top:
                    grouped = (GROUP_ONE_LINE_DECLS and prev_one_line and one is not None
                               and not att.leading and not att.inner
                               and not self._blank_between(prev_line, first_line))
                    if not grouped:
                        self._blank()
                elif self._blank_between(prev_line, first_line):
                    self._blank()
            for i, c in enumerate(att.leading):
                self._emit(indent, c.text)
                nxt = att.leading[i + 1].line if i + 1 < len(att.leading) else item.span.line
                if self._blank_between(c.line, nxt):
                    self._blank()
            # the source lines printed on one line: the item's, or its header's (to its `{`)
            if block is None:
                end = self._closed(_end(item)) if self.noqa else _end(item)
                noqa = self._noqa_line(self._code_lines(item.span.line, end[0]))
            else:  # its header, or the whole declaration on one line
                noqa, ending = self._decl_noqa(item, one is not None)
            if noqa is not _MIXED:
                for c in att.inner:
                    if block is None or c not in ending:
                        self._emit(indent, c.text)
            last_line[id(container)] = max([item.span.end_line] + [c.line for c in att.trailing])
            if block is None:
                if noqa is _MIXED:
                    trailing = self._formula_trailing(container, items, index, end)
                    self._as_written(indent, _start(item), end, trailing)
                else:
                    self._emit(indent, self._item_text(item), att.trailing, noqa)
            elif one is not None:
                self._emit(indent, one, att.trailing or ending, noqa)
            else:
                opening = self.containers[id(block)].opening
                if noqa is _MIXED:
                    brace = (block.span.line, block.span.column + 1)
                    self._as_written(indent, _start(item), brace, opening[:1], brace[0] in _header_lines(item))
                else:
                    self._emit(indent, self._header(item) + " {", ending, noqa)
                for c in opening[1:]:  # after `{ ;` on later lines: own lines at the top of the block
                    self._emit(indent + INDENT, c.text)
                last_line[id(block)] = block.span.line
                work.append(("close", item, depth))
                work.append(("items", block, block.items, 0, depth + 1))
            if top:
                prev_one_line = one is not None
        if not self.out:
            return ""
        self.out.append("")  # the last line end, without a second copy of the text to add it
        return "\n".join([*self.done, *self.out])

    def _compact(self) -> None:
        """Join the lines printed so far, but the last, into one string: a list of a file's short
        lines takes several times the memory of their text."""
        self.done.append("\n".join(self.out[:-1]))
        del self.out[:-1]

    def _dangling(self, container, last_line: int, indent: str, blank_first: bool = True) -> None:
        """Comments after the last item of a block (before its ``}``) or of the file."""
        for i, c in enumerate(self.containers[id(container)].dangling):
            if (i or blank_first) and self.out and self._blank_between(last_line, c.line):
                self._blank()
            self._emit(indent, c.text)
            last_line = c.line
