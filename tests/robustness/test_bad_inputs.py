"""Bad inputs: every one gives a clear finding or message, a defined exit
status, no traceback, a bounded run time, and never stops the other files
from being checked. Inputs are generated here, in tmp directories; each
is tried with a BayesFlow import (so it passes the pre-filter) and without.
Each case runs the real CLI in a subprocess with a timeout."""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import pytest

from tests.robustness.conftest import HEADER, SENTINEL, SENTINEL_ROW, assert_clean_exit, run_bflint

BIG = 10 * 1024 * 1024


def _sentinel_lines(nl: str = "\n") -> bytes:
    return SENTINEL.replace("\n", nl).encode()


def _random_bytes(n: int, seed: int) -> bytes:
    data = random.Random(seed).randbytes(n)
    return data.replace(b"bayesflow", b"bayesflaw")


def _big(header: bool) -> bytes:
    chunk = "".join(f"def f{i}(x):\n    return {{'a': x + {i}, 'b': [x, {i}]}}\n\n" for i in range(2000))
    text = (HEADER if header else "") + chunk * (BIG // len(chunk) + 1)
    return text.encode()[:BIG].rsplit(b"\ndef", 1)[0] + b"\n"


def _nested(n: int, header: bool) -> bytes:
    return ((HEADER if header else "") + "x = " + "[" * n + "]" * n + "\n").encode()


def _topics_like(header: bool) -> bytes:
    """Like CPython's Lib/pydoc_data/topics.py (~820 kB: one dict of long
    strings, each hundreds of implicitly concatenated lines): LibCST nests a
    concatenation per line and hits RecursionError on the main thread; the
    engine retries on the deep stack."""
    body = "".join(f"'topic{i}': 'Text of topic {i} with (brackets [and] {{braces}})\\n'\n"
                   + "".join(f"           'more text, line {j} of topic {i}\\n'\n" for j in range(1200))
                   + "           ,\n" for i in range(4))
    return ((HEADER if header else "") + "topics = {" + body + "}\n").encode()


# name -> (file name, bytes with the BayesFlow header, bytes without,
#          expected (code, row) with the header or None, time bound in s)
CASES = {
    "empty": ("empty.py", b"", b"", None, 10),
    "only-comments": ("comments.py", HEADER.encode() + b"# one\n# two\n", b"# one\n# two\n", None, 10),
    "utf8-bom": ("bom.py", b"\xef\xbb\xbf" + _sentinel_lines(), b"\xef\xbb\xbfx = 1\n",
                 ("BF302", SENTINEL_ROW), 10),
    "pep263-latin1": ("latin1.py", b"# -*- coding: latin-1 -*-\n" + _sentinel_lines() + b's = "caf\xe9"\n',
                      b'# -*- coding: latin-1 -*-\ns = "caf\xe9"\n', ("BF302", SENTINEL_ROW + 1), 10),
    "invalid-utf8": ("badutf8.py", HEADER.encode() + b's = "\xff\xfe"\n', b's = "\xff\xfe"\n',
                     ("BF000", 1), 10),
    "nul-bytes": ("nul.py", HEADER.encode() + b"x = 1\x00\n", b"x = 1\x00\n", ("BF000", 1), 10),
    "binary": ("binary.py", _random_bytes(4096, 1) + b"bayesflow" + _random_bytes(512, 2),
               _random_bytes(4096, 3), ("BF000", 1), 10),
    "crlf": ("crlf.py", _sentinel_lines("\r\n"), b"x = 1\r\ny = 2\r\n", ("BF302", SENTINEL_ROW), 10),
    "cr-only": ("cr.py", _sentinel_lines("\r"), b"x = 1\ry = 2\r", ("BF302", SENTINEL_ROW), 10),
    "tabs-formfeeds": ("tabs.py", _sentinel_lines().replace(b"history", b"if 1:\n\thistory", 1)
                       .replace(b"\nworkflow", b"\n\x0cworkflow", 1) + b"\x0c\n",
                       b"\x0cif 1:\n\tx = 1\n", ("BF302", SENTINEL_ROW + 1), 10),
    "10MB": ("big.py", _big(True), _big(False), ("BF001", 1), 30),
    "pydoc-topics-like": ("topics.py", _topics_like(True) + _sentinel_lines(), _topics_like(False),
                          ("BF302", _topics_like(True).count(b"\n") + SENTINEL_ROW), 20),
    "nested-1000": ("nested.py", _nested(1000, True), _nested(1000, False), ("BF000", 1), 15),
    # Python allows 200 levels of brackets, so does the guard (issue 16 item 10)
    "nested-200": ("nested200.py", _nested(200, True) + _sentinel_lines(), _nested(200, False), ("BF302", SENTINEL_ROW + 2), 15),
    "nested-201": ("nested201.py", _nested(201, True) + _sentinel_lines(), _nested(201, False), ("BF000", 1), 15),
    "long-lines": ("long.py", _sentinel_lines() + b"s = '" + b"x" * 200_000 + b"'\n"
                   + b"v = [" + b"1.5, -2, " * 5_000 + b"]\n",
                   b"s = '" + b"x" * 200_000 + b"'\n", ("BF302", SENTINEL_ROW), 20),
    "invalid-escapes-long-line": ("esc.py", _sentinel_lines() + b'x = "\\d" + ' + b'"a" + ' * 300 + b'"b"\n',
                                  b'x = "\\d" + ' + b'"a" + ' * 300 + b'"b"\n', ("BF302", SENTINEL_ROW), 10),
    # strings the analysis evaluates (adapter keys, sys.path additions): LibCST's
    # evaluated_value compiles them, and CPython warns on stderr unless silenced
    "invalid-escapes-analysed": ("esc2.py", _sentinel_lines() + b'import sys\nsys.path.append("\\w")\n'
                                 b'adapter = bf.Adapter().rename("\\d", "inference_variables")\n'
                                 b'sims = {"\\S": 1}\n',
                                 b'import sys\nsys.path.append("\\w")\n', ("BF302", SENTINEL_ROW), 10),
    "py312-type-params": ("py312.py", _sentinel_lines() + b"type Pair[T] = tuple[T, T]\n"
                          b"def first[T](xs: list[T]) -> T:\n    return xs[0]\nclass Box[T]:\n    pass\n",
                          b"type Pair[T] = tuple[T, T]\n", ("BF302", SENTINEL_ROW), 10),
    "pep701-fstrings": ("pep701.py", _sentinel_lines() + b'd = {"a": 1}\ns = f"{d["a"]} {f"{1 + 1}"}"\n'
                        b"t = f'{'\\n'.join([])}'\n",
                        b'd = {"a": 1}\ns = f"{d["a"]}"\n', ("BF302", SENTINEL_ROW), 10),
    "py313-type-defaults": ("py313.py", _sentinel_lines() + b"def f[T = int](x: T) -> T:\n    return x\n",
                            b"def f[T = int](x): pass\n", ("BF302", SENTINEL_ROW), 10),
    "unparseable": ("py2.py", HEADER.encode() + b"print 'hello'\n", b"print 'hello'\n", ("BF000", 2), 10),
}


def _expect(res, case_file: str, expected) -> None:
    if expected is None:
        assert_clean_exit(res, 0)
        assert "All checks passed!" in res.out
        return
    code, row = expected
    assert_clean_exit(res, 1)
    assert f"{case_file}:{row}:" in res.out and code in res.out, res.out


@pytest.mark.parametrize("variant", ["bf", "plain"])
@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(name: str, variant: str, tmp_path: Path) -> None:
    fname, with_bf, plain, expected, bound = CASES[name]
    (tmp_path / fname).write_bytes(with_bf if variant == "bf" else plain)
    res = run_bflint("--jobs", "1", fname, cwd=tmp_path, timeout=bound)
    _expect(res, fname, expected if variant == "bf" else None)
    assert res.seconds < bound


@pytest.mark.parametrize("jobs", [["--jobs", "1"], []], ids=["jobs1", "default-jobs"])
def test_all_bad_inputs_in_one_run(jobs: list[str], tmp_path: Path) -> None:
    """All bad files in one directory, next to a normal script: each gets its
    finding, the normal script is still checked (in-process and in the pool)."""
    for fname, with_bf, _, _, _ in CASES.values():
        (tmp_path / fname).write_bytes(with_bf)
    (tmp_path / "normal.py").write_text(SENTINEL)
    res = run_bflint(*jobs, "--format", "json", ".", cwd=tmp_path, timeout=60)
    assert_clean_exit(res, 1)
    got = {(os.path.basename(f["filename"]), f["code"], f["location"]["row"]) for f in json.loads(res.out)}
    assert ("normal.py", "BF302", SENTINEL_ROW) in got
    for fname, _, _, expected, _ in CASES.values():
        names = {g for g in got if g[0] == fname}
        if expected is None:
            assert not names, names
        else:
            assert (fname, *expected) in got, (fname, sorted(names))


def test_size_limit_is_on_the_code_not_on_notebook_outputs(tmp_path: Path) -> None:
    from bflint import engine

    code = SENTINEL
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "execution_count": 1, "source": code,
                     "outputs": [{"output_type": "display_data", "metadata": {},
                                  "data": {"image/png": "A" * (engine.MAX_SOURCE_BYTES * 2)}}]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "big.ipynb").write_text(json.dumps(nb))
    res = run_bflint("big.ipynb", cwd=tmp_path, timeout=20)
    assert_clean_exit(res, 1)
    assert f"big.ipynb:cell 1:{SENTINEL_ROW}:" in res.out and "BF001" not in res.out


