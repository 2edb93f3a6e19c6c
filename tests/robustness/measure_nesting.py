"""Measure where LibCST (and bflint) blow up on pathological nesting shapes
(issue 16 item 10). Not a test: run it by hand, e.g.

    python tests/robustness/measure_nesting.py elif_ladder 1000 4000 12000

Each case runs in its own subprocess with an address-space limit (default
4 GB) and a time limit; the report gives the exit status (or signal), the wall
time and the peak RSS (wait4's ru_maxrss) for: LibCST on the main thread, LibCST
on bflint's deep stack (run_deep) and the whole bflint command."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = "import bayesflow as bf\n"


def shape(name: str, n: int) -> str:
    """The attack shapes; ``n`` is the chain length / nesting depth."""
    if name == "attr_backslash":       # x = a \ + n ".b \" lines
        return HEADER + "x = a \\\n" + ".b \\\n" * n + ".b\n"
    if name == "plus_backslash":       # x = a \ + n "+ 1 \" lines
        return HEADER + "x = a \\\n" + "+ 1 \\\n" * n + "+ 1\n"
    if name == "plus_paren":           # the same chain inside one pair of brackets
        return HEADER + "x = (a\n" + "+ 1\n" * n + ")\n"
    if name == "and_paren":
        return HEADER + "x = (a\n" + "and b\n" * n + ")\n"
    if name == "concat_paren":         # implicit string concatenation, one string a line
        return HEADER + "x = (\n" + "'s'\n" * n + ")\n"
    if name == "elif_ladder":
        return HEADER + "if a:\n    pass\n" + "elif a:\n    pass\n" * n
    if name == "not_chain":
        return HEADER + "x = " + "not " * n + "a\n"
    if name == "unary_chain":
        return HEADER + "x = " + "- " * n + "a\n"
    if name == "lambda_chain":
        return HEADER + "x = " + "lambda: " * n + "a\n"
    if name == "attr_line":            # a.b.b.b... on one line
        return HEADER + "x = a" + ".b" * n + "\n"
    if name == "dotted_import":
        return HEADER + "import a" + ".b" * n + "\n"
    if name == "call_chain":
        return HEADER + "x = f" + "()" * n + "\n"
    if name == "subscript_chain":
        return HEADER + "x = a" + "[0]" * n + "\n"
    if name == "power_chain":
        return HEADER + "x = 2" + " ** 2" * n + "\n"
    if name == "ternary_chain":
        return HEADER + "x = " + "a if b else " * n + "c\n"
    if name == "brackets40":           # 40 lines of n nested brackets
        return HEADER + ("x = " + "(" * n + "1" + ")" * n + "\n") * 40
    if name == "brackets1":
        return HEADER + "x = " + "(" * n + "1" + ")" * n + "\n"
    if name == "lists1":               # x = [[[...]]] (CPython stops at 200)
        return HEADER + "x = " + "[" * n + "]" * n + "\n"
    if name == "lists40":
        return HEADER + ("x = " + "[" * n + "]" * n + "\n") * 40
    if name == "indent":               # nested if blocks
        return HEADER + "".join("    " * i + "if a:\n" for i in range(n)) + "    " * n + "pass\n"
    raise KeyError(name)


SHAPES = ("attr_backslash", "plus_backslash", "plus_paren", "and_paren", "concat_paren",
          "elif_ladder", "not_chain", "unary_chain", "lambda_chain", "attr_line", "dotted_import",
          "call_chain", "subscript_chain", "power_chain", "ternary_chain", "brackets40", "brackets1", "lists1", "lists40",
          "indent")

_CHILD = {
    "main": "import libcst as cst, sys; cst.parse_module(open(sys.argv[1]).read())",
    "deep": ("import libcst as cst, sys; from bflint.source import run_deep; "
             "run_deep(cst.parse_module, open(sys.argv[1]).read())"),
}


def run_case(cmd: list[str], timeout: float, as_limit: int | None) -> dict:
    def limits():
        if as_limit:
            resource.setrlimit(resource.RLIMIT_AS, (as_limit, as_limit))

    start = time.monotonic()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, preexec_fn=limits)
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout:
                os.kill(proc.pid, signal.SIGKILL)
                pid, status, ru = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        proc.returncode = 0  # reaped by wait4
        secs = time.monotonic() - start
        out.seek(0)
        tail = out.read()[-300:].decode("utf-8", "replace")
    if os.WIFSIGNALED(status):
        rc = f"signal {os.WTERMSIG(status)}" + (" (timeout)" if secs > timeout else "")
    else:
        rc = os.WEXITSTATUS(status)
    return {"rc": rc, "seconds": round(secs, 2), "maxrss_mb": round(ru.ru_maxrss / 1024),
            "tail": tail.strip().splitlines()[-1][:160] if tail.strip() else ""}


def measure(name: str, n: int, modes=("main", "deep", "bflint"), timeout=60.0,
            as_limit=4 << 30) -> dict:
    src = shape(name, n)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "case.py"
        path.write_text(src)
        row = {"shape": name, "n": n, "bytes": len(src.encode())}
        for mode in modes:
            if mode == "bflint":
                exe = Path(sys.executable).with_name("bflint")
                cmd = [str(exe), "--no-cache", "--isolated", str(path)]
            else:
                cmd = [sys.executable, "-c", _CHILD[mode], str(path)]
            row[mode] = run_case(cmd, timeout, as_limit)
    return row


if __name__ == "__main__":
    args = sys.argv[1:]
    modes = ("main", "deep", "bflint")
    if args and args[0].startswith("--modes="):
        modes = tuple(args.pop(0).split("=", 1)[1].split(","))
    name, sizes = args[0], [int(a) for a in args[1:]]
    for n in sizes:
        print(json.dumps(measure(name, n, modes)), flush=True)
