"""The compact store of findings (``FindingSink``, ``Findings``) and of a file's lines (``Lines``):
each reads back exactly what a list would hold, in the order a list sort would give, for a fraction
of the memory."""

from __future__ import annotations

import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kpidsl
from kpidsl import errors
from kpidsl.checking.lint import practice_findings
from kpidsl.checking.practice import DEFAULT_MAX_CHILDREN
from kpidsl.errors import BY_POSITION, Finding, Findings, FindingSink, Span
from kpidsl.parsing import sources

CODES = ("E003", "E101", "W102", "W110", "E000")
spans = st.builds(Span, st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(1, 300))
names = st.text(st.characters(blacklist_categories=("Cs",)), max_size=6) | st.sampled_from(["o1", "o2", "\udcff"])
messages = st.builds("kpi `{}` does not link to a kgi{}".format, names, st.sampled_from(["", "; add a parent"])) \
    | names
reports = st.lists(st.tuples(st.sampled_from(CODES), spans, messages), max_size=60)


def _sink(found, path="f.kpi", before=None) -> FindingSink:
    sink = FindingSink(path, before)
    for code, span, message in found:
        sink.add(code, span, message)
    return sink


@settings(max_examples=300)
@given(reports, st.integers(1, 70))
def test_a_sink_reads_back_what_was_reported_and_sorts_as_a_list_does(found, runs):
    listed = [Finding("f.kpi", span, code, message) for code, span, message in found]
    sink = _sink(found)
    errors_runs, errors.MERGED_RUNS = errors.MERGED_RUNS, runs  # few runs are merged, more sorted whole
    try:
        assert sink.items == listed and list(sink.items) == listed and len(sink) == len(listed)
        assert sink.sorted() == sorted(listed, key=BY_POSITION)
    finally:
        errors.MERGED_RUNS = errors_runs


@settings(max_examples=200)
@given(reports, reports)
def test_a_sink_after_another_reads_its_findings_first(first, then):
    listed = [Finding("f.kpi", span, code, message) for code, span, message in first + then]
    before = _sink(first)
    sink = _sink(then, before=before)
    assert sink.items == listed and sink.sorted() == sorted(listed, key=BY_POSITION)


def test_findings_are_a_read_only_sequence_that_lists_compare_and_add_with():
    sink = _sink([("W102", Span(2, 1, 2, 3), "b"), ("E003", Span(1, 5, 1, 6), "a")])
    found = sink.sorted()
    a, b = sink.items[1], sink.items[0]
    assert isinstance(found, Findings) and len(found) == 2 and found and not sink.sorted()[:0]
    assert (found[0], found[-1], list(found[::-1])) == (a, b, [b, a])
    assert found == [a, b] and found == (a, b) and [a, b] == found and found != [b, a] and found != [a]
    assert found + [b] == [a, b, b] and [b] + found == [b, a, b] and found + found == [a, b, a, b]
    listed = [b]
    listed += found
    assert listed == [b, a, b] and repr(found) == repr([a, b]) and a in found
    assert (a.code, a.span, a.message, a.path) == ("E003", Span(1, 5, 1, 6), "a", "f.kpi")
    assert found.select(lambda code, line: line == 2) == [b]
    with pytest.raises(IndexError):
        found[2]


def test_a_message_repeated_all_along_a_file_is_one_string():
    sink = _sink([("E003", Span(2, c, 2, c + 5), "`owner` is given twice in kgi `g` (first on line 2); keep one")
                  for c in range(1, 1000, 11)])
    _, second, *rest = sink.items  # the first is kept whole, the others as the frame it makes with the next
    assert all(f.message is second.message for f in rest) and second.message == sink.items[0].message


def test_findings_that_differ_in_a_name_take_a_few_bytes_each():
    """A sink of findings whose messages differ only in a name takes some 30 bytes a finding: as
    Finding tuples with their messages (a list of them), it took some 270."""
    n = 20_000
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        sink = FindingSink("orphans.kpi")
        for i in range(n):
            sink.add("W101", Span(i + 3, 1, i + 3, 40), f"kpi `o{i}` does not link to a kgi; every KPI must drive a "
                     "goal: nest it in a kgi or kpi, or add `parent: NAME`")
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 40 * n, f"{kept / n:.0f} bytes a finding"
    assert sink.items[12_345].message.startswith("kpi `o12345` does not link")


def test_check_sorts_compile_and_practice_findings_as_one_list_and_keeps_noqa():
    text = ('model "M" { owner: "o"  period: monthly }\nkgi g { target: >= 1 }\n'
            + "".join(f"kpi k{i} {{ value: y{i}  parent: p{i}  target: >= 1 }}{'  # noqa' * (i % 3 == 0)}\n"
                      for i in range(40)))
    model, compiled = kpidsl.compile_text(text, "u.kpi")
    practice = practice_findings(model, DEFAULT_MAX_CHILDREN)
    expected = sorted([*compiled, *practice], key=BY_POSITION)
    noqa = {n for n, line in enumerate(text.split("\n"), 1) if line.endswith("# noqa")}
    assert compiled == sorted(compiled, key=BY_POSITION) and len(compiled) > 40 and noqa
    assert kpidsl.check(model) == [f for f in expected if f.span.line not in noqa]


lines_texts = st.text(st.sampled_from("ab\n\r\ufeff é")) | st.text()


@settings(max_examples=300)
@given(lines_texts)
def test_lines_are_the_split_of_the_text(text):
    split, lines = text.split("\n"), sources.Lines(text)
    assert list(lines) == split and len(lines) == len(split)
    assert [lines[i] for i in range(len(split))] == split and [lines[-i] for i in range(1, len(split) + 1)] == \
        [split[-i] for i in range(1, len(split) + 1)]
    assert lines[1:3] == split[1:3] and lines[::-2] == split[::-2]
    with pytest.raises(IndexError):
        lines[len(split)]


@settings(max_examples=300)
@given(st.binary(max_size=30) | st.text(st.sampled_from("a\n\ufeff\udcff")).map(
    lambda t: t.encode("utf-8", "surrogateescape")))
def test_display_lines_replace_bad_bytes_and_leave_out_leading_marks(data):
    expected = data.decode("utf-8", errors="replace").lstrip("\ufeff").split("\n")
    assert list(sources.display_lines(data)) == expected
