"""The multi-file runner: serial and parallel runs agree, a dying worker
loses only its own file. (Speed is measured in bench/bench.py, not here.)"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from bflint import engine, runner
from bflint.runner import RunOptions, run

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def _all() -> frozenset[str]:
    return engine._enabled()


def _key(f):
    return (f.filename, f.cell, f.row, f.column, f.end_row, f.end_column, f.code, f.message,
            f.severity)


@pytest.fixture(autouse=True)
def _small_files_go_to_the_pool_too(monkeypatch):
    monkeypatch.setattr(runner, "MIN_PARALLEL_BYTES", 0)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of every fixture and example, plus files the pre-filter drops."""
    dest = tmp_path / "tree"
    shutil.copytree(FIXTURES, dest / "fixtures")
    if (ROOT / "examples").is_dir():
        shutil.copytree(ROOT / "examples", dest / "examples")
    for i in range(5):
        (dest / f"plain_{i}.py").write_text(f"x = {i}\n")
    return dest


def test_parallel_and_serial_give_identical_findings_in_identical_order(tree: Path) -> None:
    serial, n1 = run([str(tree)], RunOptions(enabled=_all(), jobs=1, cache=False))
    parallel, n2 = run([str(tree)], RunOptions(enabled=_all(), jobs=2, cache=False))
    assert n1 == n2
    assert serial, "the fixtures should produce findings"
    assert [_key(f) for f in serial] == [_key(f) for f in parallel]


def test_parallel_path_is_really_taken(tree: Path, monkeypatch) -> None:
    calls = []
    real = runner._run_pool

    def spy(tasks, jobs):
        calls.append(len(tasks))
        return real(tasks, jobs)

    monkeypatch.setattr(runner, "_run_pool", spy)
    run([str(tree)], RunOptions(enabled=_all(), jobs=2, cache=False))
    assert calls and calls[0] > runner.MIN_PARALLEL_FILES


def test_prefiltered_files_are_not_sent_to_workers(tree: Path, monkeypatch) -> None:
    sent = []
    real = runner._run_pool

    def spy(tasks, jobs):
        sent.extend(Path(t.path).name for t in tasks)
        return real(tasks, jobs)

    monkeypatch.setattr(runner, "_run_pool", spy)
    run([str(tree)], RunOptions(enabled=_all(), jobs=2, cache=False))
    assert sent and not any(name.startswith("plain_") for name in sent)


def test_one_file_is_checked_in_process(tree: Path, monkeypatch) -> None:
    def boom(*a, **k):  # pragma: no cover - must not be called
        raise AssertionError("pool started for one file")

    monkeypatch.setattr(runner, "_run_pool", boom)
    target = FIXTURES / "clean"
    one = next(p for p in sorted(target.iterdir()) if p.suffix == ".py")
    run([str(one)], RunOptions(enabled=_all(), jobs=4, cache=False))


