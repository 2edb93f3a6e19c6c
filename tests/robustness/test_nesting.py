"""Pathological nesting (issue 16 item 10): every shape at sizes just under
and just over each threshold of the nesting guard, with a time and memory
bound per case, and the attacks of the issue at their original sizes.

Under a threshold the file is analysed (no BF000); over it, it is one BF000
"too complex to analyse" finding, given before LibCST sees the file. Never a
signal (LibCST's native parser segfaulted on 6,000 backslash-continued
``.b`` lines, 12,000 elifs, long not/unary/lambda chains), never minutes or
gigabytes (40 lines of 499 nested brackets took 9.4 GB and 62 s).

The subprocess cases run the real CLI under an address-space limit and read
the child's peak RSS from wait4; the in-process cases check the guard's
thresholds exactly (cheap, every shape)."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from bflint import engine
from bflint.source import (
    BRACKET_BUDGET,
    MAX_BRACKETS,
    MAX_CONCATENATION,
    MAX_NESTING,
    MAX_STATEMENTS,
    TOO_COMPLEX,
    nesting_guard,
)

from .conftest import SENTINEL, SENTINEL_ROW, bflint_cmd
from .measure_nesting import shape

AS_LIMIT = 3 << 30          # the child's address space: a blow-up fails, not the machine
MAX_RSS_MB = 700            # peak RSS of one bflint process on any accepted file
UNDER_SECONDS = 40.0        # analysed (LibCST + rules), on a loaded 2-core machine
OVER_SECONDS = 10.0         # refused before LibCST: start-up + CPython's parse

# shape -> (threshold, (n under, n over)); n is the chain length / depth
CHAINS = ("attr_backslash", "plus_backslash", "plus_paren", "and_paren",
          "not_chain", "unary_chain", "lambda_chain", "attr_line", "dotted_import",
          "call_chain", "subscript_chain", "power_chain", "ternary_chain")
UNDER, OVER = MAX_NESTING - 10, MAX_NESTING + 10


def _run(path: Path, *args: str, stdin: bytes | None = None) -> dict:
    """bflint on ``path`` in a child with RLIMIT_AS; exit status or signal,
    wall seconds, peak RSS (MB) and the output."""
    def limits():
        resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    start = time.monotonic()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([*bflint_cmd(), "--no-cache", "--isolated", *args, str(path)],
                                stdout=out, stderr=subprocess.STDOUT, preexec_fn=limits, env=env,
                                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL)
        if stdin is not None:
            proc.stdin.write(stdin)
            proc.stdin.close()
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > 120:
                os.kill(proc.pid, signal.SIGKILL)
                pid, status, ru = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        proc.returncode = 0  # reaped by wait4
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return {"signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "rc": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "seconds": time.monotonic() - start, "rss_mb": ru.ru_maxrss / 1024, "out": text}


def _assert_analysed(res: dict, what: str) -> None:
    assert res["signal"] is None and res["rc"] in (0, 1), (what, res)
    assert "Traceback" not in res["out"] and TOO_COMPLEX not in res["out"], (what, res["out"][-800:])
    assert "BF000" not in res["out"] and "BF999" not in res["out"], (what, res["out"][-800:])
    assert res["seconds"] < UNDER_SECONDS, (what, res["seconds"])
    assert res["rss_mb"] < MAX_RSS_MB, (what, res["rss_mb"])


def _assert_refused(res: dict, what: str) -> None:
    assert res["signal"] is None and res["rc"] == 1, (what, res)
    assert "Traceback" not in res["out"], (what, res["out"][-800:])
    assert TOO_COMPLEX in res["out"] and "BF000" in res["out"], (what, res["out"][-800:])
    assert res["seconds"] < OVER_SECONDS, (what, res["seconds"])
    assert res["rss_mb"] < MAX_RSS_MB, (what, res["rss_mb"])


# -- the thresholds, in process (every shape) ---------------------------------------

def _refusal(text: str) -> str | None:
    return nesting_guard(text)[1]


@pytest.mark.parametrize("name", CHAINS)
def test_chain_just_under_and_over_max_nesting(name: str) -> None:
    assert _refusal(shape(name, UNDER)) is None, name
    why = _refusal(shape(name, OVER))
    assert why is not None and why.startswith(TOO_COMPLEX), name


def test_concatenated_string_just_under_and_over_its_limit() -> None:
    """Cheap in LibCST (linear), so longer than a chain: CPython's own
    pydoc_data/topics.py (820 kB, strings of ~1,500 pieces) is analysed."""
    assert _refusal(shape("concat_paren", MAX_CONCATENATION - 10)) is None
    assert "concatenated" in _refusal(shape("concat_paren", MAX_CONCATENATION + 10))
    # inside a chain: the depths add up
    chain = "x = f(" * 150 + "\n" + "'s'\n" * (MAX_CONCATENATION - 100) + ")" * 150 + "\n"
    assert "concatenated" in _refusal(chain)


def test_elif_ladder_just_under_and_over_max_statements() -> None:
    assert _refusal(shape("elif_ladder", MAX_STATEMENTS - 10)) is None
    assert "nested statements" in _refusal(shape("elif_ladder", MAX_STATEMENTS + 10))
    # beyond Python's own limits: its compiler's RecursionError, its parser's MemoryError
    for n in (3000, 6000, 12000):
        assert _refusal(shape("elif_ladder", n)).startswith(TOO_COMPLEX), n


def test_brackets_just_under_and_over_what_python_allows() -> None:
    for name in ("brackets1", "lists1"):
        assert _refusal(shape(name, MAX_BRACKETS)) is None, name
        assert "Python allows 200" in _refusal(shape(name, MAX_BRACKETS + 1)), name
    # brackets inside strings and comments are not nesting
    assert _refusal("x = '" + "(" * 600 + "'  # " + "[" * 600 + "\n") is None


def test_bracket_budget_bounds_many_deep_groups() -> None:
    per_line = (MAX_BRACKETS - 32) ** 2
    fits = BRACKET_BUDGET // per_line
    assert fits >= 2
    assert _refusal(shape("lists1", MAX_BRACKETS) * fits) is None
    assert "bracket groups" in _refusal(shape("lists1", MAX_BRACKETS) * (fits + 1))


def test_expression_budget_bounds_many_long_chains() -> None:
    one = shape("lambda_chain", 600).split("\n", 1)[1]
    assert _refusal("import bayesflow as bf\n" + one * 3) is None
    assert "long chains" in _refusal("import bayesflow as bf\n" + one * 4)


def test_text_estimate_when_python_cannot_parse_it() -> None:
    """A real syntax error elsewhere: the chain is measured from the text."""
    broken = "def f(:\n    pass\n"
    assert _refusal(shape("attr_backslash", 6000) + broken).startswith(TOO_COMPLEX)
    assert _refusal(shape("attr_backslash", 200) + broken) is None
    # many long chains in a broken file: the budget holds there too
    chain = shape("plus_paren", 500).split("\n", 1)[1]
    assert _refusal("import bayesflow as bf\n" + chain * 3 + broken) is None
    assert "long chains" in _refusal("import bayesflow as bf\n" + chain * 6 + broken)
    # decimal points are not attribute links
    data = "x = [" + ", ".join("1.5" for _ in range(5000)) + "]\n"
    assert _refusal(data + broken) is None


def test_ordinary_files_are_not_refused() -> None:
    root = Path(__file__).resolve().parents[2]
    for path in sorted((root / "bflint").rglob("*.py")):
        assert _refusal(path.read_text(encoding="utf-8")) is None, path


# -- time and memory per case, the real CLI -----------------------------------------

# (shape, n under, n over): one representative of each way LibCST nests
BOUNDED = [
    ("attr_backslash", UNDER, OVER),
    ("plus_backslash", UNDER, OVER),
    ("not_chain", UNDER, OVER),
    ("unary_chain", UNDER, OVER),
    ("lambda_chain", UNDER, OVER),
    ("and_paren", UNDER, OVER),
    ("concat_paren", MAX_CONCATENATION - 10, MAX_CONCATENATION + 10),
    ("elif_ladder", MAX_STATEMENTS - 10, MAX_STATEMENTS + 10),
    ("lists40", MAX_BRACKETS // 4, MAX_BRACKETS),
    ("brackets1", MAX_BRACKETS, MAX_BRACKETS + 1),
]


@pytest.mark.parametrize(("name", "under", "over"), BOUNDED, ids=[b[0] for b in BOUNDED])
def test_time_and_memory_bound_per_case(tmp_path: Path, name: str, under: int, over: int) -> None:
    for n, refused in ((under, False), (over, True)):
        path = tmp_path / f"{name}_{n}.py"
        path.write_text(shape(name, n))
        res = _run(path)
        (_assert_refused if refused else _assert_analysed)(res, f"{name} n={n}")


def test_time_and_memory_bound_at_the_budgets(tmp_path: Path) -> None:
    """The most an accepted file can hold: as many deep bracket groups or
    long chains as the budgets allow (LibCST keeps them all in memory)."""
    fits = BRACKET_BUDGET // (MAX_BRACKETS - 32) ** 2
    lists = shape("lists1", MAX_BRACKETS).split("\n", 1)[1]
    lambdas = shape("lambda_chain", 600).split("\n", 1)[1]
    for what, text in (("deep lists", lists * fits), ("lambda chains", lambdas * 3)):
        path = tmp_path / "budget.py"
        path.write_text("import bayesflow as bf\n" + text)
        _assert_analysed(_run(path), what)


# the attacks of the issue, at their sizes: each was a signal, minutes or gigabytes
ATTACKS = {
    "6,000 backslash .b lines (30 KB, exit 139)": shape("attr_backslash", 6000),
    "12,000 elifs": shape("elif_ladder", 12000),
    "not chain": shape("not_chain", 12000),
    "20 KB unary chain (2.8 GB)": shape("unary_chain", 10000),
    "lambda chain": shape("lambda_chain", 6000),
    "60 KB '+ 1 \\' chain (189 s, then a segfault)": shape("plus_backslash", 10000),
    "40 lines of 499 nested brackets (9.4 GB, 62 s)": shape("brackets40", 499),
    "40 lines of 200 nested lists (1.5 GB, 12 s in LibCST)": shape("lists40", 200),
}


@pytest.mark.parametrize("what", list(ATTACKS))
def test_attacks_of_the_issue_are_one_finding(tmp_path: Path, what: str) -> None:
    path = tmp_path / "attack.py"
    path.write_text(ATTACKS[what])
    _assert_refused(_run(path), what)


def _notebook(*cells: str) -> bytes:
    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "outputs": [],
                                  "execution_count": None, "source": c.splitlines(keepends=True)}
                                 for c in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def test_56_kb_notebook_is_one_finding_and_the_other_cells_are_checked(tmp_path: Path) -> None:
    chain = shape("attr_backslash", 6000).split("\n", 1)[1]
    data = _notebook(SENTINEL, chain)
    assert 50_000 < len(data) < 200_000
    path = tmp_path / "attack.ipynb"
    path.write_bytes(data)
    res = _run(path, "--format", "json")
    assert res["signal"] is None and res["rc"] == 1, res
    found = json.loads(res["out"])
    codes = {(f["code"], f.get("cell")) for f in found}
    assert ("BF000", 2) in codes, found
    assert any(f["code"] == "BF302" and f["cell"] == 1 and f["location"]["row"] == SENTINEL_ROW
               for f in found), found
    assert res["seconds"] < UNDER_SECONDS and res["rss_mb"] < MAX_RSS_MB, res


def test_in_process_paths_stdin_and_few_files(tmp_path: Path) -> None:
    """stdin and runs of up to four files are analysed in the CLI's own
    process: a crash there lost every finding of the run."""
    attack = shape("attr_backslash", 6000).encode()
    good = tmp_path / "good.py"
    good.write_text(SENTINEL)
    bad = tmp_path / "bad.py"
    bad.write_bytes(attack)
    res = _run(bad, str(good))
    assert res["signal"] is None and res["rc"] == 1, res
    assert "BF302" in res["out"] and TOO_COMPLEX in res["out"], res["out"]
    res = _run(Path("-"), stdin=attack)
    assert res["signal"] is None and res["rc"] == 1 and TOO_COMPLEX in res["out"], res



def test_check_source_refuses_quickly_in_process() -> None:
    """The engine's entry point (the API, the server, the flake8 plugin)."""
    for text in ATTACKS.values():
        start = time.perf_counter()
        found = engine.check_source(text, "x.py", frozenset({"BF000"}), prefilter=False)
        assert [f.code for f in found] == ["BF000"] and TOO_COMPLEX in found[0].message
        assert time.perf_counter() - start < 5.0


