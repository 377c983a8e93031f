"""``grammar/kpi.lark``: where it is, its text, and the module of its facts generated from it.

``python -m kpidsl.parsing.grammar_gen`` reads the grammar with lark and writes
``kpidsl/parsing/grammar.py``, which holds what the rest of the code needs to know about the
language without importing lark (reserved words, kinds, operators and their levels, terminal
spellings, patterns and the names lark gives them). Run it after every change to the grammar;
``tests/test_grammar_facts.py`` fails while the committed module differs from what it writes.
Lark is imported only to generate.
"""

from __future__ import annotations

import os
import re

COMMAND = "python -m kpidsl.parsing.grammar_gen"


def grammar_path() -> str:
    """Where ``grammar/kpi.lark`` is: inside the installed package, or beside the source tree."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the kpidsl package
    installed = os.path.join(here, "grammar", "kpi.lark")
    return installed if os.path.exists(installed) else os.path.join(os.path.dirname(here), "grammar", "kpi.lark")


def grammar_text() -> str:
    """The text of ``grammar/kpi.lark``."""
    with open(grammar_path(), encoding="utf-8") as fh:
        return fh.read()


def output_path() -> str:
    """Where the generated module goes: ``grammar.py`` beside this module."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "grammar.py")


def _spellings(pattern) -> tuple[str, ...] | None:
    """The fixed spellings a terminal matches: its string, or the strings of an alternation of
    strings (lark writes ``"a" | "b"`` as ``(?:a|b)``, each escaped by ``re.escape``); None for a
    regular expression."""
    if pattern.type == "str":
        return (pattern.value,)
    value = pattern.value
    if not (value.startswith("(?:") and value.endswith(")")):
        return None
    words = tuple(re.sub(r"\\(.)", r"\1", alt) for alt in value[3:-1].split("|"))
    return words if "(?:" + "|".join(map(re.escape, words)) + ")" == value else None


def facts(text: str) -> dict:
    """The facts of the grammar ``text``, by the name each has in the generated module."""
    import lark

    parser = lark.Lark(text, parser="lalr", lexer="contextual", start="file", maybe_placeholders=True)
    terminals = {t.name: _spellings(t.pattern) for t in parser.terminals}
    fixed = {name: words for name, words in terminals.items() if words is not None}
    patterns = {t.name: t.pattern.value for t in parser.terminals if terminals[t.name] is None}
    rules: dict[str, list] = {}
    for r in parser.rules:
        rules.setdefault(r.origin.name, []).append(r)

    def first(symbol: str, seen: frozenset = frozenset()) -> list[str]:
        """The terminals that can start ``symbol``, in the grammar's order."""
        if symbol not in rules:
            return [symbol]
        out: list[str] = []
        for r in rules[symbol]:
            if r.expansion and r.expansion[0].name not in seen:
                out += [t for t in first(r.expansion[0].name, seen | {symbol}) if t not in out]
        return out

    name = re.compile(patterns["NAME"])
    reserved = {w for words in fixed.values() for w in words if name.fullmatch(w)}
    declarations = tuple(w for t in first("_decl") for w in fixed[t])
    kinds = tuple(w for r in rules["_kind"] for w in fixed[r.expansion[0].name])

    def below(rule: str) -> str | None:
        """The next level of a ``?`` rule: its alternative that is one ``?`` rule alone."""
        nxt = [r.expansion[0].name for r in rules[rule] if len(r.expansion) == 1 and r.expansion[0].name in rules]
        return nxt[0] if len(nxt) == 1 and rules[nxt[0]][0].options.expand1 else None

    chain = ["expr"]
    while (nxt := below(chain[-1])) is not None:
        chain.append(nxt)
    levels = {rule: k for k, rule in enumerate((r for r in chain if len(rules[r]) > 1), 1)}

    def level(symbol: str) -> int:
        """The level of an operand: its rule's, or that of the rule a one-alternative rule stands
        for; a terminal (the NAME after `.`) is an atom."""
        if symbol not in rules or symbol not in chain:  # a terminal, or a rule such as `string`
            return levels["atom"]
        return levels.get(symbol) or level(chain[chain.index(symbol) + 1])

    operators = {}
    for rule in levels:
        for r in rules[rule]:
            syms = [s.name for s in r.expansion]
            ops = [k for k, s in enumerate(syms) if s in fixed]
            if r.alias and len(syms) > 1 and len(ops) == 1 and ops[0] < len(syms) - 1:
                k = ops[0]
                for word in fixed[syms[k]]:
                    operators.setdefault((r.alias, word),  # an operator's first alternative says its levels
                                         (levels[rule], level(syms[k - 1]) if k else None, level(syms[k + 1])))
    return dict(TERMINALS=fixed, PATTERNS=patterns, IGNORED=tuple(parser.ignore_tokens),
                RESERVED=frozenset(reserved), DECLARATIONS=declarations, KINDS=kinds,
                EXPRESSION_STARTS=tuple(first("expr")), LEVELS=levels, OPERATORS=operators)


