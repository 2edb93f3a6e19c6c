"""The BayesFlow version a project targets (issue 13 §5).

bflint ships the API data of the last 2.0.x release and of 2.1.x
(``bflint/data/bayesflow_api_2.0.json``, ``bayesflow_api.json``). Which one a
file is judged against is, in this order:

1. ``--target-bayesflow 2.0|2.1`` on the command line;
2. ``target-bayesflow = "2.0" | "2.1"`` in ``[tool.bflint]``;
3. the project's own pin of ``bayesflow``, read (never executed) from the
   nearest directory above the file that has one: ``[project] dependencies``
   and ``[project.optional-dependencies]`` (and Poetry's dependency tables) in
   ``pyproject.toml``, ``install_requires`` / ``extras_require`` in
   ``setup.cfg``, ``requirements*.txt``, ``environment.yml`` (conda and its
   ``pip:`` list). The search stops at the repository root (a directory with
   ``.git``). A specifier selects the lowest supported series it allows
   (``==2.0.13``, ``~=2.0``, ``>=2.0``, ``>=2.0,<2.1`` and ``^2.0`` are 2.0:
   the code was written against the release its floor names; ``>=2.1`` is
   2.1);
4. otherwise the latest (2.1).
"""

from __future__ import annotations

import functools
import os
import re
import sys
from pathlib import Path

from bflint.source import LazyPattern


