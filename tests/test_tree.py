"""`kpi tree` renderer: golden text / Mermaid / DOT, escaping of hostile labels, every node once."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

import kpidsl
from conftest import ROOT
from kpidsl.cli.commands import cli
from kpidsl.render.evaluation import to_tree
from kpidsl.render.tree import MAX_INDENT, dot_escape, mermaid_escape, render

ECOMMERCE = ROOT / "examples" / "ecommerce.kpi"
MANUFACTURING = ROOT / "examples" / "manufacturing.kpi"
EXT = {"text": "txt", "mermaid": "mmd", "dot": "dot"}
TREE_KINDS = ("kgi", "kpi", "veto")


@pytest.fixture(scope="module")
def ecommerce():
    return kpidsl.load(ECOMMERCE)


@pytest.fixture(scope="module")
def q3(ecommerce):
    return kpidsl.evaluate(ecommerce, ecommerce.scenario_values("q3"), name="q3", label="Q3 actual")


# ---------------------------------------------------------------------------------------------
# Golden outputs


@pytest.mark.parametrize("fmt", ["text", "mermaid", "dot"])
def test_golden(ecommerce, golden, fmt):
    golden(f"tree_ecommerce.{EXT[fmt]}", render(ecommerce, fmt))


@pytest.mark.parametrize("fmt", ["text", "mermaid", "dot"])
def test_golden_with_evaluation(ecommerce, q3, golden, fmt):
    golden(f"tree_ecommerce_q3.{EXT[fmt]}", render(ecommerce, fmt, q3))


@pytest.mark.parametrize("fmt", ["text", "mermaid", "dot"])
def test_deterministic_and_ends_with_newline(ecommerce, q3, fmt):
    a = render(ecommerce, fmt, q3)
    assert a == render(kpidsl.load(ECOMMERCE), fmt, q3)
    assert a.endswith("\n") and not a.endswith("\n\n")


def test_unknown_format(ecommerce):
    with pytest.raises(ValueError, match="mermaid"):
        render(ecommerce, "svg")


def test_text_shows_weight_target_owner_and_veto(ecommerce):
    lines = render(ecommerce, "text").splitlines()
    assert "├── monthly_sales  月销售额  (40%)  target >= 833万  owner: Sales" in lines
    assert "│   └── cart_abandonment  购物车放弃率  (100%)  target <= 20%  owner: CRM team (inherited)" in lines
    assert "└── compliance  合规  [veto]  target == 0  owner: CEO (inherited)" in lines


def test_text_style_colours_status(ecommerce, q3):
    def style(text, fg=None, bold=False):
        return f"<{fg or ''}{'!' if bold else ''}>{text}</>"

    out = render(ecommerce, "text", q3, style)
    assert "<!>annual_sales</>" in out
    assert "70.3%  <red>red</>" in out
    assert "83.6%  <yellow>amber</>" in out
    assert "<green>pass</>" in out


# ---------------------------------------------------------------------------------------------
# One view: `kpi tree [--scenario]` and `kpi eval --format tree`, with options


def kpi(*args: str) -> str:
    result = CliRunner().invoke(cli, [*args], prog_name="kpi", env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return result.output


def test_golden_manufacturing_reads_what_each_formula_reads(golden):
    out = kpi("tree", "--scenario", "march", str(MANUFACTURING))
    golden("tree_manufacturing_march.txt", out)
    lines = out.splitlines()
    oee = next(i for i, line in enumerate(lines) if line.startswith("├── oee  "))
    assert lines[oee] == ("├── oee  设备综合效率  (40%)  84.43%  target >= 85%  ✗  94.3%  amber  "
                          "owner: Maintenance manager")
    assert lines[oee + 1] == "│       reads: availability = 91%, performance = 94.19%"


@pytest.mark.parametrize("options", [[], ["--no-owners"], ["--no-inputs"], ["--drags", "all", "--drag-parents"]])
def test_kpi_tree_with_a_scenario_is_the_eval_tree_view(options):
    for path, scenario in [(ECOMMERCE, "q3"), (MANUFACTURING, "incident")]:
        tree = kpi("tree", "--scenario", scenario, *options, str(path))
        assert tree == kpi("eval", "--scenario", scenario, "--format", "tree", *options, str(path))


def test_eval_tree_shows_owners_values_met_marks_and_drags():
    out = kpi("eval", "--scenario", "q3", "--format", "tree", str(ECOMMERCE))
    assert "├── monthly_sales  月销售额  (40%)  7,935,000  target >= 833万  ✗  70.3%  red  owner: Sales" in out
    assert "└── compliance  合规  [veto]  0  target == 0  ✓  pass  owner: CEO (inherited)" in out
    assert "│       reads: orders = 1,150 orders, avg_order_value = 6,900 JPY" in out
    assert out.endswith("\n\nq3: largest drags: monthly_sales 11.9 pts, cart_abandonment 4.6 pts (via repeat_rate)\n")
    assert "repeat_rate 4.6" not in out
    with_parents = kpi("eval", "--scenario", "q3", "--format", "tree", "--drag-parents", "--drags", "1", str(ECOMMERCE))
    assert with_parents.endswith("\nq3: largest drags: monthly_sales 11.9 pts, … 2 more\n")


def test_options_leave_out_owners_and_reads():
    full = kpi("tree", str(MANUFACTURING))
    assert "owner: " in full and "reads: " in full
    bare = kpi("tree", "--no-owners", "--no-inputs", str(MANUFACTURING))
    assert "owner: " not in bare and "reads: " not in bare
    assert bare.splitlines() == [line.split("  owner: ")[0] for line in full.splitlines() if "reads: " not in line]
    for fmt in ("mermaid", "dot"):
        shown = kpi("tree", "--format", fmt, str(MANUFACTURING))
        assert "owner: " in shown and "reads: availability, performance" in shown
        hidden = kpi("tree", "--format", fmt, "--no-owners", "--no-inputs", str(MANUFACTURING))
        assert "owner: " not in hidden and "reads: " not in hidden


def test_a_label_equal_to_its_name_is_shown_once():
    model = kpidsl.load_text('kgi 可用率 "可用率" { target: >= 1\n  kpi k "k" { target: >= 1 }\n  kpi j "J" { target: >= 1 } }')
    assert render(model, "text").splitlines() == [
        "可用率  target >= 1",
        "├── k  (50%)  target >= 1",
        "└── j  J  (50%)  target >= 1",
    ]
    assert "可用率<br/>可用率" not in render(model, "mermaid") and "可用率\\n可用率" not in render(model, "dot")


def test_reads_lists_inputs_and_metrics_not_kpis_and_stands_under_the_node():
    model = kpidsl.load_text("""input a {}
