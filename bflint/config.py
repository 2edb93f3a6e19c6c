"""Project configuration: ``[tool.bflint]`` in ``pyproject.toml`` or the
top level of ``bflint.toml``.

The nearest configuration file is searched upward from the checked paths
(``bflint.toml`` wins over ``pyproject.toml`` in the same directory; a
``pyproject.toml`` without a ``[tool.bflint]`` table is skipped). Patterns
(``exclude``, ``per-file-ignores``) are relative to the directory of that
file. Command-line options override the file.

Keys::

    select = ["BF"]               # codes or prefixes (default: ALL)
    ignore = ["BF107"]
    extend-select = []
    exclude = ["legacy/"]         # globs of files/directories to skip
    extend-exclude = []
    per-file-ignores = { "tests/*" = ["BF3"], "notebooks/**/*.ipynb" = ["BF107"] }
    respect-gitignore = true      # skip what .gitignore files ignore (below the named paths;
                                  #   read by bflint.gitignore, git is never run)
    force-exclude = false         # apply excludes to files named explicitly too
    target-bayesflow = "2.0"      # judge against BayesFlow 2.0 or 2.1 (default: the project's pin,
                                  #   else the latest; bflint.target)
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from bflint import selection, target
from bflint.gitignore import Matcher
from bflint.registry import rule_codes
from bflint.source import LazyPattern

CONFIG_FILES = ("bflint.toml", "pyproject.toml")


class ConfigError(ValueError):
    """A configuration file that cannot be used (exit code 2)."""


@dataclasses.dataclass
class Config:
    path: Path | None = None          # the file it came from
    select: list[str] | None = None
    ignore: list[str] = dataclasses.field(default_factory=list)
    extend_select: list[str] = dataclasses.field(default_factory=list)
    exclude: list[str] = dataclasses.field(default_factory=list)
    extend_exclude: list[str] = dataclasses.field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    respect_gitignore: bool = True
    force_exclude: bool = False
    target_bayesflow: str | None = None  # "2.0" / "2.1"; None: detected (bflint.target)

    @property
    def root(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()


_LIST_KEYS = ("select", "ignore", "extend-select", "exclude", "extend-exclude")
_BOOL_KEYS = ("respect-gitignore", "force-exclude")
KEYS = _LIST_KEYS + ("per-file-ignores",) + _BOOL_KEYS + ("target-bayesflow",)


def _codes() -> list[str]:
    return list(rule_codes())


def _str_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"`{where}` must be a list of strings, got {type(value).__name__}: {value!r}")
    return list(value)


def parse(table: dict[str, Any], path: Path | None = None, prefix: str = "") -> Config:
    """Validate one ``[tool.bflint]`` table."""
    cfg = Config(path=path)
    codes = _codes()
    for key, value in table.items():
        where = prefix + key
        if key not in KEYS:
            import difflib  # start-up: only an unknown key asks

            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else f" (known keys: {', '.join(KEYS)})"
            raise ConfigError(f"unknown key `{where}`{hint}")
        if key in _BOOL_KEYS:
            if not isinstance(value, bool):
                raise ConfigError(f"`{where}` must be true or false, got {value!r}")
            setattr(cfg, key.replace("-", "_"), value)
        elif key == "target-bayesflow":
            try:
                cfg.target_bayesflow = target.normalize(value, where)
            except target.TargetError as exc:
                raise ConfigError(str(exc)) from None
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"`{where}` must be a table of glob = [codes], got {type(value).__name__}")
            out = {}
            for pattern, sel in value.items():
                sel = _str_list(sel, f"{where}.{pattern}")
                _validate(selection, sel, codes, f"{where}.\"{pattern}\"")
                out[pattern] = [s.upper() for s in sel]
            cfg.per_file_ignores = out
        else:
            items = _str_list(value, where)
            if key in ("select", "ignore", "extend-select"):
                _validate(selection, items, codes, where)
                items = [s.upper() for s in items]
            setattr(cfg, key.replace("-", "_"), items)
    return cfg


def _validate(selection, items: list[str], codes: list[str], where: str) -> None:
    try:
        selection.validate(items, codes)
    except selection.SelectionError as exc:
        raise ConfigError(f"`{where}`: {exc}") from None


def read(path: Path) -> Config | None:
    """The configuration in one file (None: a pyproject.toml without
    ``[tool.bflint]``). Raises ConfigError."""
    tomllib = target.toml()
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the file: {exc}") from None
    try:
        if path.name == "pyproject.toml":
            table = data.get("tool", {})
            table = table.get("bflint") if isinstance(table, dict) else None
            if table is None:
                return None
            if not isinstance(table, dict):
                raise ConfigError("`tool.bflint` must be a table")
            return parse(table, path, "tool.bflint.")
        return parse(data, path)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def find(start: Path) -> Path | None:
    """The nearest configuration file at or above ``start``."""
    start = start.resolve() if start.exists() else start.absolute()
    if start.is_file() or not start.exists():
        start = start.parent
    for d in (start, *start.parents):
        for name in CONFIG_FILES:
            p = d / name
            if p.is_file():
                if name == "pyproject.toml" and not _has_bflint_table(p):
                    continue
                return p
    return None


def _has_bflint_table(p: Path) -> bool:
    try:
        text = p.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    if "bflint" not in text:
        return False
    tomllib = target.toml()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return True  # mentions bflint: report the syntax error
    tool = data.get("tool")
    return isinstance(tool, dict) and "bflint" in tool


def discover(paths: Sequence[str]) -> Config:
    """The configuration for checking ``paths`` (their common directory)."""
    existing = [os.path.abspath(p) for p in paths if p != "-"] or [os.getcwd()]
    try:
        common = Path(os.path.commonpath(existing))
    except ValueError:  # different drives
        common = Path(existing[0])
    found = find(common)
    if found is None:
        return Config()
    return read(found) or Config()


def load(path: str | os.PathLike) -> Config:
    """An explicitly given configuration file (``--config``)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: no such configuration file")
    cfg = read(p)
    if cfg is None:
        raise ConfigError(f"{p}: has no [tool.bflint] table")
    return cfg