def toml():
    """The TOML reader (``tomllib``, ``tomli`` before 3.11), imported when a file is read:
    a run without a pyproject.toml never pays its import (~5 ms, issue 18 §2)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    return tomllib


SERIES = ("2.0", "2.1")
LATEST = "2.1"
# the release each series' data was generated from (scripts/gen_bayesflow_api.py --bayesflow)
RELEASES = {"2.0": "2.0.14", "2.1": "2.1.0"}

_NAME = LazyPattern(r"(?<![\w.-])bayesflow(?![\w.-])", re.IGNORECASE)
# `bayesflow[extra] >=2.0, <2.1 ; python_version >= "3.10"` (after the name)
_SPEC_TAIL = LazyPattern(r"^\s*(?:\[[^\]]*\])?\s*(?P<spec>(?:[<>=!~^]=?=?\s*[\w.*+!-]+\s*,?\s*)*)")
_ONE = LazyPattern(r"(?P<op>===|==|!=|~=|>=|<=|>|<|\^|=)\s*(?P<v>[\w.*+!-]+)")


class TargetError(ValueError):
    """An unknown target (exit code 2)."""


def normalize(value: str, where: str = "--target-bayesflow") -> str:
    """``"2.0"``/``"2.1"`` (also ``"2.0.14"``, ``"v2.1"``, ``"latest"``) -> the series."""
    text = str(value).strip().lower().lstrip("v")
    if text == "latest":
        return LATEST
    m = re.fullmatch(r"(\d+)\.(\d+)(?:\.\d+)?", text)
    if m and f"{m.group(1)}.{m.group(2)}" in SERIES:
        return f"{m.group(1)}.{m.group(2)}"
    raise TargetError(f"`{where}` must be one of {', '.join(repr(s) for s in SERIES)}, got {value!r}")


# --------------------------------------------------------------------------- specifiers


def _version(text: str) -> tuple[int, ...] | None:
    parts = []
    for p in text.split("."):
        m = re.match(r"\d+", p)
        if not m:
            break
        parts.append(int(m.group()))
        if m.end() != len(p):
            break
    return tuple(parts) or None


def _pad(v: tuple[int, ...], n: int = 3) -> tuple[int, ...]:
    return v + (0,) * (n - len(v))


def _allows(op: str, spec: str, candidate: tuple[int, int, int]) -> bool:
    if spec.endswith(".*") and op in ("==", "!="):
        prefix = _version(spec[:-2]) or ()
        hit = candidate[:len(prefix)] == prefix
        return hit if op == "==" else not hit
    v = _version(spec)
    if v is None:
        return True  # not a version we can read: no constraint
    pv = _pad(v)
    if op in ("==", "===", "="):
        if op == "=" and len(v) < 3:  # conda `bayesflow=2.0` means 2.0.*
            return candidate[:len(v)] == v
        return candidate == pv
    if op == "!=":
        return candidate != pv
    if op == ">=":
        return candidate >= pv
    if op == "<=":
        return candidate <= pv
    if op == ">":
        return candidate > pv
    if op == "<":
        return candidate < pv
    if op == "~=":  # compatible release: >= v, == v[:-1].*
        if len(v) < 2:
            return candidate >= pv
        return candidate >= pv and candidate[:len(v) - 1] == v[:-1]
    if op == "^":  # Poetry caret: >= v, < next major (or next minor for 0.x)
        upper = (v[0] + 1, 0, 0) if v[0] else (0, (v[1] if len(v) > 1 else 0) + 1, 0)
        return pv <= candidate < upper
    return True


def series_of(spec: str) -> str | None:
    """The lowest supported series a specifier text (``">=2.0,<2.1"``) allows;
    ``LATEST`` for no specifier; None when it allows none of them (a 1.x pin)."""
    ops = [(m.group("op"), m.group("v")) for m in _ONE.finditer(spec)]
    if not ops:
        return LATEST
    for series in SERIES:
        major, minor = (int(x) for x in series.split("."))
        if any(all(_allows(op, v, (major, minor, patch)) for op, v in ops) for patch in range(0, 40)):
            return series
    return None


def _from_requirement(text: str) -> str | None | bool:
    """A requirement line: its series, None (pins bayesflow to an unsupported
    version), or False (it is not about bayesflow)."""
    m = _NAME.search(text)
    if m is None:
        return False
    before = text[:m.start()].strip().strip("\"'-").strip()
    if before and not before.endswith(("=", ":", ",", "[")):
        return False  # `foo-bayesflow`, a comment mentioning it, ...
    tail = text[m.end():]
    if re.match(r"\s*@", tail):  # a direct URL: `bayesflow @ git+...@v2.0.14`
        tag = re.search(r"@v?(\d+\.\d+(?:\.\d+)?)\s*$", tail.strip().strip("\"',"))
        return series_of("==" + tag.group(1)) if tag else LATEST
    spec = _SPEC_TAIL.match(tail)
    return series_of(spec.group("spec") if spec else "")


def _first(requirements) -> str | None | bool:
    found: str | None | bool = False
    for req in requirements:
        if not isinstance(req, str):
            continue
        got = _from_requirement(req.split("#", 1)[0] if not req.lstrip().startswith("#") else "")
        if got is not False:
            if got is not None:
                return got
            found = None
    return found


# --------------------------------------------------------------------------- pin files


def _pyproject(path: Path) -> str | None | bool:
    tomllib = toml()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, tomllib.TOMLDecodeError):
        return False
    reqs: list = []
    project = data.get("project")
    if isinstance(project, dict):
        deps = project.get("dependencies")
        if isinstance(deps, list):
            reqs.extend(deps)
        opt = project.get("optional-dependencies")
        if isinstance(opt, dict):
            for group in opt.values():
                if isinstance(group, list):
                    reqs.extend(group)
    groups = data.get("dependency-groups")  # PEP 735
    if isinstance(groups, dict):
        for group in groups.values():
            if isinstance(group, list):
                reqs.extend(g for g in group if isinstance(g, str))
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    if isinstance(poetry, dict):
        tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
        for g in (poetry.get("group") or {}).values() if isinstance(poetry.get("group"), dict) else ():
            if isinstance(g, dict):
                tables.append(g.get("dependencies"))
        for table in tables:
            if isinstance(table, dict):
                for name, value in table.items():
                    if name.lower() == "bayesflow":
                        if isinstance(value, dict):
                            value = value.get("version", "")
                        reqs.append(f"bayesflow {value if isinstance(value, str) else ''}")
    return _first(reqs)


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def _requirements(path: Path) -> str | None | bool:
    return _first(line for line in _lines(path) if not line.lstrip().startswith(("-", "#")))


def _environment(path: Path) -> str | None | bool:
    # dependencies: [- bayesflow=2.0.13, - pip: [- bayesflow==2.0.13]]; read as lines (no YAML parser)
    reqs = []
    for line in _lines(path):
        m = re.match(r"\s*-\s*(.*)$", line)
        if m:
            reqs.append(m.group(1).strip().strip("\"'"))
    return _first(reqs)


def _setup_cfg(path: Path) -> str | None | bool:
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, configparser.Error):
        return False
    reqs: list[str] = []
    if parser.has_option("options", "install_requires"):
        reqs.extend(parser.get("options", "install_requires").splitlines())
    if parser.has_section("options.extras_require"):
        for _, value in parser.items("options.extras_require"):
            reqs.extend(value.splitlines())
    return _first(reqs)


def pin_in(directory: Path) -> tuple[str | None, Path] | None:
    """(series or None, the file) of the first pin file in ``directory`` that
    names bayesflow; None when none does."""
    candidates: list[tuple[Path, object]] = [(directory / "pyproject.toml", _pyproject),
                                             (directory / "setup.cfg", _setup_cfg)]
    try:  # names as strings: a Path per entry cost ~1 ms per directory up to the root (issue 18 §2)
        names = sorted(n for n in os.listdir(directory)
                       if n.lower().startswith("requirements") and n.lower().endswith(".txt"))
    except OSError:
        names = []
    candidates += [(directory / n, _requirements) for n in names]
    candidates += [(directory / n, _environment) for n in ("environment.yml", "environment.yaml")]
    for path, reader in candidates:
        if not path.is_file():
            continue
        got = reader(path)  # type: ignore[operator]
        if got is not False:
            return got, path
    return None


@functools.lru_cache(maxsize=4096)
def _for_directory(directory: Path) -> tuple[str, str | None]:
    """(series, the pin file that decided it or None) for files in ``directory``."""
    d = directory
    while True:
        found = pin_in(d)
        if found is not None:
            series, path = found
            return (series or LATEST), str(path)
        if (d / ".git").exists() or d.parent == d:
            return LATEST, None
        d = d.parent


def detect(path: str | Path) -> tuple[str, str | None]:
    """The series a file (or directory) is judged against when nothing sets it,
    and the pin file it was read from (None: the latest, by default)."""
    p = Path(path)
    try:
        p = p.resolve()
    except (OSError, RuntimeError):
        p = p.absolute()
    directory = p if p.is_dir() else p.parent
    return _for_directory(directory)


def for_file(path: str | Path, explicit: str | None = None) -> str:
    return explicit or detect(path)[0]