input b {}
metric m { value: a * 2 }
kgi g { value: k1 + m + b  target: >= 1
  kpi k1 { value: b / a  target: >= 1
    kpi k11 { value: a  target: >= 1 }
  }
  kpi k2 { value: m  target: >= 1 }
}
scenario s { a: 2  b: 3 }
""")
    ev = kpidsl.evaluate(model, model.scenario_values("s"), name="s")
    assert render(model, "text", ev).splitlines() == [
        "scenario s",
        "",
        "g  8.5  target >= 1  ✓  100.0%  green",
        "│   reads: b = 3, m = 4",
        "├── k1  (50%)  1.5  target >= 1  ✓  100.0%  green",
        "│   │   reads: a = 2, b = 3",
        "│   └── k11  (100%)  2  target >= 1  ✓  100.0%  green",
        "│           reads: a = 2",
        "└── k2  (50%)  4  target >= 1  ✓  100.0%  green",
        "        reads: m = 4",
        "",
        "metric m  4",
        "    reads: a = 2",
    ]


# ---------------------------------------------------------------------------------------------
# Owners, implicit weights, statuses


OWNERS = """model "M" { owner: "Board"  period: yearly }
kgi g { target: >= 1
  kpi a { target: >= 1 }
  kpi b { target: >= 1  owner: "Bea"
    kpi c { target: >= 1 }
  }
  kpi d { target: >= 1 }
}
"""


def test_owner_inheritance_and_equal_weights():
    out = render(kpidsl.load_text(OWNERS), "text")
    assert out.splitlines() == [
        "M",
        "",
        "g  target >= 1  owner: Board (inherited)",
        "├── a  (33.33%)  target >= 1  owner: Board (inherited)",
        "├── b  (33.33%)  target >= 1  owner: Bea",
        "│   └── c  (100%)  target >= 1  owner: Bea (inherited)",
        "└── d  (33.33%)  target >= 1  owner: Board (inherited)",
    ]


def test_no_owner_anywhere_shows_none():
    out = render(kpidsl.load_text("kgi g { target: >= 1 }"), "text")
    assert out == "g  target >= 1\n"


STATUSES = """input x {}
input v {}
kgi g { target: >= 1
  kpi a { value: x  target: >= 1 }
  kpi b { target: >= 1 }
  veto gate { value: v  target: == 0 }
}
kgi h { kpi k { target: >= 5 } }
"""


def test_mermaid_status_classes_are_valid_names():
    model = kpidsl.load_text(STATUSES)
    ev = kpidsl.evaluate(model, {"x": 2, "v": 1, "k": 1}, name="s", allow_missing=True)
    assert {r.status for r in ev.results.values()} >= {"vetoed", "no-data", "green", "fail", "red"}
    out = render(model, "mermaid", ev)
    for line in out.splitlines():
        if line.strip().startswith(("class ", "classDef ")):
            assert re.fullmatch(r"\s*class(Def)? \S+ .+", line)
            cls = line.split()[2] if line.strip().startswith("class ") else line.split()[1]
            assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", cls), line
    assert "classDef nodata " in out and "no-data" not in out.split("classDef", 1)[1].split("\n", 1)[0]
    ids = _mermaid_ids(out)
    assert f"class {ids['b']} nodata" in out
    assert f"class {ids['g']} vetoed" in out
    assert f"class {ids['gate']} fail" in out
    dot = render(model, "dot", ev)
    assert re.search(r'n\d+ \[label="gate[^\n]*style="rounded,dashed,filled", color="#c62828", fillcolor="#ffcdd2"',
                     dot.replace("⛔ veto ", ""))


# ---------------------------------------------------------------------------------------------
# Hostile labels


HOSTILE = r'''model "M \"x\" \\ <b>#" { owner: "O\"wner]\n--> x"  period: yearly }
kgi g "a\"] --> evil[\"pwn" {
  target: >= 1
  owner: "<script>alert(1)</script>"
  kpi 销售 "line1\nline2 # | -.-> || %% c" { weight: 60%  target: >= 1 }
  kpi b "#quot; &amp; `md` {x} [y] \\ \" end; click n0 call alert()" { weight: 40%  target: <= 10 }
  veto v "|veto| \u001b[31m red \u202e rtl" { target: == 0 }
}
metric m "]\"); style n0 fill:#f00 \\\"\\n" { value: 1  target: >= 1 }
'''

MERMAID_LINE = [
    r"flowchart TD",
    r' {4}(?: {4})?n\d+\["(?P<label>[^"]*)"\]',
    r' {4}subgraph metrics\["metrics"\]',
    r" {4}end",
    r" {4}n\d+ (?:-->|-\.->)(?:\|[0-9.]+%\||\|veto\|)? n\d+",
    r" {4}classDef [a-z]+ [a-z-]+:[#0-9a-z ]+(?:,[a-z-]+:[#0-9a-z ]+)*",
    r" {4}class n\d+(?:,n\d+)* [a-z]+",
]


def _mermaid_labels(out: str) -> list[str]:
    """Every node label, checked for shape and escaping, decoded back to text."""
    labels = []
    for line in out.splitlines():
        for pattern in MERMAID_LINE:
            m = re.fullmatch(pattern, line)
            if m:
                break
        else:
            raise AssertionError(f"unexpected Mermaid line: {line!r}")
        raw = m.groupdict().get("label")
        if raw is None:
            continue
        bare = re.sub(r"#(?:\d+|[a-z]+);", "", raw.replace("<br/>", ""))
        bad = set('"<>&#|[]{}`;\\') & set(bare)
        assert not bad, f"raw {bad} in Mermaid label {raw!r}"
        assert not any(ord(c) < 32 or c == "\u202e" for c in raw), raw
        labels.append(_mermaid_decode(raw))
    return labels


def _mermaid_decode(raw: str) -> str:
    text = raw.replace("<br/>", "\n")
    return re.sub(r"#(\d+|[a-z]+);",  # one pass, as Mermaid does: `#35;quot;` is `#quot;`
                  lambda m: chr(int(m.group(1))) if m.group(1).isdigit() else html.unescape(f"&{m.group(1)};"),
                  text)


def _mermaid_ids(out: str) -> dict[str, str]:
    ids = {}
    for m in re.finditer(r'^\s*(n\d+)\["([^"]*)"\]$', out, re.M):
        first = _mermaid_decode(m.group(2)).split("\n")[0]
        ids[first.removeprefix("⛔ veto ")] = m.group(1)
    return ids


DOT_LINE = [
    r"digraph kpi \{", r" {4}rankdir=TB;", r" {4}label=S;", r" {4}labelloc=t;",
    r" {4}node \[shape=box, style=S, fontname=S\];", r" {4}edge \[fontname=S\];",
    r" {4}subgraph cluster_metrics \{", r" {8}label=S;", r" {8}style=dashed;", r" {4}\}", r"\}",
    r" {4}(?: {4})?n\d+ \[label=S(?:, [a-z]+=S)*\];",
    r" {4}n\d+ -> n\d+(?: \[[a-z]+=S(?:, [a-z]+=S)*\])?;",
]


def _dot_strings(out: str) -> tuple[str, list[str]]:
    """Replace every "…" string by S (checking that each closes on its line and uses only the escapes
    \\\\, \\" and \\n); return the skeleton and the decoded strings."""
    skeleton, strings, i = [], [], 0
    while i < len(out):
        c = out[i]
        if c != '"':
            skeleton.append(c)
            i += 1
            continue
        j, buf = i + 1, []
        while True:
            assert j < len(out), "unterminated DOT string"
            d = out[j]
            assert d != "\n", "raw newline inside a DOT string"
            if d == "\\":
                nxt = out[j + 1]
                assert nxt in '\\"n', f"unexpected escape \\{nxt}"
                buf.append({"\\": "\\", '"': '"', "n": "\n"}[nxt])
                j += 2
            elif d == '"':
                break
            else:
                buf.append(d)
                j += 1
        strings.append("".join(buf))
        skeleton.append("S")
        i = j + 1
    return "".join(skeleton), strings


def _check_dot(out: str) -> list[str]:
    skeleton, strings = _dot_strings(out)
    for line in skeleton.splitlines():
        assert any(re.fullmatch(p, line) for p in DOT_LINE), f"unexpected DOT line: {line!r}"
    return strings


@pytest.fixture(scope="module")
def hostile():
    model = kpidsl.load_text(HOSTILE)
    assert not model.has_errors, model.findings
    return model


@pytest.fixture(scope="module")
def hostile_eval(hostile):
    return kpidsl.evaluate(hostile, {"g": 1, "销售": 2, "b": 3, "v": 0}, name="s")


@pytest.mark.parametrize("with_eval", [False, True])
def test_hostile_labels_stay_inside_mermaid_labels(hostile, hostile_eval, with_eval):
    out = render(hostile, "mermaid", hostile_eval if with_eval else None)
    labels = _mermaid_labels(out)
    assert len(labels) == 5
    joined = "\n".join(labels)
    for ind in hostile.indicators.values():
        if ind.label and ind.kind != "veto":
            assert ind.label in joined  # decodes back to exactly the label
    assert "<script>alert(1)</script>" in joined
    assert out.count("-->") == 2 and out.count("-.->") == 1  # only the real edges


@pytest.mark.parametrize("with_eval", [False, True])
def test_hostile_labels_stay_inside_dot_strings(hostile, hostile_eval, with_eval):
    out = render(hostile, "dot", hostile_eval if with_eval else None)
    strings = _check_dot(out)
    joined = "\n".join(strings)
    for ind in hostile.indicators.values():
        if ind.label and ind.kind != "veto":
            assert ind.label in joined
    assert 'M "x" \\ <b>#' in joined
    assert len(re.findall(r"^\s*n\d+ \[", out, re.M)) == 5
    assert len(re.findall(r"^\s*n\d+ -> n\d+", out, re.M)) == 3


def test_hostile_labels_cannot_break_text_lines(hostile, hostile_eval):
    out = render(hostile, "text", hostile_eval)
    lines = out.splitlines()
    assert "\x1b" not in out and "\u202e" not in out
    assert sum(line.startswith(("├── ", "└── ")) for line in lines) == 3
    assert any("line1\\nline2" in line for line in lines)
    assert "O\"wner]\\n--> x (inherited)" in out


def test_escape_functions():
    assert mermaid_escape('a"b') == "a#quot;b"
    assert mermaid_escape("<&>#|[]") == "#lt;#amp;#gt;#35;#124;#91;#93;"
    assert mermaid_escape("x\ny") == "x<br/>y"
    assert mermaid_escape("50% %%x") == "50% %#37;x"  # never a `%%` comment
    assert dot_escape('a"b\\c\nd') == 'a\\"b\\\\c\\nd'


# ---------------------------------------------------------------------------------------------
# Every kgi, kpi and veto exactly once


def _text_names(model, out: str) -> list[str]:
    names = []
    lines = out.splitlines()
    if model.settings.label:  # the title and a blank line
        assert lines[1] == ""
        lines = lines[2:]
    for line in lines:
        body = re.sub(r"^(?:[│ ]   )*(?:├── |└── )", "", line)
        if line.lstrip("│ ").startswith("reads: "):  # what the node above reads
            continue
        if line and not line.startswith("metric ") and body.split("  ")[0]:
            names.append(body.split("  ")[0])
    return names


def _all_names(model, fmt: str, out: str) -> list[str]:
    if fmt == "text":
        return _text_names(model, out)
    if fmt == "mermaid":
        labels = _mermaid_labels(out)
    else:
        _check_dot(out)
        labels = [_dot_strings(f'"{m.group(1)}"')[1][0]
                  for m in re.finditer(r'^\s*n\d+ \[label="((?:[^"\\]|\\.)*)"', out, re.M)]
    firsts = [s.split("\n")[0].removeprefix("⛔ veto ") for s in labels]
    return [n for n in firsts if model.indicators[n].kind in TREE_KINDS]


ORPHANS = """kgi g { target: >= 1
  kpi a { target: >= 1 }
}
kgi g2 { kpi a2 { target: >= 1 } kpi a3 { target: >= 1 } }
kpi lost { target: >= 1 }
kpi c1 { parent: c2  target: >= 1 }
kpi c2 { parent: c1  target: >= 1 }
veto v1 { parent: lost  target: == 0 }
kpi under_cycle { parent: c1  target: >= 1 }
"""


@pytest.mark.parametrize("fmt", ["text", "mermaid", "dot"])
@pytest.mark.parametrize("source", ["ecommerce", "hostile", "orphans", "statuses"])
def test_every_tree_node_exactly_once(fmt, source, ecommerce, hostile):
    model = {"ecommerce": ecommerce, "hostile": hostile, "orphans": kpidsl.load_text(ORPHANS),
             "statuses": kpidsl.load_text(STATUSES)}[source]
    if source == "orphans":
        assert model.has_errors  # E205 and E206: still drawn
    names = _all_names(model, fmt, render(model, fmt))
    expected = [n for n in model.order if model.indicators[n].kind in TREE_KINDS]
    assert sorted(names) == sorted(expected)
    assert len(names) == len(set(names))


def test_orphans_and_cycles_keep_their_edges():
    model = kpidsl.load_text(ORPHANS)
    out = render(model, "mermaid")
    ids = _mermaid_ids(out)
    for child, parent in [("a", "g"), ("v1", "lost"), ("under_cycle", "c1")]:
        assert re.search(rf"^\s*{ids[parent]} -(?:->|\.->)\S* {ids[child]}$", out, re.M), (parent, child)


def test_deep_tree_does_not_recurse():
    depth = 3000
    src = "kgi k0 { target: >= 1 }\n" + "".join(
        f"kpi k{i} {{ parent: k{i - 1}  target: >= 1 }}\n" for i in range(1, depth))
    model = kpidsl.load_text(src)
    for fmt in ("mermaid", "dot"):
        out = render(model, fmt)
        assert out.count("-->" if fmt == "mermaid" else "->") == depth - 1
    lines = render(model, "text").splitlines()
    assert len(lines) == depth
    # MAX_INDENT levels of indentation, then the depth is marked instead: output linear in the nodes
    assert lines[MAX_INDENT] == " " * 4 * (MAX_INDENT - 1) + f"└── k{MAX_INDENT}  (100%)  target >= 1"
    assert lines[-1] == " " * 4 * (MAX_INDENT - 1) + f"… [depth {depth - 1}] └── k{depth - 1}  (100%)  target >= 1"
    ev = kpidsl.evaluate(model, {}, allow_missing=True)
    drawn = to_tree(model, [ev]).splitlines()  # `kpi eval --format tree`: the same layout
    assert [line[:line.index("k")] for line in drawn[2:2 + depth]] == [line[:line.index("k")] for line in lines]


def test_empty_model():
    model = kpidsl.load_text("input x {}")
    assert render(model, "text") == "(no kgi, kpi, veto or metric)\n"
    assert render(model, "mermaid") == "flowchart TD\n"
    _check_dot(render(model, "dot"))


def _unescape_graphviz(label: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), label)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
@pytest.mark.parametrize("source", ["ecommerce", "hostile"])
def test_graphviz_reads_the_labels_back(source, ecommerce, hostile, hostile_eval, q3):
    model, ev = (ecommerce, q3) if source == "ecommerce" else (hostile, hostile_eval)
    done = subprocess.run(["dot", "-Tjson"], input=render(model, "dot", ev), capture_output=True,
                          text=True, encoding="utf-8", timeout=60)
    assert done.returncode == 0, done.stderr
    graph = json.loads(done.stdout)
    labels = {o["name"]: o["label"] for o in graph["objects"] if o["name"].startswith("n")}
    assert len(labels) == sum(i.kind in (*TREE_KINDS, "metric") for i in model.indicators.values())
    for ind in model.indicators.values():
        if ind.label and ind.kind != "input" and ind.kind != "veto":
            assert any(ind.label in _unescape_graphviz(label) for label in labels.values()), ind.label
    assert len(graph.get("edges", [])) == sum(i.kind in ("kpi", "veto") for i in model.indicators.values())
