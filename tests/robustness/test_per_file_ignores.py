"""20,000 ``per-file-ignores`` patterns (issue 16 item 13): the patterns are
compiled once per run, not once per file (Python's fnmatch cache holds 32,768
patterns; with the variants of 20,000 it overflowed and every file
recompiled every pattern: 30 files took 155 s)."""

from __future__ import annotations

import fnmatch
import itertools
from pathlib import Path

from bflint import config

from .conftest import assert_clean_exit, run_bflint


def _reference_glob_match(rel: str, pattern: str) -> bool:
    """glob_match as it was (fnmatch on every call): the semantics to keep."""
    pat = pattern.strip()
    if pat.startswith("./"):
        pat = pat[2:]
    pat = pat.rstrip("/")
    candidates = {pat}
    if pat.startswith("**/"):
        candidates.add(pat[3:])
    for p in candidates:
        if fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(rel, p + "/*"):
            return True
    return "/" not in pat and fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], pat)


PATTERNS = ["tests/*", "tests/", "./tests/*.py", "**/conftest.py", "**/*.ipynb", "*.py", "x.py",
            "src/x.py", "src", "src/**/*.py", "t?sts/*", "[st]*/x.py", "notebooks/**", "a b/*",
            "*_test.py", "docs/*/x.py", " tests/* ", "**/", "pkg/[!a]*.py", "src/x.py/"]
PATHS = ["tests/x.py", "tests/sub/x.py", "x.py", "src/x.py", "src/a/b/x.py", "conftest.py",
         "a/conftest.py", "nb.ipynb", "notebooks/a/nb.ipynb", "a b/c.py", "pkg/a.py", "pkg/b.py",
         "foo_test.py", "docs/api/x.py", "srcx.py", "tests"]


def test_compiled_globs_match_like_fnmatch() -> None:
    for pattern, rel in itertools.product(PATTERNS, PATHS):
        assert config.glob_match(rel, pattern) == _reference_glob_match(rel, pattern), (pattern, rel)


def test_compiled_table_resolves_like_one_pattern_at_a_time(tmp_path: Path) -> None:
    table = {"tests/*": ["BF3"], "!src/*": ["BF107"], "**/conftest.py": ["BF302", "BF303"]}
    for rel in PATHS:
        got = config.ignored_codes_for(str(tmp_path / rel), table, tmp_path)
        want: list[str] = []
        for p, sel in table.items():
            neg = p.startswith("!")
            if _reference_glob_match(rel, p[1:] if neg else p) != neg:
                want.extend(sel)
        assert got == (config.selection.resolve(list(config.rule_codes()), want) if want else frozenset())
    assert config.compiled_per_file(table) is config.compiled_per_file(table)  # once per run


def test_20000_patterns_compile_once_per_run(tmp_path: Path) -> None:
    lines = ["[tool.bflint]", "[tool.bflint.per-file-ignores]"]
    lines += [f'"gen{i}/*.py" = ["BF107"]' for i in range(20_000)]
    lines.append('"pkg/m1*.py" = ["BF901"]')
    (tmp_path / "pyproject.toml").write_text("\n".join(lines) + "\n")
    (tmp_path / "pkg").mkdir()
    for i in range(20):
        (tmp_path / "pkg" / f"m{i}.py").write_text(
            "import bayesflow as bf\nimport os\nos.environ['KERAS_BACKEND'] = 'jax'\n")
    res = run_bflint("-j", "1", "--format", "concise", ".", cwd=tmp_path, timeout=60)
    assert_clean_exit(res, 1)
    # m1, m10..m19 are ignored by the last pattern: 9 findings remain
    assert res.out.count("BF901") == 9, res.out
    assert res.seconds < 30, res.seconds  # was ~5 s per file