def test_flake8_plugin_refuses_in_process() -> None:
    """The flake8 plugin runs in flake8's process (flake8 itself, through
    pyflakes' ast.parse, raises RecursionError on such files: not ours)."""
    from bflint.flake8_plugin import Plugin

    text = shape("attr_backslash", 6000)
    found = list(Plugin(None, text.splitlines(keepends=True), "x.py").run())
    assert len(found) == 1 and found[0][2].startswith("BF000 " + TOO_COMPLEX), found


def test_notebook_of_many_long_chains_is_not_parsed_cell_by_cell() -> None:
    """Each cell within the budget, the cells together over it: one finding,
    without a LibCST parse per cell (200 such cells took one each)."""
    from bflint import notebook

    chain = shape("attr_line", 900).split("\n", 1)[1]
    data = _notebook("import bayesflow as bf\n", *[chain] * 60)
    enabled = engine._enabled(None)
    notebook.check_notebook(_notebook("import bayesflow as bf\n"), "w.ipynb", enabled)  # imports
    start = time.process_time()
    found = notebook.check_notebook(data, "x.ipynb", enabled, prefilter=False)
    assert [f.code for f in found] == ["BF000"] and TOO_COMPLEX in found[0].message, found
    assert time.process_time() - start < 6.0  # 60 LibCST parses: ~60 s


def test_notebook_complex_cell_broken_cell_and_good_cell() -> None:
    from bflint import notebook

    data = _notebook(SENTINEL, shape("attr_backslash", 6000).split("\n", 1)[1], "def f(:\n    pass\n")
    found = notebook.check_notebook(data, "x.ipynb", engine._enabled(None), prefilter=False)
    got = {(f.code, f.cell) for f in found}
    assert {("BF000", 2), ("BF000", 3), ("BF302", 1)} <= got, found
    assert [f.cell for f in found if f.code == "BF000"] == [2, 3], found
    assert TOO_COMPLEX in next(f.message for f in found if f.cell == 2)
    assert "SyntaxError" in next(f.message for f in found if f.cell == 3)
