"""The result cache: hits return the same findings; anything odd about the
cache file means a miss, never an error."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from bflint import cache as cache_mod
from bflint import engine, runner
from bflint.runner import RunOptions, run

ROOT = Path(__file__).resolve().parent.parent
BAD = """\
import bayesflow as bf

workflow = bf.BasicWorkflow(simulator=simulator, adapter=adapter,
                            inference_variables=["theta"])
history = workflow.fit_offline(data, epochs=10)
"""


def _all() -> frozenset[str]:
    return engine._enabled()


def _key(f):
    return (f.filename, f.cell, f.row, f.column, f.end_row, f.end_column, f.code, f.message,
            f.severity, f.fix)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "train.py").write_text(BAD)
    (proj / "plain.py").write_text("print('hello')\n")
    clean = ROOT / "tests" / "fixtures" / "clean"
    for p in sorted(clean.iterdir()):
        if p.suffix in (".py", ".ipynb"):
            shutil.copy(p, proj / p.name)
    return proj


def _opts(cache_dir: Path, **kw) -> RunOptions:
    kw.setdefault("enabled", _all())
    kw.setdefault("jobs", 1)
    return RunOptions(cache=True, cache_dir=str(cache_dir), **kw)


class Counting:
    """Counts the files that really get analysed."""

    def __init__(self, monkeypatch):
        self.names: list[str] = []
        real = runner._check_task

        def spy(task, *args):
            self.names.append(Path(task.name).name)
            return real(task, *args)

        monkeypatch.setattr(runner, "_check_task", spy)


def _cache_files(d: Path) -> list[Path]:
    return sorted((d / cache_mod.SUBDIR).glob("*.json"))


def read_doc(path: Path) -> dict:
    """The body of a cache file (after its header line)."""
    return json.loads(path.read_bytes().partition(b"\n")[2])


def write_doc(path: Path, doc: dict) -> None:
    """Write ``doc`` as bflint would (sealed with this user's secret)."""
    key = path.stem
    body = json.dumps(doc).encode()
    header = json.dumps({"format": cache_mod.FORMAT, "version": cache_mod.FORMAT_VERSION,
                         "key": key, "seal": cache_mod.seal(body, key)}).encode()
    path.write_bytes(header + b"\n" + body)


def test_cache_hit_returns_the_same_findings(project, tmp_path, monkeypatch) -> None:
    cdir = tmp_path / "cache"
    first, _ = run([str(project)], _opts(cdir))
    assert any(f.filename.endswith("train.py") for f in first)
    counter = Counting(monkeypatch)
    second, _ = run([str(project)], _opts(cdir))
    assert counter.names == []
    assert [_key(f) for f in second] == [_key(f) for f in first]
    uncached, _ = run([str(project)], RunOptions(enabled=_all(), jobs=1, cache=False))
    assert [_key(f) for f in second] == [_key(f) for f in uncached]


def test_cache_directory_layout(project, tmp_path) -> None:
    cdir = tmp_path / "cache"
    run([str(project)], _opts(cdir))
    assert (cdir / ".gitignore").read_text().strip().endswith("*")
    assert (cdir / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert len(_cache_files(cdir)) == 1
    assert not list((cdir / cache_mod.SUBDIR).glob(".tmp-*"))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "foreign", "wrong-shape", "binary"])
def test_a_corrupt_cache_file_is_ignored_and_rebuilt(project, tmp_path, monkeypatch, damage) -> None:
    cdir = tmp_path / "cache"
    first, _ = run([str(project)], _opts(cdir))
    (path,) = _cache_files(cdir)
    raw = path.read_bytes()
    if damage == "garbage":
        path.write_text("{not json")
    elif damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "foreign":
        path.write_text(json.dumps({"format": "someone-else", "files": {}}))
    elif damage == "binary":
        path.write_bytes(os.urandom(256))
    else:  # right header, entries of the wrong shape
        doc = read_doc(path)
        doc["files"] = {k: [v[0], v[1], v[2], [["BF302"]]] for k, v in doc["files"].items()}
        doc["files"]["x"] = "nonsense"
        write_doc(path, doc)
    counter = Counting(monkeypatch)
    again, _ = run([str(project)], _opts(cdir))
    assert [_key(f) for f in again] == [_key(f) for f in first]
    assert "train.py" in counter.names
    # and it was rebuilt: a third run analyses nothing
    counter.names.clear()
    run([str(project)], _opts(cdir))
    assert counter.names == []


def test_changing_the_file_invalidates(project, tmp_path, monkeypatch) -> None:
    cdir = tmp_path / "cache"
    run([str(project)], _opts(cdir))
    (project / "train.py").write_text(BAD.replace("epochs=10", "epochs=10, validation_data=val"))
    counter = Counting(monkeypatch)
    found, _ = run([str(project)], _opts(cdir))
    assert counter.names == ["train.py"]
    fresh, _ = run([str(project)], RunOptions(enabled=_all(), jobs=1, cache=False))
    assert [_key(f) for f in found] == [_key(f) for f in fresh]


def test_changing_the_selection_invalidates(project, tmp_path, monkeypatch) -> None:
    cdir = tmp_path / "cache"
    all_found, _ = run([str(project)], _opts(cdir))
    counter = Counting(monkeypatch)
    only, _ = run([str(project)], _opts(cdir, enabled=frozenset({"BF302"})))
    assert "train.py" in counter.names
    assert only and {f.code for f in only} == {"BF302"}
    assert len(only) < len(all_found)
    back, _ = run([str(project)], _opts(cdir, enabled=frozenset({"BF302"})))
    assert [_key(f) for f in back] == [_key(f) for f in only]