# -- applying ----------------------------------------------------------------

def enabled_codes(cfg: Config, select: Iterable[str] | None = None, ignore: Iterable[str] = (),
                  extend_select: Iterable[str] = ()) -> frozenset[str]:
    """Rule selection: the file, then the command line on top. A command-line
    ``--select`` replaces the file's selection; ``--ignore`` and
    ``--extend-select`` adjust it. Raises SelectionError."""
    codes = _codes()
    ignore, extend_select = list(ignore), list(extend_select)
    ignored = [*cfg.ignore, *ignore]
    if select is not None:
        chosen = selection.resolve(codes, list(select), ignore, extend_select)
        return selection.with_always(chosen, codes, ignored)
    base = selection.resolve(codes, cfg.select, cfg.ignore, cfg.extend_select)
    if ignore or extend_select:
        cli_ignored = selection.resolve(codes, ignore) if ignore else frozenset()
        cli_added = selection.resolve(codes, extend_select, ignore) if extend_select else frozenset()
        base = frozenset((base - cli_ignored) | cli_added)
    return selection.with_always(base, codes, ignored)


def _relative(path: str, root: Path) -> str:
    try:
        return Path(os.path.abspath(path)).relative_to(root.resolve()).as_posix()
    except ValueError:
        try:
            return Path(os.path.abspath(path)).relative_to(root.absolute()).as_posix()
        except ValueError:
            return Path(path).as_posix()


_MAGIC = LazyPattern(r"[*?\[]")


class _Glob:
    """One fnmatch glob, compiled on first use; a path that does not start
    with the glob's literal prefix is rejected without a regex."""

    __slots__ = ("prefix", "glob", "regex")

    def __init__(self, glob: str) -> None:
        m = _MAGIC.search(glob)
        self.prefix = glob if m is None else glob[:m.start()]
        self.glob = glob
        self.regex: Any = None if m is not None else False  # False: a literal

    def match(self, text: str) -> bool:
        if not text.startswith(self.prefix):
            return False
        if self.regex is False:
            return text == self.glob
        if self.regex is None:
            self.regex = re.compile(fnmatch.translate(self.glob))
        return self.regex.match(text) is not None


