"""A warm run pays only for what it uses (issue 18 §2): a run whose files all hit the
cache (or fail the pre-filter) imports neither LibCST, nor the model, nor the rules,
nor what only other paths need (the fixers, TOML without a configuration file,
importlib.resources for the packaged data, difflib's suggestions, tracebacks), and
compiles no regular expression of bflint's at import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

NOT_ON_THE_WARM_PATH = ("libcst", "bflint.model", "bflint.semantic", "bflint.analyze", "bflint.rules.",
                        "bflint.fix", "bflint.notebook_fix", "bflint.add_noqa", "importlib.resources",
                        "tomllib", "difflib", "_hashlib", "traceback")


def _imported(stderr: str) -> set[str]:
    return {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines()
            if line.startswith("import time:") and "|" in line}


def test_cached_run_imports_only_what_it_uses(tmp_path: Path) -> None:
    (tmp_path / "one.py").write_text(
        "import bayesflow as bf\nwf = bf.BasicWorkflow()\nwf.fit_offline(data, epochs=2)\n")
    (tmp_path / "plain.py").write_text("x = 1\n")
    cmd = [sys.executable, "-X", "importtime", "-m", "bflint", "check", "one.py", "plain.py"]
    cold = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "libcst" in _imported(cold.stderr)  # the cold run analysed one.py
    warm = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "BF" in warm.stdout and warm.stdout == cold.stdout
    heavy = sorted(m for m in _imported(warm.stderr)
                   if any(m == n or m.startswith(n if n.endswith(".") else n + ".")
                          for n in NOT_ON_THE_WARM_PATH))
    assert heavy == []


def test_module_patterns_compile_on_first_use() -> None:
    code = ("import bflint.cli, bflint.output as o, bflint.suppression as s, bflint.source as src\n"
            "lazy = [v for m in (o, s, src) for v in vars(m).values() if isinstance(v, src.LazyPattern)]\n"
            "assert len(lazy) >= 6 and all(v._compiled is None for v in lazy), lazy\n"
            "assert o.safe('a\\x1bb') == 'a\\u241bb' and o._UNSAFE._compiled is not None\n"
            "assert o._UNSAFE.pattern.startswith('[')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
