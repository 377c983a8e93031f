"""docs/editors.md's set-ups, as written there: the Neovim snippet in a headless Neovim (when one is
installed), the Helix and Zed snippets read as TOML and JSON, and the `kpi check --stdin-filename`
commands run on standard input and read the documented ways."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import ROOT, source_env

DOC = (ROOT / "docs" / "editors.md").read_text(encoding="utf-8")
ECOMMERCE = (ROOT / "examples" / "ecommerce.kpi").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"^ *```{language}\n(.*?)^ *```", DOC, re.S | re.M)


def kpi_env() -> dict[str, str]:
    """This source tree's kpidsl, with the `kpi` beside this Python first on the PATH."""
    env = source_env()
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _nvim() -> str | None:
    nvim = shutil.which("nvim")
    if nvim is None:
        return None
    version = subprocess.run([nvim, "--version"], capture_output=True, text=True).stdout
    m = re.match(r"NVIM v(\d+)\.(\d+)", version)
    return nvim if m and (int(m[1]), int(m[2])) >= (0, 11) else None


HARNESS = r"""
local out = {}
vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 50)
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(out, string.format("diagnostic %d %d %s", d.lnum, d.col, d.code or ""))
end
local uri = vim.uri_from_bufnr(0)
local hover = vim.lsp.buf_request_sync(0, "textDocument/hover",
  { textDocument = { uri = uri }, position = { line = HOVER_LINE, character = HOVER_CHAR } }, 20000)
for _, r in pairs(hover or {}) do
  if r.result then table.insert(out, "hover " .. (r.result.contents.value:gsub("\n", " "))) end
end
local hints = vim.lsp.buf_request_sync(0, "textDocument/inlayHint",
  { textDocument = { uri = uri },
    range = { start = { line = 0, character = 0 }, ["end"] = { line = 300, character = 0 } } }, 20000)
for _, r in pairs(hints or {}) do
  for _, h in ipairs(r.result or {}) do table.insert(out, "hint " .. h.position.line .. " " .. h.label) end
end
table.insert(out, "commentstring " .. vim.bo.commentstring)
vim.fn.writefile(out, vim.env.KPI_OUT)
vim.cmd("qa!")
"""


@pytest.mark.skipif(_nvim() is None, reason="needs Neovim 0.11 or newer on the PATH")
def test_the_neovim_set_up_gives_diagnostics_hover_and_inlay_hints(tmp_path):
    [snippet] = blocks("lua")
    (tmp_path / "init.lua").write_text(snippet, encoding="utf-8")
    text = ECOMMERCE + "metric stray { value: orders }\n"  # W106: a metric without a target
    (tmp_path / "model.kpi").write_text(text, encoding="utf-8")
    at = text.index("orders * avg") + 2
    line, char = text.count("\n", 0, at), at - text.rfind("\n", 0, at) - 1
    harness = HARNESS.replace("HOVER_LINE", str(line)).replace("HOVER_CHAR", str(char))
    (tmp_path / "harness.lua").write_text(harness, encoding="utf-8")
    env = {**kpi_env(), "KPI_OUT": str(tmp_path / "out.txt"),
           "XDG_STATE_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    subprocess.run([_nvim(), "--headless", "-u", str(tmp_path / "init.lua"), "model.kpi", "-c", "luafile harness.lua"],
                   cwd=tmp_path, env=env, timeout=120, capture_output=True, stdin=subprocess.DEVNULL)
    out = (tmp_path / "out.txt").read_text(encoding="utf-8").splitlines()
    stray = text.count("\n", 0, text.index("stray"))
    assert f"diagnostic {stray} 7 W106" in out
    assert any(o.startswith("hover ") and "input orders" in o for o in out), out
    assert f"hint {text.count(chr(10), 0, text.index('kgi annual_sales'))} 83.6% amber" in out
    assert "commentstring # %s" in out


def test_the_helix_set_up_starts_kpi_lsp_for_kpi_files():
    [snippet] = blocks("toml")
    config = tomllib.loads(snippet)
    server = config["language-server"]["kpi"]
    [language] = config["language"]
    assert [server["command"], *server["args"]] == ["kpi", "lsp"]
    assert language["file-types"] == ["kpi"] and language["language-servers"] == ["kpi"]
    assert language["comment-token"] == "#"


def test_the_zed_task_runs_kpi_check():
    [snippet] = blocks("json")
    [task] = json.loads(snippet)
    assert task["command"] == "kpi" and task["args"][0] == "check"


def test_the_lint_command_reads_standard_input_as_documented():
    [command] = [line for block in blocks("sh") for line in block.splitlines() if "--stdin-filename" in line]
    args = command.split()
    assert args[:2] == ["kpi", "check"] and args[-1] == "-"
    broken = (ROOT / "tests" / "data" / "syntax_error.kpi").read_text(encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "kpidsl", *args[1:]], input=broken, capture_output=True, text=True,
                         env=kpi_env(), cwd=ROOT)
    assert run.returncode == 1
    [finding] = json.loads(run.stdout)
    assert {k: finding[k] for k in ("path", "line", "column", "code")} == {
        "path": "path/to/model.kpi", "line": 3, "column": 11, "code": "E001"}
    # the text format: its first line of each finding is what `%f:%l:%c: %m` reads
    text = subprocess.run([sys.executable, "-m", "kpidsl", "check", "--stdin-filename", "path/to/model.kpi", "-"],
                          input=broken, capture_output=True, text=True, env=kpi_env(), cwd=ROOT).stdout
    [documented] = blocks("text")
    assert text.splitlines()[0] == documented.strip()
    first = re.fullmatch(r"([^:]+):(\d+):(\d+): (.*)", text.splitlines()[0])
    assert first.groups()[:3] == ("path/to/model.kpi", "3", "11")
