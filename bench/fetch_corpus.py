"""Rebuild the real-code corpus of ``bench/corpus.toml`` in a cache folder outside the repository.

    python bench/fetch_corpus.py                      # into ~/.cache/bflint-corpus
    python bench/fetch_corpus.py --dest /tmp/corpus   # elsewhere
    python bench/fetch_corpus.py --mirrors DIR        # where bare mirrors live

The corpus is public BayesFlow user code nobody wrote for bflint (issue 18 section 4; also the
precision/recall measurement of issue 11/12). Nothing of it is ever committed: the TOML lists only
repositories, commits and paths. Each repository is taken, in this order, from

1. a bare mirror ``<mirrors>/<owner>+<name>/repo`` (``--mirrors``, ``$BFLINT_CORPUS_MIRRORS``,
   default ``/work/.mirror``), if it holds the pinned commit;
2. ``git clone --filter=blob:none`` of ``https://github.com/<owner>/<name>`` into the cache (only
   with ``--clone``: the bench must not reach the network unasked).

A repository that can be had neither way is skipped with one line saying so; the exit code is 0
as long as at least one repository was built (``--strict``: every one). Only ``.py`` and
``.ipynb`` files under the listed ``paths`` (minus ``exclude``) are written, file by file (and the
top-level files that pin BayesFlow: ``pyproject.toml``, ``setup.cfg``, ``requirements*.txt``,
``environment.yml``, which decide the release bflint judges the code against), so a
blob a mirror lacks (files of 4 MiB and more are not mirrored) is skipped, not fatal. The user's
code is never imported or executed.

Prints one line per repository and a last line ``corpus: N files from M repositories in DEST``.
``--manifest`` also writes ``MANIFEST.tsv`` (repo, commit, path, kind, source) next to the files.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import tomllib

HERE = Path(__file__).resolve().parent
DEFAULT_TOML = HERE / "corpus.toml"
DEFAULT_MIRRORS = "/work/.mirror"
SUFFIXES = (".py", ".ipynb")


def _git(git_dir: Path, *args: str, binary: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], capture_output=True,
                          text=not binary, timeout=300)


def has_commit(git_dir: Path, commit: str) -> bool:
    return (git_dir.is_dir()
            and _git(git_dir, "cat-file", "-e", f"{commit}^{{commit}}").returncode == 0)


def locate(repo: str, commit: str, mirrors: Path, cache: Path, clone: bool) -> tuple[Path | None, str]:
    owner_name = repo.replace("/", "+")
    mirror = mirrors / owner_name / "repo"
    if has_commit(mirror, commit):
        return mirror, "mirror"
    cloned = cache / ".git-cache" / f"{owner_name}.git"
    if has_commit(cloned, commit):
        return cloned, "clone (cached)"
    if not clone:
        why = "no mirror with that commit" if not mirror.is_dir() else "mirror lacks the commit"
        return None, f"{why} at {mirror} (use --clone to try git clone)"
    cloned.parent.mkdir(parents=True, exist_ok=True)
    url = f"https://github.com/{repo}"
    try:
        r = subprocess.run(["git", "clone", "--quiet", "--bare", "--filter=blob:none", url, str(cloned)],
                           capture_output=True, text=True, timeout=600,
                           env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"git clone failed: {exc}"
    if r.returncode != 0 or not has_commit(cloned, commit):
        return None, f"git clone of {url} failed: {(r.stderr or '').strip().splitlines()[-1:]}"
    return cloned, "clone"


# the repository's BayesFlow pin (bflint judges a file against the release its project pins:
# README "target-bayesflow"), taken from the top level whatever ``paths`` says; not linted
PIN_FILES = re.compile(r"(pyproject\.toml|setup\.cfg|requirements[^/]*\.txt|environment\.ya?ml)")


def wanted(path: str, paths: list[str], exclude: list[str]) -> bool:
    if PIN_FILES.fullmatch(path):
        return True
    if not path.endswith(SUFFIXES):
        return False
    def under(p: str, prefixes: list[str]) -> bool:
        return any(p == x or p.startswith(x.rstrip("/") + "/") for x in prefixes)
    if paths and not under(path, paths):
        return False
    return not under(path, exclude)


def kind_of(path: str, modules: set[str]) -> str:
    if PIN_FILES.fullmatch(path):
        return "pin"
    if path.endswith(".ipynb"):
        return "notebook"
    return "module" if path in modules else "script"


def build_repo(entry: dict, git_dir: Path, dest: Path) -> tuple[list[str], int]:
    commit = entry["commit"]
    r = _git(git_dir, "ls-tree", "-r", "-z", "--full-tree", commit)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    out_root = dest / entry["repo"].replace("/", "+")
    written, missing = [], 0
    for rec in r.stdout.split("\0"):
        if not rec:
            continue
        meta, path = rec.split("\t", 1)
        mode, typ, sha = meta.split()
        if typ != "blob" or mode == "120000":
            continue
        if not wanted(path, entry.get("paths", []), entry.get("exclude", [])):
            continue
        blob = _git(git_dir, "cat-file", "blob", sha, binary=True)
        if blob.returncode != 0:
            missing += 1
            continue
        target = out_root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(blob.stdout)
        os.replace(tmp, target)
        written.append(path)
    return written, missing


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--toml", type=Path, default=DEFAULT_TOML)
    ap.add_argument("--dest", type=Path,
                    default=Path(os.environ.get("BFLINT_CORPUS_DIR",
                                                Path.home() / ".cache" / "bflint-corpus")))
    ap.add_argument("--mirrors", type=Path,
                    default=Path(os.environ.get("BFLINT_CORPUS_MIRRORS", DEFAULT_MIRRORS)))
    ap.add_argument("--clone", action="store_true", help="git clone repositories no mirror has")
    ap.add_argument("--strict", action="store_true", help="exit 1 if any repository is skipped")
    ap.add_argument("--manifest", action="store_true", help="write DEST/MANIFEST.tsv")
    args = ap.parse_args(argv)

    spec = tomllib.loads(args.toml.read_text(encoding="utf-8"))
    repos = spec.get("repo", [])
    dest: Path = args.dest.resolve()
    root = Path(__file__).resolve().parent.parent
    if dest == root or root in dest.parents:
        print(f"fetch_corpus: refusing to build inside the repository ({dest})", file=sys.stderr)
        return 2
    dest.mkdir(parents=True, exist_ok=True)
    rows, built, skipped, total = [], 0, 0, 0
    for entry in repos:
        name, commit = entry["repo"], entry["commit"]
        git_dir, how = locate(name, commit, args.mirrors, dest, args.clone)
        if git_dir is None:
            print(f"skip  {name}@{commit[:10]}: {how}")
            skipped += 1
            continue
        try:
            files, missing = build_repo(entry, git_dir, dest)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            print(f"skip  {name}@{commit[:10]}: {exc}")
            skipped += 1
            continue
        built += 1
        pins = [f for f in files if PIN_FILES.fullmatch(f)]
        total += len(files) - len(pins)
        note = f", {missing} blob(s) not in the {how}" if missing else ""
        note += f" (+ pins: {', '.join(pins)})" if pins else ""
        print(f"ok    {name}@{commit[:10]}: {len(files) - len(pins)} files from {how}{note}")
        modules = set(entry.get("modules", []))
        for f in files:
            rows.append((name, commit, f, kind_of(f, modules), how))
    if args.manifest:
        tmp = dest / "MANIFEST.tsv.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write("repo\tcommit\tpath\tkind\tsource\n")
            for r in rows:
                fh.write("\t".join(r) + "\n")
        os.replace(tmp, dest / "MANIFEST.tsv")
    print(f"corpus: {total} files from {built} repositories in {dest}"
          + (f" ({skipped} skipped)" if skipped else ""))
    if built == 0 or (args.strict and skipped):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
