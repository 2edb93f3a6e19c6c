"""bflint's own code is ruff-clean and mypy-clean (issue 10 §5:
the habits of Fixit's and ruff's maintainers), configured in pyproject.toml.
Both tools come with the ``test`` extra; the README's test command runs this."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)


def test_ruff_is_clean():
    res = _run("ruff", "check", "--no-cache", ".")
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]


def test_mypy_is_clean():
    res = _run("mypy", "--no-incremental")
    errors = [line for line in res.stdout.splitlines() if ": error:" in line]
    assert errors == [], "\n".join(errors)
    assert res.returncode == 0, (res.stdout + res.stderr)[-2000:]
