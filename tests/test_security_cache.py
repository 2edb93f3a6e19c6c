"""Issue 16 items 1 and 3: a cache directory that comes with the linted tree
(committed, unpacked) is untrusted input. Its links must never be written,
read or deleted through, and its entries must never hide findings or crash
the output. Every test plants the attack and runs the real console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bflint import cache as cache_mod

BAD = """\
import bayesflow as bf

workflow = bf.BasicWorkflow(simulator=simulator, adapter=adapter,
                            inference_variables=["theta"])
history = workflow.fit_offline(data, epochs=10)
"""
VICTIM_TEXT = "# the user's own file\nexport PS1='$ '\n"
CACHE = ".bflint_cache"
SECRET_ENV = "BFLINT_CACHE_SECRET"


def _exe() -> list[str]:
    exe = Path(sys.executable).with_name("bflint")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bflint"]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    t = tmp_path / "repo"
    t.mkdir()
    (t / "train.py").write_text(BAD)
    (t / "plain.py").write_text("import bayesflow as bf\nprint(bf)\n")
    return t


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "victim-home"
    h.mkdir()
    return h


def bflint(tree: Path, home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, XDG_CACHE_HOME=str(home / ".cache"), HOME=str(home))
    env.pop(SECRET_ENV, None)
    return subprocess.run(_exe() + list(args), cwd=tree, capture_output=True, text=True,
                          env=env, timeout=timeout)


def entry_name() -> str:
    """The cache file name every user of this version computes (the attack
    precomputes it)."""
    return f"{cache_mod.settings_key(prefilter=True)}.json"


def victim(tmp_path: Path, name: str = "bashrc") -> Path:
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    v = outside / name
    v.write_text(VICTIM_TEXT)
    return v


# -- item 1: never through a symlink ----------------------------------------------

def test_a_symlinked_entry_is_replaced_not_its_target(tree, home, tmp_path) -> None:
    v = victim(tmp_path)
    sub = tree / CACHE / cache_mod.SUBDIR
    sub.mkdir(parents=True)
    (sub / entry_name()).symlink_to(v)
    res = bflint(tree, home, ".")
    assert res.returncode == 1, res.stderr
    assert "BF302" in res.stdout
    assert v.read_text() == VICTIM_TEXT
    # the cache wrote its own file in place of the link
    assert not (sub / entry_name()).is_symlink()
    assert (sub / entry_name()).is_file()


def test_a_symlinked_entry_is_not_read_through(tree, home, tmp_path) -> None:
    """A link to a FIFO (or /dev/zero) must not hang nor blow up the run."""
    fifo = tmp_path / "outside-fifo"
    os.mkfifo(fifo)
    sub = tree / CACHE / cache_mod.SUBDIR
    sub.mkdir(parents=True)
    (sub / entry_name()).symlink_to(fifo)
    res = bflint(tree, home, ".", timeout=60)
    assert res.returncode == 1 and "BF302" in res.stdout


def test_a_symlinked_version_directory_is_refused(tree, home, tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    # files pruning would delete (more than the cache keeps), one of them old
    names = [f"{i:032x}.json" for i in range(cache_mod.KEEP_FILES + 4)]
    for i, n in enumerate(names):
        (outside / n).write_text("{}")
        os.utime(outside / n, (1_000_000 + i, 1_000_000 + i))
    (outside / "notes.json").write_text("{}")
    before = {p.name: p.read_bytes() for p in outside.iterdir()}
    (tree / CACHE).mkdir()
    (tree / CACHE / cache_mod.SUBDIR).symlink_to(outside, target_is_directory=True)
    res = bflint(tree, home, ".")
    assert res.returncode == 1 and "BF302" in res.stdout
    after = {p.name: p.read_bytes() for p in outside.iterdir()}
    assert after == before  # nothing written, nothing deleted
    assert res.stderr.count("warning") == 1 and "symbolic link" in res.stderr
    assert "running without the cache" in res.stderr


def test_a_symlinked_cache_directory_is_refused(tree, home, tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tree / CACHE).symlink_to(outside, target_is_directory=True)
    res = bflint(tree, home, ".")
    assert res.returncode == 1 and "BF302" in res.stdout
    assert list(outside.iterdir()) == []
    assert res.stderr.count("warning") == 1 and "symbolic link" in res.stderr
    # the same through --cache-dir
    res = bflint(tree, home, "--cache-dir", CACHE, ".")
    assert list(outside.iterdir()) == [] and "symbolic link" in res.stderr


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="needs root to give the directory to another user")
def test_a_cache_directory_of_another_user_is_refused(tree, home) -> None:
    d = tree / CACHE
    (d / cache_mod.SUBDIR).mkdir(parents=True)
    os.chown(d, 65534, 65534)
    res = bflint(tree, home, ".")
    assert res.returncode == 1 and "BF302" in res.stdout
    assert "another user" in res.stderr and res.stderr.count("warning") == 1
    assert list((d / cache_mod.SUBDIR).iterdir()) == []
    # its v2/ of another user: the same
    os.chown(d, 0, 0)
    os.chown(d / cache_mod.SUBDIR, 65534, 65534)
    res = bflint(tree, home, ".")
    assert "another user" in res.stderr
    assert list((d / cache_mod.SUBDIR).iterdir()) == []


def test_pruning_removes_only_the_caches_own_regular_files(tree, home, tmp_path) -> None:
    sub = tree / CACHE / cache_mod.SUBDIR
    sub.mkdir(parents=True)
    victims = []
    for i in range(cache_mod.KEEP_FILES + 4):
        v = victim(tmp_path, f"v{i}.json")
        victims.append(v)
        link = sub / f"{i:032x}.json"
        link.symlink_to(v)
        os.utime(link, (1_000_000, 1_000_000), follow_symlinks=False)
    (sub / "keep-me.json").write_text("{}")
    os.utime(sub / "keep-me.json", (1_000_000, 1_000_000))
    (sub / "subdir.json").mkdir()
    res = bflint(tree, home, ".")
    assert res.returncode == 1
    assert all(v.read_text() == VICTIM_TEXT for v in victims)
    assert all((sub / f"{i:032x}.json").is_symlink() for i in range(len(victims)))
    assert (sub / "keep-me.json").exists() and (sub / "subdir.json").is_dir()
    # the cache's own old files are pruned as before
    for i in range(cache_mod.KEEP_FILES + 4):
        p = sub / f"{i + 1000:032x}.json"
        p.write_text("{}")
        os.utime(p, (1_000_000 + i, 1_000_000 + i))
    (tree / "train.py").write_text(BAD + "# changed\n")
    bflint(tree, home, ".")
    own = [p for p in sub.glob("*.json") if p.is_file() and not p.is_symlink()
           and len(p.stem) == 32]
    assert len(own) == cache_mod.KEEP_FILES


def test_planted_marker_links_are_not_written_through(tree, home, tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    d = tree / CACHE
    (d / cache_mod.SUBDIR).mkdir(parents=True)
    (d / "CACHEDIR.TAG").symlink_to(outside / "created-by-tag")
    (d / ".gitignore").symlink_to(outside / "created-by-gitignore")
    res = bflint(tree, home, ".")
    assert res.returncode == 1
    assert list(outside.iterdir()) == []


# -- item 3: the cache is not trusted ---------------------------------------------------

def _cache_file(tree: Path) -> Path:
    (path,) = (tree / CACHE / cache_mod.SUBDIR).glob("*.json")
    return path


def _edit_entries(path: Path, edit) -> None:
    """Change every entry in the body (the last line) and keep the rest of
    the file as it was: what an attacker does to a cache file."""
    lines = path.read_bytes().split(b"\n")
    doc = json.loads(lines[-1])
    doc["files"] = {k: edit(v) for k, v in doc["files"].items()}
    lines[-1] = json.dumps(doc).encode()
    path.write_bytes(b"\n".join(lines))


def test_a_forged_empty_entry_does_not_hide_findings(tree, home, tmp_path) -> None:
    """The attacker lints the same bytes on their machine, empties the
    findings and commits the cache: the victim still gets the findings."""
    attacker = tmp_path / "attacker-home"
    attacker.mkdir()
    first = bflint(tree, attacker, ".")
    assert first.returncode == 1 and "BF302" in first.stdout
    path = _cache_file(tree)
    _edit_entries(path, lambda e: [e[0], e[1], e[2], []])
    # the attacker's own bflint trusts the edited file: no findings (which is
    # why the seal must be under a secret the attacker does not have)
    res = bflint(tree, home, ".")
    assert "BF302" in res.stdout
    assert res.returncode == 1
    # a file sealed with the attacker's own secret is no better
    cache_mod._SECRET = None
    os.environ[SECRET_ENV] = "the attacker's secret"
    try:
        if hasattr(cache_mod, "seal"):
            files = json.loads(path.read_bytes().split(b"\n")[-1])["files"]
            files = {k: [e[0], e[1], e[2], []] for k, e in files.items()}
            body = json.dumps({"files": files}).encode()
            key = path.stem
            header = json.dumps({"format": cache_mod.FORMAT, "version": cache_mod.FORMAT_VERSION,
                                 "key": key, "seal": cache_mod.seal(body, key)}).encode()
            path.write_bytes(header + b"\n" + body)
    finally:
        del os.environ[SECRET_ENV]
        cache_mod._SECRET = None
    res = bflint(tree, home, ".")
    assert res.returncode == 1 and "BF302" in res.stdout


def _write_own(path: Path, files: dict) -> None:
    """Write entries as this user's bflint would (sealed with the victim's
    secret when the cache seals): the entries themselves are malformed, as a
    bug, an older version or a damaged disk could leave them."""
    if hasattr(cache_mod, "seal"):
        body = json.dumps({"files": files}).encode()
        key = path.stem
        header = json.dumps({"format": cache_mod.FORMAT, "version": cache_mod.FORMAT_VERSION,
                             "key": key, "seal": cache_mod.seal(body, key)}).encode()
        path.write_bytes(header + b"\n" + body)
    else:  # the single-document format of cache v1
        path.write_text(json.dumps({"format": cache_mod.FORMAT, "version": cache_mod.FORMAT_VERSION,
                                    "key": path.stem, "files": files}))


_EDITS = {
    "row-as-string": lambda r: r.__setitem__(4, "3"),
    "row-as-bool": lambda r: r.__setitem__(4, True),
    "row-negative": lambda r: r.__setitem__(4, -5),
    "row-huge": lambda r: r.__setitem__(4, 10 ** 30),
    "column-as-float": lambda r: r.__setitem__(5, 1.5),
    "message-none": lambda r: r.__setitem__(3, None),
    "code-as-list": lambda r: r.__setitem__(0, ["BF302"]),
    "fix-as-string": lambda r: r.__setitem__(8, "rm -rf /"),
    "fix-edits-malformed": lambda r: r.__setitem__(8, {"applicability": "safe", "message": "m",
                                                       "edits": [{"content": 1, "location": "x"}]}),
    "fix-edit-no-location": lambda r: r.__setitem__(8, {"applicability": "safe", "message": "m",
                                                        "edits": [{"content": "x"}]}),
    "cell-as-string": lambda r: r.__setitem__(9, "1"),
    "short-row": lambda r: r.pop(),
    "other-field-as-dict": lambda r: r.__setitem__(-1, {"x": 1}) if len(r) > 10 else r.pop(),
}


@pytest.mark.parametrize("fmt", ["full", "sarif"])
def test_wrongly_typed_entries_are_dropped(tree, home, monkeypatch, fmt) -> None:
    """One copy of the file per kind of damage, all in one cache file."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))  # the victim's own secret
    monkeypatch.delenv(SECRET_ENV, raising=False)
    monkeypatch.setattr(cache_mod, "_SECRET", None, raising=False)
    for damage in _EDITS:
        (tree / f"t_{damage.replace('-', '_')}.py").write_text(BAD)
    first = bflint(tree, home, "--format", fmt, ".")
    assert first.returncode == 1
    path = _cache_file(tree)
    files = json.loads(path.read_bytes().split(b"\n")[-1])["files"]
    for damage, edit in _EDITS.items():
        (key,) = [k for k in files if k.endswith(f"t_{damage.replace('-', '_')}.py")]
        rows = files[key][3]
        assert rows
        for r in rows:
            edit(r)
    _write_own(path, files)
    res = bflint(tree, home, "--format", fmt, ".")
    assert "Traceback" not in res.stderr, res.stderr
    assert res.returncode == 1, res.stderr
    assert res.stdout == first.stdout  # re-analysed: the same findings as the first run
    # and the damaged entries were replaced: a third run is served from the cache
    third = bflint(tree, home, "--format", fmt, ".")
    assert third.stdout == first.stdout
