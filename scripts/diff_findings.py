"""Compare bflint's findings of two source trees over the same inputs.

    python scripts/diff_findings.py --rev main               # main vs this tree
    python scripts/diff_findings.py --old /tmp/old           # a checked-out tree vs this tree
    python scripts/diff_findings.py --rev HEAD~3 --new /tmp/other
    python scripts/diff_findings.py --rev main --positions-only   # message changes reported, not failed

Both trees lint the same inputs (the new tree's ``tests/fixtures/**`` and
``examples/**``, ``.py`` and ``.ipynb``: the rule fixtures, the clean
workflows and the notebooks the tests use) with every rule selected and no
configuration (``bflint check --isolated --no-cache --select ALL --format
json -j 1``). Each tree runs in its own process with only that tree on the
import path (a staging directory of symlinks gives it the installed layout,
``bflint.rules`` = ``<tree>/rules``), so the installed editable copy never
leaks in.

A finding is keyed by (path, code, row, column, end row, end column); the
message, the fix title/help and the fix (its message and edits) are
compared separately. Exit 0 when both runs agree, 1 on any difference (with
``--positions-only``: only on a difference of the keys; message, help and fix
changes are still printed), 2 when a run fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INPUT_DIRS = ("tests/fixtures", "examples")
SUFFIXES = (".py", ".ipynb")


def inputs(root: Path) -> list[str]:
    out = []
    for d in INPUT_DIRS:
        base = root / d
        if base.is_dir():
            out += [p.relative_to(root).as_posix() for p in sorted(base.rglob("*"))
                    if p.is_file() and p.suffix in SUFFIXES and "__pycache__" not in p.parts]
    return out


def stage(tree: Path, dest: Path) -> Path:
    """A directory to put on sys.path: bflint/ = the tree's bflint/ entries
    + rules/ as bflint/rules (the layout pyproject's package-dir gives)."""
    pkg = dest / "bflint"
    pkg.mkdir(parents=True)
    for entry in (tree / "bflint").iterdir():
        if entry.name in ("rules", "__pycache__"):
            continue
        (pkg / entry.name).symlink_to(entry.resolve())
    (pkg / "rules").symlink_to((tree / "rules").resolve())
    return dest


def export_rev(rev: str, dest: Path) -> Path:
    """`git archive` of REV (of this repository) into DEST."""
    dest.mkdir(parents=True)
    tar = dest.with_suffix(".tar")
    subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(tar), rev],
                   check=True)
    with tarfile.open(tar) as t:
        t.extractall(dest, filter="data")
    tar.unlink()
    return dest


def run(tree: Path, files: list[str], cwd: Path, scratch: Path) -> list[dict]:
    site = stage(tree, scratch)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BFLINT", "PYTHON"))}
    env["PYTHONPATH"] = str(site)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["NO_COLOR"] = "1"  # (and -P below: the cwd, often a tree, is not on sys.path)
    code = ("import sys, bflint, bflint.rules; "
            f"assert bflint.__file__.startswith({str(site)!r}), bflint.__file__; "
            "from bflint.cli import main; sys.argv[0] = 'bflint'; main()")
    cmd = [sys.executable, "-P", "-c", code, "check", "--isolated", "--no-cache", "--select", "ALL",
           "--no-respect-gitignore", "--format", "json", "-j", "1", "--exit-zero", *files]
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(f"bflint of {tree} failed ({proc.returncode}):\n{proc.stderr}\n")
        raise SystemExit(2)
    return json.loads(proc.stdout or "[]")


def _loc(d: dict | None) -> tuple:
    d = d or {}
    return (d.get("row"), d.get("column"))


def normalise(findings: list[dict]) -> dict[tuple, dict]:
    out: dict[tuple, dict] = {}
    for f in findings:
        key = (f.get("filename"), f.get("code"), *_loc(f.get("location")),
               *_loc(f.get("end_location")), f.get("cell"))
        fix = f.get("fix")
        text = {
            "message": f.get("message"),
            "help": f.get("help") or f.get("fix_title"),
            "fix": None if not fix else {
                "applicability": fix.get("applicability"),
                "message": fix.get("message"),
                "edits": fix.get("edits"),
            },
        }
        # the same key twice (two findings at one place): keep both texts
        while key in out:
            key = key + ("+",)
        out[key] = text
    return out


def _show(key: tuple) -> str:
    path, code, row, col, erow, ecol, cell = key[:7]
    where = f"{path}:{'cell ' + str(cell) + ':' if cell else ''}{row}:{col}-{erow}:{ecol}"
    return f"{where} {code}"


def compare(old: dict[tuple, dict], new: dict[tuple, dict]) -> tuple[list[str], list[str]]:
    key_diff, text_diff = [], []
    for k in sorted(set(old) - set(new), key=str):
        key_diff.append(f"- {_show(k)}  {old[k]['message']}")
    for k in sorted(set(new) - set(old), key=str):
        key_diff.append(f"+ {_show(k)}  {new[k]['message']}")
    for k in sorted(set(old) & set(new), key=str):
        o, n = old[k], new[k]
        for field in ("message", "help", "fix"):
            if o[field] != n[field]:
                text_diff.append(f"~ {_show(k)} {field}:\n    old: {o[field]}\n    new: {n[field]}")
    return key_diff, text_diff


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--old", type=Path, help="the old tree (a checkout: git worktree add ...)")
    src.add_argument("--rev", help="the old tree as a git revision of this repository")
    ap.add_argument("--new", type=Path, default=ROOT, help="the new tree (default: this one)")
    ap.add_argument("--inputs", type=Path, default=None,
                    help="where the fixtures and examples are read (default: the new tree)")
    ap.add_argument("--positions-only", action="store_true",
                    help="fail only on (path, code, position) differences; print message changes")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bflint-diff-") as tmp_s:
        tmp = Path(tmp_s)
        old_tree = args.old.resolve() if args.old else export_rev(args.rev, tmp / "old-tree")
        new_tree = args.new.resolve()
        root = (args.inputs or new_tree).resolve()
        files = inputs(root)
        if not files:
            sys.stderr.write(f"no inputs under {root}\n")
            return 2
        old = normalise(run(old_tree, files, root, tmp / "old-site"))
        new = normalise(run(new_tree, files, root, tmp / "new-site"))
    key_diff, text_diff = compare(old, new)
    for line in key_diff + text_diff:
        print(line)
    print(f"{len(files)} files; {len(old)} findings old, {len(new)} new; "
          f"{len(key_diff)} position differences, {len(text_diff)} message/help/fix differences",
          file=sys.stderr)
    if key_diff or (text_diff and not args.positions_only):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