def test_changing_the_rules_invalidates(project, tmp_path, monkeypatch) -> None:
    cdir = tmp_path / "cache"
    run([str(project)], _opts(cdir))
    monkeypatch.setattr(cache_mod, "_RULESET", "a-rule-was-edited")
    counter = Counting(monkeypatch)
    run([str(project)], _opts(cdir))
    assert "train.py" in counter.names


def test_ruleset_hash_covers_the_rules() -> None:
    import bflint.rules

    cache_mod._RULESET = None
    first = cache_mod.ruleset_hash()
    assert first == cache_mod.ruleset_hash()
    assert any(Path(p).is_dir() for p in bflint.rules.__path__)


def test_no_cache_writes_nothing(project, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    run([str(project)], RunOptions(enabled=_all(), jobs=1, cache=False))
    assert not (tmp_path / cache_mod.DEFAULT_DIR).exists()


def test_cli_no_cache_writes_nothing(project, tmp_path, monkeypatch, run_cli) -> None:
    monkeypatch.chdir(tmp_path)
    run_cli("--no-cache", str(project))
    assert not (tmp_path / cache_mod.DEFAULT_DIR).exists()
    run_cli(str(project))
    assert (tmp_path / cache_mod.DEFAULT_DIR / "CACHEDIR.TAG").exists()


def test_cli_cache_dir_option(project, tmp_path, monkeypatch, run_cli) -> None:
    monkeypatch.chdir(tmp_path)
    first = run_cli("--cache-dir", str(tmp_path / "c"), str(project))
    assert _cache_files(tmp_path / "c")
    second = run_cli("--cache-dir", str(tmp_path / "c"), str(project))
    assert first.output == second.output
    assert not (tmp_path / cache_mod.DEFAULT_DIR).exists()


def test_an_unwritable_cache_dir_means_no_cache(project, tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    found, _ = run([str(project)], _opts(blocker / "cache"))
    fresh, _ = run([str(project)], RunOptions(enabled=_all(), jobs=1, cache=False))
    assert [_key(f) for f in found] == [_key(f) for f in fresh]


def test_parallel_run_fills_the_cache(project, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(runner, "MIN_PARALLEL_BYTES", 0)
    pooled = []
    real_pool = runner._run_pool
    monkeypatch.setattr(runner, "_run_pool", lambda tasks, jobs: pooled.append(1) or real_pool(tasks, jobs))
    for i in range(6):
        (project / f"copy_{i}.py").write_text(BAD + f"# {i}\n")
    cdir = tmp_path / "cache"
    first, _ = run([str(project)], _opts(cdir, jobs=2))
    assert pooled
    counter = Counting(monkeypatch)
    second, _ = run([str(project)], _opts(cdir, jobs=2))
    assert counter.names == []
    assert [_key(f) for f in second] == [_key(f) for f in first]


def test_deleted_files_are_forgotten(project, tmp_path) -> None:
    cdir = tmp_path / "cache"
    run([str(project)], _opts(cdir))
    (project / "train.py").unlink()
    (project / "new.py").write_text(BAD)
    run([str(project)], _opts(cdir))
    (path,) = _cache_files(cdir)
    keys = read_doc(path)["files"]
    assert not any(k.endswith("train.py") for k in keys)
    assert any(k.endswith("new.py") for k in keys)


def test_ruleset_hash_covers_every_analysis_module():
    """A change to the semantic model or an analysis changes findings: the
    cache key must cover them (it covered only top-level modules once)."""
    from bflint import cache

    names = {name for name, _ in cache.ruleset_files()}
    for expected in ("bflint/semantic/builder.py", "bflint/semantic/model.py", "bflint/analyze/draws.py",
                     "bflint/analyze/numeric_data.py", "bflint/engine.py", "bflint/data/bayesflow_api.json",
                     "rules/bf302_missing_validation_data.py"):
        assert expected in names, expected
    assert not any(n.startswith(("bflint/runtime/", "bflint/server/")) for n in names)
    assert not any("__pycache__" in n for n in names)


def test_ruleset_hash_is_read_again_only_when_a_files_stamp_changes(tmp_path, monkeypatch) -> None:
    """The ruleset hash is kept with the stat stamps of the files it hashes (the user's
    cache folder): a cached run reads no rule file; an edit is seen (issue 18 §2)."""
    import os

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    rule = tmp_path / "bf999_rule.py"
    rule.write_text("A = 1\n")
    monkeypatch.setattr(cache_mod, "ruleset_files", lambda: [("rules/bf999_rule.py", rule)])
    monkeypatch.setattr(cache_mod, "_RULESET", None)
    first = cache_mod.ruleset_hash()
    memo = Path(cache_mod._ruleset_memo_path())
    assert memo.is_file() and first in memo.read_text()
    reads = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or real(self))
    monkeypatch.setattr(cache_mod, "_RULESET", None)
    assert cache_mod.ruleset_hash() == first and reads == []
    rule.write_text("A = 2\n")  # same size, another content and stamp
    os.utime(rule, ns=(rule.stat().st_atime_ns, rule.stat().st_mtime_ns + 10**9))
    monkeypatch.setattr(cache_mod, "_RULESET", None)
    second = cache_mod.ruleset_hash()
    assert second != first and reads == [rule]
    memo.chmod(0o666)  # a memo others may write is not believed
    reads.clear()
    monkeypatch.setattr(cache_mod, "_RULESET", None)
    assert cache_mod.ruleset_hash() == second and reads == [rule]
