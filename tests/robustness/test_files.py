"""What sits at a path: kpi reads only regular files, names every one it cannot read, and goes on.

Case tables: every kind of special file through every command that reads that kind of path, folders
that cannot be read, file names that are not UTF-8 through every command and format, and what
``kpi fmt`` must keep (links, hard links, read-only files, owners) or clean up (signals).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpidsl.cli.commands import cli

from .specials import KINDS, SAYS, make, memory_cap, source_env

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, sockets and /dev are POSIX")

#: A model with one warning (W101), a passing expect, and a layout `kpi fmt` rewrites.
GOOD = ('model "M" {owner:"o"   period:monthly}\ninput x{source:"s"}\nkgi g {value: x  source:"s"}\n'
        "scenario s { x: 1  expect g == 1 }\n")


def run(args: list[str], stdin: bytes | None = None) -> tuple[int, str]:
    with memory_cap():
        result = CliRunner().invoke(cli, args, input=stdin, prog_name="kpi", env={"NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "internal error" not in result.output
    return result.exit_code, result.output


# ---------------------------------------------------------------------------------------------------
# Special files: (arguments, the name of the special thing, what shows that the rest was processed)

READERS = {
    "check a folder": (["check", "{repo}"], "bad.kpi", "W101"),
    "check files": (["check", "{repo}/bad.kpi", "{repo}/good.kpi"], "bad.kpi", "W101"),
    "check --format sarif": (["check", "--format", "sarif", "{repo}"], "bad.kpi", '"ruleId": "W101"'),
    "fmt a folder": (["fmt", "{repo}"], "bad.kpi", "1 file reformatted, 0 unchanged, 1 not read or written"),
    "fmt --check": (["fmt", "--check", "{repo}"], "bad.kpi", "would reformat"),
    "fmt --diff": (["fmt", "--diff", "{repo}"], "bad.kpi", "+scenario s {"),
    "test a folder": (["test", "{repo}"], "bad.kpi", "1 passed, 0 failed"),
    "eval": (["eval", "{repo}/bad.kpi"], "bad.kpi", None),
    "tree": (["tree", "{repo}/bad.kpi"], "bad.kpi", None),
    "eval --data": (["eval", "--data", "{repo}/bad.csv", "{repo}/good.kpi"], "bad.csv", None),
    "kpi.toml": (["check", "{repo}/good.kpi"], "kpi.toml", None),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("reader", list(READERS))
def test_special_files_are_named_and_never_read(tmp_path, kind, reader):
    args, name, rest = READERS[reader]
    repo = tmp_path / "r"
    repo.mkdir()
    (repo / "good.kpi").write_text(GOOD, encoding="utf-8")
    with contextlib.ExitStack() as stack:
        fifo = make(kind, repo / name, stack)
        code, out = run([a.format(repo=repo) for a in args])
    assert code == 2, out
    assert f"kpi: {repo / name} " in out and SAYS[kind] in out, out
    if rest:
        assert rest in out
    if reader == "fmt a folder":
        assert (repo / "good.kpi").read_text(encoding="utf-8") != GOOD
    assert fifo is None or not fifo.opened  # never opened, so nothing can wait for a writer


def test_standard_input_is_read_up_to_the_limit(monkeypatch):
    from kpidsl.parsing import sources

    monkeypatch.setattr(sources, "MAX_FILE_BYTES", 1000)
    code, out = run(["fmt", "-"], stdin=b"# x\n" * 1000)
    assert code == 2 and "kpi: standard input is more than 0 MB; the limit is 0 MB" in out


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="needs /proc")
def test_the_limit_holds_when_the_size_on_disk_is_wrong():
    from kpidsl.parsing import sources

    assert os.stat("/proc/self/maps").st_size == 0  # a regular file whose size says nothing
    with pytest.raises(sources.FileError, match="/proc/self/maps is more than .* the limit is"):
        sources.read_bytes("/proc/self/maps", limit=100)
    assert b"python" in sources.read_bytes("/proc/self/maps")


#: Reads that do not go through ``sources.read_bytes``, and why each is allowed.
OTHER_READS = {
    ("kpidsl/parsing/grammar_gen.py", "open"): "the package's own grammar",
    ("kpidsl/cli/commands.py", "os.open"): "os.devnull, opened for writing",
}
READERS_OF_FILES = {"open", "io.open", "os.open", "tomllib.load", "json.load"}  # and any x.read_text(), x.read_bytes()


def test_every_file_is_read_through_the_one_read_function():
    import ast

    root = Path(__file__).resolve().parents[2]
    found = set()
    for py in sorted((root / "kpidsl").rglob("*.py")):
        name = py.relative_to(root).as_posix()
        if name == "kpidsl/parsing/sources.py":
            continue
        for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                call = ast.unparse(node.func)
                if call in READERS_OF_FILES or (call.endswith((".read_text", ".read_bytes"))
                                                and call != "sources.read_bytes"):
                    found.add((name, call))
    assert found == set(OTHER_READS)


# ---------------------------------------------------------------------------------------------------
# Folders and files that cannot be read or written: said, counted in the exit code, the rest done

WALKERS = {"check": (["check"], "W101"), "fmt": (["fmt"], "1 file reformatted"), "test": (["test"], "1 passed")}


@pytest.mark.parametrize("command", list(WALKERS))
def test_a_folder_that_cannot_be_read_is_named(tmp_path, monkeypatch, command):
    args, rest = WALKERS[command]
    (tmp_path / "good.kpi").write_text(GOOD, encoding="utf-8")
    locked = tmp_path / "sub"
    locked.mkdir()
    (locked / "hidden.kpi").write_text(GOOD, encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, out = run([*args, str(tmp_path)])
    assert code == 2
    assert f"kpi: cannot read the folder {locked}: Permission denied" in out
    assert rest in out


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads every folder")
def test_a_folder_without_permission_is_named(tmp_path):
    (tmp_path / "good.kpi").write_text(GOOD, encoding="utf-8")
    locked = tmp_path / "sub"
    locked.mkdir()
    locked.chmod(0)
    try:
        code, out = run(["check", str(tmp_path)])
    finally:
        locked.chmod(0o755)
    assert code == 2 and "cannot read the folder" in out and "W101" in out


@pytest.mark.parametrize("problem", ["unreadable", "unwritable"])
def test_fmt_goes_on_after_a_file_it_cannot_read_or_write(tmp_path, monkeypatch, problem):
    import builtins

    locked, other = tmp_path / "a.kpi", tmp_path / "b.kpi"
    for p in (locked, other):
        p.write_text(GOOD, encoding="utf-8")
    real_open, real_io_open, real_replace = os.open, builtins.open, os.replace

    def refused(file) -> bool:
        return not isinstance(file, int) and os.path.realpath(file) == os.path.realpath(locked)

    def deny(*a, **k):
        raise PermissionError(13, "Permission denied", os.fspath(a[0]))

    if problem == "unreadable":
        monkeypatch.setattr(os, "open", lambda f, *a, **k: deny(f) if refused(f) else real_open(f, *a, **k))
        monkeypatch.setattr(builtins, "open", lambda f, *a, **k: deny(f) if refused(f) else real_io_open(f, *a, **k))
    else:
        monkeypatch.setattr(os, "replace", lambda s, d: deny(d) if refused(d) else real_replace(s, d))
    code, out = run(["fmt", str(tmp_path)])
    assert code == 2
    assert f"cannot {'read' if problem == 'unreadable' else 'write'} {locked}: Permission denied" in out
    assert "1 file reformatted, 0 unchanged, 1 not read or written" in out
    assert locked.read_text(encoding="utf-8") == GOOD and other.read_text(encoding="utf-8") != GOOD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.kpi", "b.kpi"]  # no temporary file left


# ---------------------------------------------------------------------------------------------------
# File names that are not UTF-8: every command and format prints them (as `\udcff`) and JSON keeps them

NAME = os.fsdecode(b"bad\xff.kpi")
SHOWN = "bad\\udcff.kpi"
FAILING = GOOD.replace("expect g == 1", "expect g == 2")

NAMED = {  # arguments (FOLDER or FILE), expected exit code, how the name appears
    "check": (["check", "FOLDER"], 1, SHOWN),
    "check --no-cache": (["check", "--no-cache", "FOLDER"], 1, SHOWN),
    "check --format json": (["check", "--format", "json", "FOLDER"], 1, "json"),
    "check --format sarif": (["check", "--format", "sarif", "FOLDER"], 1, "bad%FF.kpi"),
    "check --format github": (["check", "--format", "github", "FOLDER"], 1, f"file=./{SHOWN}"),
    "test": (["test", "FOLDER"], 1, SHOWN),
    "test --format json": (["test", "--format", "json", "FOLDER"], 1, "json"),
    "fmt --check": (["fmt", "--check", "FOLDER"], 1, SHOWN),
    "fmt --diff": (["fmt", "--diff", "FOLDER"], 1, SHOWN),
    "fmt": (["fmt", "FOLDER"], 0, SHOWN),
    "eval": (["eval", "FILE"], 0, None),
    "eval --format json": (["eval", "--format", "json", "FILE"], 0, "json"),
    "tree": (["tree", "--format", "mermaid", "FILE"], 0, None),
    "missing file": (["eval", "FILE.missing"], 2, SHOWN),
}


@pytest.mark.parametrize("case", list(NAMED))
def test_names_that_are_not_utf8(tmp_path, monkeypatch, case):
    args, exit_code, shows = NAMED[case]
    path = tmp_path / NAME
    try:
        path.write_text(FAILING, encoding="utf-8")
    except (OSError, UnicodeEncodeError):
        pytest.skip("the file system refuses names that are not UTF-8")
    monkeypatch.chdir(tmp_path)
    argv = [a.replace("FOLDER", ".").replace("FILE", NAME) for a in args]
    for _ in range(2):  # the second `check` is served from the cache
        code, out = run(argv)
        assert code == exit_code, out
        if shows == "json":
            found = json.loads(out)
            paths = ([f["path"] for f in found] if isinstance(found, list)
                     else [found["path"]] if "path" in found else [f["path"] for f in found["failures"]])
            assert paths and {Path(p).name for p in paths} == {NAME}  # the name itself, byte for byte
        elif shows:
            assert shows in out
        if not case.startswith("check"):
            break


# ---------------------------------------------------------------------------------------------------
# kpi fmt keeps what it was given: (setup returning the argument, exit code, message, check afterwards)

def _symlink(tmp):
    (tmp / "real").mkdir()
    (tmp / "real" / "m.kpi").write_text(GOOD, encoding="utf-8")
    (tmp / "link.kpi").symlink_to(tmp / "real" / "m.kpi")
    return tmp / "link.kpi"


def _hard_link(tmp):
    (tmp / "a.kpi").write_text(GOOD, encoding="utf-8")
    os.link(tmp / "a.kpi", tmp / "b.kpi")
    return tmp / "a.kpi"


def _read_only(tmp):
    (tmp / "ro.kpi").write_text(GOOD, encoding="utf-8")
    (tmp / "ro.kpi").chmod(0o444)
    return tmp / "ro.kpi"


def _owner_and_mode(tmp):
    path = tmp / "m.kpi"
    path.write_text(GOOD, encoding="utf-8")
    path.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(path, 12345, 23456)
    return path


def _kept_link(tmp, path):
    assert path.is_symlink() and path.read_text(encoding="utf-8").startswith('model "M" { owner: "o"')


def _kept_hard_link(tmp, path):
    assert os.path.samefile(tmp / "a.kpi", tmp / "b.kpi") and path.read_text(encoding="utf-8") == GOOD


def _kept_read_only(tmp, path):
    assert path.read_text(encoding="utf-8") == GOOD and path.stat().st_mode & 0o777 == 0o444


def _kept_owner_and_mode(tmp, path):
    st = path.stat()
    assert st.st_mode & 0o777 == 0o640 and path.read_text(encoding="utf-8") != GOOD
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (12345, 23456)


KEEPS = {
    "a symbolic link is written through": (_symlink, 0, "reformatted", _kept_link),
    "a hard-linked file is left alone": (_hard_link, 2, "a.kpi has 2 hard links; kpi fmt leaves it as it is",
                                         _kept_hard_link),
    "a read-only file is left alone": (_read_only, 2, "ro.kpi is read-only; kpi fmt leaves it as it is",
                                       _kept_read_only),
    "the mode and the owner stay": (_owner_and_mode, 0, "reformatted", _kept_owner_and_mode),
}


@pytest.mark.parametrize("case", list(KEEPS))
def test_fmt_keeps_what_it_was_given(tmp_path, case):
    setup, exit_code, says, kept = KEEPS[case]
    path = setup(tmp_path)
    other = tmp_path / "other.kpi"
    other.write_text(GOOD, encoding="utf-8")
    code, out = run(["fmt", str(path), str(other)])
    assert code == exit_code and says in out, out
    kept(tmp_path, path)
    assert other.read_text(encoding="utf-8") != GOOD  # the other file is formatted all the same
    assert not list(tmp_path.rglob(".kpi-fmt-*"))


SLOW_WRITE = textwrap.dedent("""
    import os, sys, time
    real_replace = os.replace
    def slow_replace(src, dst):
        print("writing", file=sys.stderr, flush=True)
        time.sleep(1)
        real_replace(src, dst)
    os.replace = slow_replace
    from kpidsl.cli.commands import main
    main(["fmt", sys.argv[1]])
""")


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_while_fmt_writes_leaves_no_temporary_file(tmp_path, name):
    path = tmp_path / "m.kpi"
    path.write_text(GOOD, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-c", SLOW_WRITE, str(path)], stderr=subprocess.PIPE, cwd=tmp_path,
                            env=source_env())
    try:
        assert proc.stderr.readline() == b"writing\n"  # the temporary file is written and about to be renamed
        proc.send_signal(getattr(signal, name))
        proc.wait(timeout=60)
    finally:
        proc.kill()
        proc.stderr.close()
    assert proc.returncode != 0
    assert [p.name for p in tmp_path.iterdir()] == ["m.kpi"]
    assert path.read_text(encoding="utf-8").startswith('model "M" { owner: "o"')  # whole, and formatted