def test_nested_brackets_message_is_clear(tmp_path: Path) -> None:
    (tmp_path / "n.py").write_bytes(_nested(1000, True))
    res = run_bflint("n.py", cwd=tmp_path, timeout=15)
    assert "nested too deeply" in res.out


def test_too_large_message_is_clear(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_bytes(_big(True))
    res = run_bflint("big.py", cwd=tmp_path, timeout=30)
    assert "10.0 MB" in res.out and "--exclude" in res.out


def test_deep_nesting_never_crashes_the_interpreter() -> None:
    """LibCST's native parser overflows the C stack (SIGSEGV) at a few
    thousand levels: the engine must refuse or use the deep stack, in-process."""
    from bflint import engine

    for body in ("x = " + "(" * 5000 + "1" + ")" * 5000, "x = " + "-" * 5000 + "1",
                 "x = " + " and ".join(["a"] * 5000), "x = a" + ".b" * 1400,
                 "x = " + "+".join(["1"] * 1200)):
        found = engine.lint_source(HEADER + body + "\n", prefilter=False)
        assert all(f.code == "BF000" for f in found), found


def test_directory_symlink_loop(tmp_path: Path) -> None:
    d = tmp_path / "proj"
    (d / "sub").mkdir(parents=True)
    (d / "sub" / "loop").symlink_to(d, target_is_directory=True)
    (d / "self").symlink_to(d / "self")  # a link to itself
    (d / "a.py").symlink_to(d / "b.py")
    (d / "b.py").symlink_to(d / "a.py")  # a file-link loop
    (d / "sub" / "normal.py").write_text(SENTINEL)
    res = run_bflint("--jobs", "1", "proj", cwd=tmp_path, timeout=10)
    assert_clean_exit(res, 1)
    assert f"normal.py:{SENTINEL_ROW}:" in res.out
    assert "a.py:1:1: BF001" in res.out and "b.py:1:1: BF001" in res.out
    assert {line.split(":")[0] for line in res.out.splitlines() if "normal.py:" in line} == {
        "proj/sub/normal.py"}  # not found again through the loop
    res = run_bflint("--jobs", "1", "proj/a.py", cwd=tmp_path, timeout=10)
    assert_clean_exit(res, 1)
    assert "BF001" in res.out and "symbolic links" in res.out


def test_missing_path(tmp_path: Path) -> None:
    (tmp_path / "normal.py").write_text(SENTINEL)
    res = run_bflint("--jobs", "1", "nope.py", "normal.py", cwd=tmp_path, timeout=10)
    assert_clean_exit(res, 1)
    assert "nope.py:1:1: BF001 no such file or directory" in res.out
    assert f"normal.py:{SENTINEL_ROW}:" in res.out


def test_unreadable_paths(tmp_path: Path) -> None:
    """A dangling link and a directory named like a script."""
    (tmp_path / "gone.py").symlink_to(tmp_path / "nowhere.py")
    (tmp_path / "dir.py").mkdir()
    (tmp_path / "normal.py").write_text(SENTINEL)
    res = run_bflint("--jobs", "1", ".", cwd=tmp_path, timeout=10)
    assert_clean_exit(res, 1)
    assert "gone.py:1:1: BF001 cannot read the file" in res.out
    assert "dir.py" not in res.out
    assert f"normal.py:{SENTINEL_ROW}:" in res.out
    res = run_bflint("--jobs", "1", "gone.py", cwd=tmp_path, timeout=10)
    assert_clean_exit(res, 1)


def _unprivileged() -> list[str]:
    """A command prefix under which chmod 000 really denies reading. Root
    reads anything through CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH, so as root
    the CLI runs with those two capabilities dropped (util-linux setpriv)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and setpriv is not available: root can read a chmod 000 file")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}"]


def _run_unprivileged(*args: str, cwd: Path):
    import subprocess
    import time

    from tests.robustness.conftest import Result, bflint_cmd

    start = time.monotonic()
    proc = subprocess.run([*_unprivileged(), *bflint_cmd(), "--no-cache", *args], cwd=cwd,
                          capture_output=True, timeout=15)
    return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode(), time.monotonic() - start)


def test_file_without_read_permission(tmp_path: Path) -> None:
    (tmp_path / "secret.py").write_text(SENTINEL)
    (tmp_path / "secret.py").chmod(0)
    (tmp_path / "normal.py").write_text(SENTINEL)
    res = _run_unprivileged("--jobs", "1", ".", cwd=tmp_path)
    assert_clean_exit(res, 1)
    assert "secret.py:1:1: BF001 cannot read the file: Permission denied" in res.out
    assert f"normal.py:{SENTINEL_ROW}:" in res.out


def test_explicit_file_without_read_permission(tmp_path: Path) -> None:
    (tmp_path / "secret.py").write_text(SENTINEL)
    (tmp_path / "secret.py").chmod(0)
    (tmp_path / "normal.py").write_text(SENTINEL)
    res = _run_unprivileged("--jobs", "1", "secret.py", "normal.py", cwd=tmp_path)
    assert_clean_exit(res, 1)
    assert "secret.py:1:1: BF001" in res.out
    assert f"normal.py:{SENTINEL_ROW}:" in res.out


def test_fifo_in_a_directory_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "normal.py").write_text(SENTINEL)
    res = run_bflint("--jobs", "1", ".", cwd=tmp_path, timeout=10)
    assert_clean_exit(res, 1)
    assert f"normal.py:{SENTINEL_ROW}:" in res.out


def _nb(cells, **extra) -> bytes:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5, **extra}).encode()


NOTEBOOKS = {
    "invalid-json": (b'{"cells": [ "import bayesflow', ("BF000", "invalid notebook JSON")),
    "missing-cells": (json.dumps({"metadata": {"note": "bayesflow"}, "nbformat": 4}).encode(), ("BF000", "cells")),
    "cells-not-list": (json.dumps({"cells": "bayesflow", "nbformat": 4}).encode(), ("BF000", "cells")),
    "non-string-source": (_nb([{"cell_type": "code", "source": [1, 2], "metadata": {}},
                               {"cell_type": "markdown", "source": "bayesflow"}]), ("BF000", "non-string source")),
    "source-is-dict": (_nb([{"cell_type": "code", "source": {"a": "bayesflow"}, "metadata": {}}]),
                       ("BF000", "non-string source")),
    "cell-not-dict": (_nb(["import bayesflow"]), None),
    "top-level-list": (b'["bayesflow"]', ("BF000", "")),
    "magics": (_nb([{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                     "source": ["%matplotlib inline\n", "!pip install bayesflow\n", "x = !ls\n",
                                "%%time\n" if False else "", "bf?\n", *SENTINEL.splitlines(True)]}]),
               ("BF302", "validation_data")),
    "binary": (_random_bytes(2048, 4) + b"bayesflow", ("BF000", "")),
    # found by scripts/fuzz.py: LibCST parses it, then its validation raises
    "bytes-and-str-concat": (_nb([{"cell_type": "code", "metadata": {}, "source": "import bayesflow\nx = 'a' b'b'\n"},
                                  {"cell_type": "code", "metadata": {}, "source": SENTINEL}]),
                             ("BF000", "bytes")),
}


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_bad_notebooks(name: str, tmp_path: Path) -> None:
    data, expected = NOTEBOOKS[name]
    (tmp_path / "nb.ipynb").write_bytes(data)
    (tmp_path / "normal.py").write_text(SENTINEL)
    res = run_bflint("--jobs", "1", ".", cwd=tmp_path, timeout=10)
    assert_clean_exit(res, 1)
    assert f"normal.py:{SENTINEL_ROW}:" in res.out
    nb_lines = [line for line in res.out.splitlines() if line.startswith("nb.ipynb")]
    if expected is None:
        assert not nb_lines, nb_lines
    else:
        code, text = expected
        assert any(code in line and text in line for line in nb_lines), res.out


def test_stdin_with_invalid_encoding() -> None:
    res = run_bflint("-", input=HEADER.encode() + b's = "\xff\xfe"\n', timeout=10)
    assert_clean_exit(res, 1)
    assert "-:1:1: BF000 cannot read the source" in res.out
    res = run_bflint("--stdin-filename", "x.ipynb", "-", input=b"\xff\xfe bayesflow", timeout=10)
    assert_clean_exit(res, 1)
    assert "BF000" in res.out
    res = run_bflint("-", input=b"\x00\x01bayesflow\xff", timeout=10)
    assert_clean_exit(res, 1)
    assert "BF000" in res.out


def test_recursion_error_is_retried_on_the_deep_stack() -> None:
    """The topics.py-like file makes the analysis recurse past the default
    limit on the main thread; check_source retries it with run_deep and
    gets the real findings (not BF000/BF999)."""
    from bflint import engine

    text = (_topics_like(True) + _sentinel_lines()).decode()
    enabled = engine._enabled(["BF302"])
    with pytest.raises(RecursionError):
        engine.check_text(text, "t.py", enabled)
    found = engine.check_source(text, "t.py", enabled)
    assert [(f.code, f.row) for f in found] == [("BF302", text.count("\n") - 0)]
