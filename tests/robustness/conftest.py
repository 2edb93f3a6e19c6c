"""Helpers for the robustness suite: run the real CLI in a subprocess with a
time bound (a hang or a crash of the interpreter must fail the test, not the
run)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

HEADER = "import bayesflow as bf\n"

# A script with one known finding (BF302 at row 4), used to prove that the
# other files of a run are still checked.
SENTINEL = (
    "import bayesflow as bf\n"
    "\n"
    "workflow = bf.BasicWorkflow(simulator=None)\n"
    "history = workflow.fit_offline(data=None, epochs=10)\n"
)
SENTINEL_ROW = 4

# Appended to small files in the tests of the default (parallel) run: the
# runner starts its process pool only for enough files AND enough source
# (runner.MIN_PARALLEL_FILES / MIN_PARALLEL_BYTES).
POOL_PAD = "# padding: enough source for the default run to use the process pool\n" * 400


@dataclasses.dataclass
class Result:
    rc: int
    out: str
    err: str
    seconds: float


def bflint_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("bflint")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bflint"]


def run_bflint(*args: str, cwd: Path | None = None, timeout: float = 20.0, input: bytes | None = None,
               env: dict | None = None, user: int | None = None, as_module: bool = False) -> Result:
    full_env = dict(os.environ)
    full_env.pop("PYTHONPATH", None)
    full_env.update(env or {})
    start = time.monotonic()
    cmd = [sys.executable, "-m", "bflint"] if as_module else bflint_cmd()
    proc = subprocess.run([*cmd, "--no-cache", *args], cwd=cwd, input=input,
                          capture_output=True, timeout=timeout, env=full_env,
                          **({"user": user} if user is not None else {}))
    return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"),
                  proc.stderr.decode("utf-8", "replace"), time.monotonic() - start)


def assert_clean_exit(res: Result, rc: int) -> None:
    """A defined exit status, no traceback, no crash."""
    assert "Traceback" not in res.out + res.err, res.out + res.err
    assert "Warning" not in res.err, res.err  # e.g. CPython's SyntaxWarning from a helper parse
    assert res.rc == rc, (res.rc, res.out, res.err)


@pytest.fixture
def bflint():
    return run_bflint
