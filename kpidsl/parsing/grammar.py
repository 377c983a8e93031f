# Generated from grammar/kpi.lark by `python -m kpidsl.parsing.grammar_gen`: do not edit.
"""The facts of ``grammar/kpi.lark`` that the code needs without importing lark.

Rerun the command above after changing the grammar (``tests/test_grammar_facts.py`` fails until
then). The grammar does not state, so this module does not hold: the keys of an entry (``entry:
NAME ":" _entry_value``, any name; ``kpidsl.compiler.passes.ALLOWED`` lists the known ones) and
the word ``expect`` (``expect: NAME expr``; ``kpidsl.parsing.syntax.Expect`` requires it).
"""

#: Each terminal with fixed spellings, by the name lark gives it (lark names the anonymous ones
#: itself: ``(`` is ``LPAR``, ``..`` is ``__ANON_0``), in lark's order. An alternation of strings
#: (``"+" | "-"``) has each of its strings.
TERMINALS = {
    "MODEL": ("model",),
    "SCENARIO": ("scenario",),
    "KGI": ("kgi",),
    "KPI": ("kpi",),
    "VETO": ("veto",),
    "METRIC": ("metric",),
    "INPUT": ("input",),
    "GRADE": ("grade",),
    "ADJUSTMENT": ("adjustment",),
    "TRUE": ("true",),
    "FALSE": ("false",),
    "THRESHOLD_OP": (">=", "<=", "=="),
    "CMP_OP": (">=", "<=", "==", "!=", "<", ">"),
    "ADD_OP": ("+", "-"),
    "MUL_OP": ("*", "/"),
    "POW_OP": ("^",),
    "LBRACE": ("{",),
    "RBRACE": ("}",),
    "EXTENDS": ("extends",),
    "SEMICOLON": (";",),
    "COLON": (":",),
    "__ANON_0": ("..",),
    "OR": ("or",),
    "AND": ("and",),
    "NOT": ("not",),
    "MINUS": ("-",),
    "DOT": (".",),
    "LPAR": ("(",),
    "RPAR": (")",),
    "COMMA": (",",),
}

#: Each terminal defined by a regular expression, as lark compiles it (``__IGNORE_0`` is the
#: anonymous whitespace of ``%ignore``).
PATTERNS = {
    "NAME": "[^\\W\\d]\\w*",
    "NUMBER": "\\d[\\d_]*(\\.\\d[\\d_]*)?([eE][+-]?\\d[\\d_]*)?\\w*%?",
    "DATE": "\\d{4}-\\d\\d-\\d\\d(?![\\w.])",
    "STRING": '"([^"\\\\\r\n]++|\\\\[^\r\n])*+"',
    "COMMENT": "#[^\n]*",
    "__IGNORE_0": "[ \t\r\n\x0c\ufeff]+",
}

#: The terminals skipped between tokens (``%ignore``).
IGNORED = ("__IGNORE_0", "COMMENT")

#: The words the grammar spells as terminals (a fixed spelling that NAME's pattern matches too):
#: keywords, never names (E001 where one stands as a name).
RESERVED = frozenset((
    "adjustment",
    "and",
    "extends",
    "false",
    "grade",
    "input",
    "kgi",
    "kpi",
    "metric",
    "model",
    "not",
    "or",
    "scenario",
    "true",
    "veto",
))

#: The keyword each declaration starts with (the first terminals of ``_decl``), in order.
DECLARATIONS = ("model", "kgi", "kpi", "veto", "metric", "input", "grade", "adjustment", "scenario")

#: The kinds of indicator declaration (the terminals of ``_kind``), in order.
KINDS = ("kgi", "kpi", "veto", "metric", "input", "grade", "adjustment")

#: The terminals a formula can start with (the first terminals of ``expr``).
EXPRESSION_STARTS = ("NUMBER", "TRUE", "FALSE", "NAME", "LPAR", "MINUS", "NOT")

#: Formula levels, loosest first, numbered from 1: the ``?`` rules below ``expr``, each reached
#: through its parent's alternative that is that rule alone. 0 is left for any formula (``expr``).
LEVELS = {
    "or_expr": 1,
    "and_expr": 2,
    "not_expr": 3,
    "cmp_expr": 4,
    "sum": 5,
    "product": 6,
    "unary": 7,
    "power": 8,
    "postfix": 9,
    "atom": 10,
}

#: Each operator of a formula: (the node its alternative builds, the operator) -> (its level, the
#: level of its left operand or None when the operator comes first, the level of its right operand).
#: An operand's level is the loosest that stands there without parentheses; a NAME (after ``.``) is
#: an atom.
OPERATORS = {
    ("or_op", "or"): (1, 1, 2),
    ("and_op", "and"): (2, 2, 3),
    ("not_op", "not"): (3, None, 3),
    ("compare", ">="): (4, 5, 5),
    ("compare", "<="): (4, 5, 5),
    ("compare", "=="): (4, 5, 5),
    ("compare", "!="): (4, 5, 5),
    ("compare", "<"): (4, 5, 5),
    ("compare", ">"): (4, 5, 5),
    ("binary", "+"): (5, 5, 6),
    ("binary", "-"): (5, 5, 6),
    ("binary", "*"): (6, 6, 7),
    ("binary", "/"): (6, 6, 7),
    ("neg", "-"): (7, None, 7),
    ("binary", "^"): (8, 9, 7),
    ("attribute", "."): (9, 9, 10),
}