_DOCS = {
    "TERMINALS": """Each terminal with fixed spellings, by the name lark gives it (lark names the anonymous ones
itself: ``(`` is ``LPAR``, ``..`` is ``__ANON_0``), in lark's order. An alternation of strings
(``"+" | "-"``) has each of its strings.""",
    "PATTERNS": """Each terminal defined by a regular expression, as lark compiles it (``__IGNORE_0`` is the
anonymous whitespace of ``%ignore``).""",
    "IGNORED": "The terminals skipped between tokens (``%ignore``).",
    "RESERVED": """The words the grammar spells as terminals (a fixed spelling that NAME's pattern matches too):
keywords, never names (E001 where one stands as a name).""",
    "DECLARATIONS": "The keyword each declaration starts with (the first terminals of ``_decl``), in order.",
    "KINDS": "The kinds of indicator declaration (the terminals of ``_kind``), in order.",
    "EXPRESSION_STARTS": "The terminals a formula can start with (the first terminals of ``expr``).",
    "LEVELS": """Formula levels, loosest first, numbered from 1: the ``?`` rules below ``expr``, each reached
through its parent's alternative that is that rule alone. 0 is left for any formula (``expr``).""",
    "OPERATORS": """Each operator of a formula: (the node its alternative builds, the operator) -> (its level, the
level of its left operand or None when the operator comes first, the level of its right operand).
An operand's level is the loosest that stands there without parentheses; a NAME (after ``.``) is
an atom.""",
}

_HEADER = f'''# Generated from grammar/kpi.lark by `{COMMAND}`: do not edit.
"""The facts of ``grammar/kpi.lark`` that the code needs without importing lark.

Rerun the command above after changing the grammar (``tests/test_grammar_facts.py`` fails until
then). The grammar does not state, so this module does not hold: the keys of an entry (``entry:
NAME ":" _entry_value``, any name; ``kpidsl.compiler.passes.ALLOWED`` lists the known ones) and
the word ``expect`` (``expect: NAME expr``; ``kpidsl.parsing.syntax.Expect`` requires it).
"""
'''


def _literal(value, indent: str = "") -> str:
    """``value`` as Python source: strings in double quotes where they can be, a dict or a long set
    one item a line."""
    if isinstance(value, dict):
        items = "".join(f"{indent}    {_literal(k)}: {_literal(v)},\n" for k, v in value.items())
        return "{\n" + items + indent + "}"
    if isinstance(value, frozenset):
        return "frozenset((\n" + "".join(f"    {_literal(v)},\n" for v in sorted(value)) + "))"
    if isinstance(value, tuple):
        return "(" + ", ".join(map(_literal, value)) + ("," if len(value) == 1 else "") + ")"
    text = repr(value)
    return f'"{text[1:-1]}"' if isinstance(value, str) and text[0] == "'" and '"' not in value else text


def source(text: str | None = None) -> str:
    """The generated module's text for the grammar ``text`` (the grammar file's when None)."""
    out = [_HEADER]
    for name, value in facts(grammar_text() if text is None else text).items():
        out.append("\n" + "".join(f"#: {line}\n" for line in _DOCS[name].split("\n")))
        out.append(f"{name} = {_literal(value)}\n")
    return "".join(out)


def main() -> None:
    """Write the generated module."""
    with open(output_path(), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(source())
    print(f"wrote {output_path()}")


if __name__ == "__main__":
    main()