_DYING_WORKER = """
import os, sys
from bflint import engine, runner
from bflint.runner import RunOptions, run

runner.MIN_PARALLEL_BYTES = 0
enabled = engine._enabled()
key = lambda f: (f.filename, f.row, f.column, f.code, f.message)
serial, _ = run([sys.argv[1]], RunOptions(enabled=enabled, jobs=1, cache=False))
victim = next(f.filename for f in serial if f.code not in ("BF000", "BF999"))
real = runner._check_task

def crashing(task, *args):
    if task.name == victim:
        os._exit(3)  # a segfault / OOM kill, as far as the pool can tell
    return real(task, *args)

runner._check_task = crashing
parallel, _ = run([sys.argv[1]], RunOptions(enabled=enabled, jobs=2, cache=False))
assert [f.filename for f in parallel if f.code == "BF999"] == [victim], parallel
assert [key(f) for f in parallel if f.filename != victim] == [key(f) for f in serial if f.filename != victim]
print("ok")
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the crash is injected through fork")
def test_a_dying_worker_only_costs_its_own_file(tree: Path) -> None:
    # in a fresh interpreter: the crashing patch reaches the workers by fork, and
    # this test process may hold native (JAX) threads that make forking unsafe
    import subprocess

    res = subprocess.run([sys.executable, "-c", _DYING_WORKER, str(tree)], capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stdout + res.stderr


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.py"
    found, _ = run([str(missing)], RunOptions(enabled=_all(), jobs=1, cache=False))
    assert [f.code for f in found] == ["BF001"]


def test_chunks_cover_every_task_once() -> None:
    tasks = [runner._Task(i, f"f{i}.py", f"f{i}.py", frozenset(), True, False, size=(i * 37) % 100)
             for i in range(50)]
    chunks = runner._chunks(tasks, 2)
    flat = sorted(t.index for c in chunks for t in c)
    assert flat == list(range(50))
    assert len(chunks) > 2


def test_reported_node_positions_match_libcst_position_provider() -> None:
    """bflint.positions (used for reported nodes) is PositionProvider, faster."""
    import random

    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from bflint.model import walk
    from bflint.positions import positions

    rng = random.Random(0)
    files = sorted(FIXTURES.rglob("*.py"))[:60] + [Path(runner.__file__), Path(engine.__file__)]
    for f in files:
        try:
            module = cst.parse_module(f.read_bytes())
        except Exception:
            continue
        nodes = list(walk(module))
        ref = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        for sample in (nodes, rng.sample(nodes, min(3, len(nodes)))):
            got = positions(module, sample)
            for n in sample:
                r = ref[n]
                assert got[n] == (r.start.line, r.start.column + 1, r.end.line, r.end.column + 1), \
                    (f, type(n).__name__)


def test_no_fork_from_a_threaded_program(tree: Path) -> None:
    """lint_paths called from a program with threads checks in-process
    (forking a threaded process can deadlock the children)."""
    import threading

    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert runner._pool_context() is None
        threaded, _ = run([str(tree)], RunOptions(enabled=_all(), jobs=2, cache=False))
    finally:
        stop.set()
        t.join()
    serial, _ = run([str(tree)], RunOptions(enabled=_all(), jobs=1, cache=False))
    assert [_key(f) for f in threaded] == [_key(f) for f in serial]


def _dead_chunk(chunk):
    from concurrent.futures.process import BrokenProcessPool

    raise BrokenProcessPool("worker failed to start")


def test_workers_that_cannot_start_mean_in_process_not_bf999(tree: Path, monkeypatch) -> None:
    serial, _ = run([str(tree)], RunOptions(enabled=_all(), jobs=1, cache=False))
    monkeypatch.setattr(runner, "_check_chunk", _dead_chunk)
    monkeypatch.setattr(runner, "_workers_start", lambda ctx: False)
    found, _ = run([str(tree)], RunOptions(enabled=_all(), jobs=2, cache=False))
    assert [_key(f) for f in found] == [_key(f) for f in serial]


def test_no_fork_from_a_process_with_native_threads(monkeypatch) -> None:
    # JAX / BLAS threads are invisible to ``threading``: forking next to them can
    # deadlock the child (e.g. lint_paths called from a notebook that imported bayesflow)
    import sys

    if not sys.platform.startswith("linux"):
        return
    monkeypatch.setattr(runner, "_native_threads", lambda: 8)
    assert runner._pool_context().get_start_method() == "spawn"
    monkeypatch.setattr(runner, "_native_threads", lambda: 1)
    assert runner._pool_context().get_start_method() == "fork"


# -- layering (issue 10 section 3) -----------------------------------------------

def _bflint_imports(module: str) -> set[str]:
    import ast as _ast

    path = Path(__file__).resolve().parent.parent / "bflint" / f"{module}.py"
    tree = _ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in tree.body:  # module top only
        if isinstance(node, _ast.ImportFrom) and node.module and node.module.startswith("bflint"):
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, _ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("bflint"))
    return out


def test_source_is_a_leaf_and_engine_does_not_import_upwards() -> None:
    assert _bflint_imports("source") == set()
    upward = {f"bflint.{m}" for m in ("runner", "notebook", "fix", "cli", "api")}
    assert not _bflint_imports("engine") & upward
    assert not _bflint_imports("notebook") & {"bflint.runner", "bflint.cli", "bflint.api"}


def test_public_api_lint_source_file_paths(tmp_path: Path) -> None:
    import bflint
    from bflint import api

    code = "import bayesflow as bf\nwf = bf.BasicWorkflow()\nwf.fit_offline(data, epochs=2)\n"
    script = tmp_path / "train.py"
    script.write_text(code)
    assert bflint.lint_source is api.lint_source and bflint.lint_file is api.lint_file
    by_text = [(f.code, f.row) for f in api.lint_source(code, "train.py")]
    by_file = [(f.code, f.row) for f in api.lint_file(script)]
    by_paths = [(f.code, f.row) for f in api.lint_paths([tmp_path])]
    assert by_text and by_text == by_file == by_paths


def test_runner_has_no_file_enabled() -> None:
    assert not hasattr(runner, "file_enabled")


def test_jobs_capped_at_cpu_count_with_a_note(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bflint.cli import main

    for i in range(3):
        (tmp_path / f"s{i}.py").write_text("import bayesflow as bf\nx = 1\n")
    cores = runner.default_jobs()
    assert runner.cap_jobs(99999) == (cores, runner.cap_jobs(99999)[1])
    assert runner.cap_jobs(1) == (1, None) and runner.cap_jobs(None) == (None, None)
    result = CliRunner().invoke(main, ["check", "--no-cache", "-j", "99999", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"using {cores}" in result.stderr and "99999" in result.stderr


# the nesting guard (issue 16 item 10): tests/robustness/test_nesting.py


def test_warm_cached_run_imports_no_libcst_model_or_rules(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "one.py").write_text(
        "import bayesflow as bf\nwf = bf.BasicWorkflow()\nwf.fit_offline(data, epochs=2)\n")
    (tmp_path / "plain.py").write_text("x = 1\n")
    cmd = [sys.executable, "-X", "importtime", "-m", "bflint", "check", "one.py", "plain.py"]
    subprocess.run(cmd, cwd=tmp_path, capture_output=True, timeout=120)  # fills the cache
    warm = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "BF" in warm.stdout
    heavy = [line for line in warm.stderr.splitlines()
             if any(m in line for m in ("| libcst", "bflint.model", "bflint.semantic", "bflint.analyze",
                                        "bflint.rules."))]
    assert heavy == []


def test_distribution_version_without_import() -> None:
    from importlib import metadata

    from bflint.versions import distribution_version

    assert distribution_version("libcst") == metadata.version("libcst")
    assert distribution_version("no-such-distribution-bflint") == "?"


def test_serial_run_beyond_the_kept_bytes_rereads_and_finds_the_same(tmp_path: Path,
                                                                     monkeypatch) -> None:
    for i in range(3):
        (tmp_path / f"s{i}.py").write_text(
            "import bayesflow as bf\nwf = bf.BasicWorkflow()\nwf.fit_offline(data, epochs=2)\n")
    opts = RunOptions(enabled=engine._enabled(), exclude=[], jobs=1, cache=False)
    kept, _ = run([str(tmp_path)], opts)
    monkeypatch.setattr(runner, "_KEEP_BYTES", 0)
    reread, _ = run([str(tmp_path)], opts)
    assert kept and [(f.filename, f.code, f.row) for f in kept] == [
        (f.filename, f.code, f.row) for f in reread]


def test_parse_without_gc_restores_the_collector() -> None:
    import gc

    import libcst as cst

    assert gc.isenabled()
    seen = []
    engine.parse_without_gc(lambda t: seen.append(gc.isenabled()) or cst.parse_module(t), "x = 1\n")
    assert seen == [False] and gc.isenabled()


# -- notebooks that are valid JSON but not a notebook we can read (issue 16 item 12) --

def test_deeply_nested_notebook_json_is_one_clear_finding() -> None:
    from bflint import notebook

    deep = b'{"cells": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    found = notebook.check_notebook(deep, "d.ipynb", frozenset({"BF000", "BF999"}), prefilter=False)
    assert [(f.code, f.message) for f in found] == [
        ("BF000", "invalid notebook: the JSON is nested too deeply")]


def test_lone_surrogate_in_a_cell_is_one_clear_finding() -> None:
    from bflint import notebook

    nb = (b'{"cells": [{"cell_type": "code", "source": '
          b'["import bayesflow as bf\\n", "x = \\"\\udcff\\"\\n"]}], "metadata": {}}')
    found = notebook.check_notebook(nb, "s.ipynb", frozenset({"BF000", "BF999"}), prefilter=False)
    assert [f.code for f in found] == ["BF000"] and "not text" in found[0].message


# -- the size cap is checked before reading; devices and FIFOs (issue 16 item 11) --

def test_sparse_huge_file_is_not_read_whole(tmp_path: Path) -> None:
    import resource
    import time

    big = tmp_path / "big.py"
    with open(big, "wb") as f:
        f.write(b"import bayesflow as bf\n")
        f.truncate(3 * 2**30)  # sparse: 3 GB that cost nothing on disk
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    found, _ = run([str(big)], RunOptions(enabled=engine._enabled(), exclude=[], cache=False,
                                          prefilter=False))
    assert time.perf_counter() - t0 < 10
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) < 200 * 1024  # kB
    assert [f.code for f in found] == ["BF001"] and "3072.0 MB" in found[0].message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_and_device_named_explicitly_are_bf001_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    opts = RunOptions(enabled=engine._enabled(), exclude=[], cache=False, prefilter=False)
    for target in (str(fifo), "/dev/zero"):
        found, _ = run([target], opts)
        assert [f.code for f in found] == ["BF001"], (target, found)
        assert "regular file" in found[0].message


# -- the pre-filter's project view without LibCST (issue 18 §3) ----------------------

def test_sys_path_additions_read_with_ast_are_libcsts(tmp_path: Path) -> None:
    import libcst as cst

    from bflint.project.resolve import sys_path_additions, sys_path_additions_ast

    for d in ("lib", "src", "up"):
        (tmp_path / d).mkdir()
    same = [
        "import os, sys\nsys.path.append(os.path.join(os.path.dirname(__file__), 'lib'))\n",
        "import sys\nfrom pathlib import Path\nsys.path.insert(0, str(Path(__file__).resolve().parent / 'src'))\n",
        "import sys\nfrom pathlib import Path\nsys.path.insert(0, str(Path(__file__).parents[0] / 'src'))\n",
        "import os, sys\nHERE = os.path.dirname(os.path.abspath(__file__))\nLIB = os.path.join(HERE, 'lib')\n"
        "if LIB not in sys.path:\n    sys.path.insert(0, LIB)\n",
        "import sys\n(sys.path).append('lib')\ntry:\n    sys.path.append('src')\nexcept E:\n"
        "    sys.path.append('up')\nelse:\n    sys.path.append('up')\n",
        "import sys\nsys.path.append('no-such-folder')\ndef f():\n    sys.path.append(g())\n",
        "import sys\nsys.path.append('lib')\nwith ctx():\n    sys.path.insert(0, 'src')\n",
    ]
    for text in same:
        path = tmp_path / "script.py"
        want = sys_path_additions(cst.parse_module(text), str(path))
        assert sys_path_additions_ast(text.encode(), str(path)) == want, text
    # not sure to find LibCST's folders: None (the file may matter)
    for text in ("import sys\nsys.path.append(here())\n",
                 "import sys\nd = 'lib'\nif c: d = 'src'\nsys.path.append(d)\n",  # LibCST skips the if
                 "import sys\nsys.path.insert(0, *args)\n", "import sys\nsys.path.append(\n"):
        assert sys_path_additions_ast(text.encode(), str(tmp_path / "s.py")) is None, text


def test_a_file_adding_a_folder_to_sys_path_matters_only_through_that_folder(tmp_path: Path) -> None:
    from bflint.project.index import ProjectIndex

    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "model.py").write_text("import bayesflow as bf\nWF = bf.BasicWorkflow()\n")
    (tmp_path / "lib" / "plain.py").write_text("X = 1\n")
    script = tmp_path / "scripts" / "train.py"
    script.parent.mkdir()
    head = "import os, sys\nsys.path.append(os.path.join(os.path.dirname(__file__), '..', 'lib'))\n"
    index = ProjectIndex()
    for tail, matters in (("from model import WF\n", True), ("from plain import X\n", False),
                          ("import model\n", True), ("from nothing import y\n", False)):
        script.write_text(head + tail)
        assert index.may_matter(str(script), script.read_bytes()) is matters, tail
        index.new_run()
    script.write_text("import sys\nsys.path.append(where())\nfrom plain import X\n")
    assert index.may_matter(str(script), script.read_bytes())  # a folder it cannot tell
    # the pre-filter hides nothing: the same findings as without it
    (tmp_path / "lib" / "model.py").write_text(
        "import bayesflow as bf\n\ndef make():\n    return bf.BasicWorkflow(simulator=s)\n")
    script.write_text(head + "from model import make\nwf = make()\nwf.fit_online(epochs=2)\n")
    enabled = engine._enabled()
    assert runner.check_path(script, enabled) == runner.check_path(script, enabled, prefilter=False) != []


def test_import_lines_found_line_by_line_are_the_regexs() -> None:
    from bflint.project.index import _IMPORT_LINE, _import_lines

    for text in (b"import x", b"x\nimport y\r\nfrom . import (a,\n b)\n  import z", b"",
                 b"importimport", b"# import\nfrom a import b # import c\n", b"s = 'import'\nimport q",
                 Path(__file__).read_bytes()):
        assert [m.span() for m in _import_lines(text)] == [m.span() for m in _IMPORT_LINE.finditer(text)]


def test_the_sys_path_folders_of_prefiltered_files_are_kept_in_the_cache(tmp_path: Path,
                                                                         monkeypatch) -> None:
    from bflint.project import index as index_mod

    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "plain.py").write_text("X = 1\n")
    script = tmp_path / "s.py"
    script.write_text("import os, sys\nsys.path.append(os.path.join(os.path.dirname(__file__), 'lib'))\n"
                      "from plain import X\n")
    opts = RunOptions(enabled=engine._enabled(), exclude=[], jobs=1, cache=True,
                      cache_dir=str(tmp_path / "cache"))
    runner._INDEX = None
    assert run([str(script)], opts)[0] == []
    calls = []
    real = index_mod.sys_path_candidates_ast
    monkeypatch.setattr(index_mod, "sys_path_candidates_ast", lambda *a: calls.append(a) or real(*a))
    runner._INDEX = None  # a new process: only the cache remembers
    assert run([str(script)], opts)[0] == [] and calls == []
    (tmp_path / "lib" / "plain.py").write_text("import bayesflow as bf\nX = bf.BasicWorkflow()\n")
    runner._INDEX = None
    run([str(script)], opts)  # the folder's module now passes the pre-filter: the file is checked
    assert calls == [] and runner.project_index().read == {str(tmp_path / "lib" / "plain.py")}
    script.write_text(script.read_text() + "# edited\n")
    runner._INDEX = None
    run([str(script)], opts)
    assert len(calls) == 1  # new bytes: read again
    runner._INDEX = None


def test_prefilter_lookups_find_every_file_the_resolver_would(tmp_path: Path) -> None:
    from bflint.project import resolve
    from bflint.project.index import _module_files

    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "both").mkdir()
    for rel in ("mod.py", "Mod.py", "pkg/__init__.py", "pkg/sub/__init__.py", "pkg/sub/leaf.py", "both.py",
                "both/__init__.py"):
        (tmp_path / rel).write_text("")
    (tmp_path / "dir.py").mkdir()  # a folder named like a module: not a module
    os.symlink(tmp_path / "nowhere.py", tmp_path / "broken.py")
    resolve.clear_caches()
    for dotted in ("mod", "pkg", "pkg.sub", "pkg.sub.leaf", "both", "dir", "broken", "missing", "pkg.nope",
                   "a..b"):
        found = _module_files(str(tmp_path), dotted)
        one = resolve._module_file(str(tmp_path), dotted)
        assert one is None or one in found, dotted
    assert sorted(_module_files(str(tmp_path), "mod")) == [str(tmp_path / "Mod.py"), str(tmp_path / "mod.py")]
    assert _module_files(str(tmp_path), "dir") == []
