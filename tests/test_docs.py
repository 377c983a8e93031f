"""Every ```kpi block in the README and docs/ is a model without error findings."""

from __future__ import annotations

import re

import pytest

import kpidsl
from conftest import ROOT

FENCE = re.compile(r"^```kpi[ \t]*\n(.*?)^```", re.S | re.M)


def _blocks():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            yield pytest.param(m.group(1), id=f"{doc.name}:{line}")


BLOCKS = list(_blocks())


def test_docs_have_kpi_blocks():
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize("source", BLOCKS)
def test_kpi_block_has_no_errors(source):
    _, findings = kpidsl.compile_text(source)
    assert [(f.code, f.span.line) for f in findings if f.is_error] == []