class _CompiledGlob:
    """``glob_match`` for one pattern, compiled once."""

    __slots__ = ("full", "name")

    def __init__(self, pattern: str) -> None:
        pat = pattern.strip()
        if pat.startswith("./"):
            pat = pat[2:]
        pat = pat.rstrip("/")
        candidates = [pat]
        if pat.startswith("**/"):
            candidates.append(pat[3:])
        self.full = [_Glob(p) for c in candidates for p in (c, c + "/*")]
        self.name = _Glob(pat) if "/" not in pat else None

    def match(self, rel: str) -> bool:
        if any(g.match(rel) for g in self.full):
            return True
        return self.name is not None and self.name.match(rel.rsplit("/", 1)[-1])


def glob_match(rel: str, pattern: str) -> bool:
    """``pattern`` (relative to the configuration directory) matches the
    relative path ``rel``: globs as in fnmatch (``*`` also crosses ``/``),
    ``**/`` may match nothing, a directory pattern matches what is inside,
    a pattern without ``/`` matches the file name too."""
    return _CompiledGlob(pattern).match(rel)


class PerFileIgnores:
    """``per-file-ignores`` compiled once per run (issue 16 item 13: 20,000
    patterns overflowed fnmatch's own cache, so every file recompiled every
    pattern: 30 files took 155 s). Results are cached per relative path and
    per selection."""

    def __init__(self, per_file_ignores: dict[str, list[str]]) -> None:
        self.items = [(pattern.startswith("!"),
                       _CompiledGlob(pattern[1:] if pattern.startswith("!") else pattern), sel)
                      for pattern, sel in per_file_ignores.items()]
        self._resolved: dict[tuple[tuple[str, ...], tuple[str, ...]], frozenset[str]] = {}

    def codes_for(self, rel: str, codes: Sequence[str]) -> frozenset[str]:
        selected: list[str] = []
        for negate, glob, sel in self.items:
            if glob.match(rel) != negate:
                selected.extend(sel)
        if not selected:
            return frozenset()
        key = (tuple(selected), tuple(codes))
        hit = self._resolved.get(key)
        if hit is None:
            hit = self._resolved[key] = selection.resolve(list(codes), selected)
        return hit


# one compiled table per per-file-ignores dict (the CLI, the server and the
# API pass the same dict for every file of a run); the dict is kept alive
# with its entry so its id cannot be reused while cached
_COMPILED: dict[int, tuple[dict, PerFileIgnores]] = {}


def compiled_per_file(per_file_ignores: dict[str, list[str]]) -> PerFileIgnores:
    hit = _COMPILED.get(id(per_file_ignores))
    if hit is not None and hit[0] is per_file_ignores:
        return hit[1]
    compiled = PerFileIgnores(per_file_ignores)
    if len(_COMPILED) >= 8:
        _COMPILED.clear()
    _COMPILED[id(per_file_ignores)] = (per_file_ignores, compiled)
    return compiled


def ignored_codes_for(filename: str, per_file_ignores: dict[str, list[str]], root: Path,
                      codes: Sequence[str] | None = None) -> frozenset[str]:
    """Codes ignored for one file by ``per-file-ignores``."""
    if not per_file_ignores:
        return frozenset()
    rel = _relative(filename, root)
    return compiled_per_file(per_file_ignores).codes_for(rel, codes if codes is not None else _codes())


def filter_per_file(findings: list, per_file_ignores: dict[str, list[str]], root: Path) -> list:
    if not per_file_ignores:
        return findings
    cache: dict[str, frozenset[str]] = {}
    codes = _codes()
    out = []
    for f in findings:
        if f.filename not in cache:
            cache[f.filename] = ignored_codes_for(f.filename, per_file_ignores, root, codes)
        if f.code not in cache[f.filename]:
            out.append(f)
    return out


def git_ignored(files: Sequence[Path]) -> set[str]:
    """The files (as given) that git ignores, by reading the ``.gitignore``
    files (bflint.gitignore): git itself is never run (issue 16 item 2: it
    would honour the tree's own ``.git/config`` hooks). Discovery applies the
    same rules during its walk; this is for callers with a list of files."""
    m = Matcher()
    return {str(f) for f in files if m.path_ignored(os.fspath(f), False)}
