"""Project-wide analysis (issue 12): imports of the project's own modules are
followed (never imported), findings caused by another module stay in the file
where the mistake is visible and name the other file, the cache notices when
only an imported module changes.

The fixture projects under tests/projects/ carry inline expectations per file
(``# select:`` in the first lines, ``# expect:`` on flagged lines)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bflint import engine, runner
from tests.expectations import expected, selection

PROJECTS = Path(__file__).parent / "projects"
FILES = sorted(p for p in PROJECTS.rglob("*.py") if p.name not in ("setup.py",))


def _found(path: Path, select: list[str], *, prefilter: bool = True,
           project: bool = True) -> set[tuple[int, str]]:
    enabled = engine._enabled(select)
    return {(f.row, f.code) for f in runner.check_path(path, enabled, prefilter=prefilter,
                                                        project=project)}


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PROJECTS)))
def test_fixture_project_file(path: Path) -> None:
    select = selection(path, "BF103")
    want = expected(path)
    got = _found(path, select)
    assert got == want, f"missing: {sorted(want - got)}; unexpected: {sorted(got - want)}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PROJECTS)))
def test_prefilter_never_hides_a_project_finding(path: Path) -> None:
    select = selection(path, "BF103")
    assert _found(path, select, prefilter=True) == _found(path, select, prefilter=False)


def test_a_whole_project_run_matches_the_files_one_by_one() -> None:
    """Linting the folder (one index, files in any order) gives what linting each
    file alone gives (pre-commit passes only the changed files)."""
    enabled = engine._enabled(["BF103", "BF301", "BF401", "BF000"])
    together, _ = runner.run([str(PROJECTS / "ddm")], runner.RunOptions(enabled, cache=False,
                                                                         jobs=1))
    alone = []
    for path in sorted((PROJECTS / "ddm").rglob("*.py")):
        alone.extend(runner.check_path(path, enabled))
    assert sorted((f.filename, f.row, f.code) for f in together) == sorted(
        (f.filename, f.row, f.code) for f in alone)


def test_message_names_the_other_file_and_the_finding_carries_it() -> None:
    path = PROJECTS / "ddm" / "model" / "workflow.py"
    [f] = runner.check_path(path, engine._enabled(["BF103"]))
    assert "(the cause is in simulation.py:6)" in f.message
    rel = f.related_location()
    assert rel == {"filename": str((PROJECTS / "ddm" / "model" / "simulation.py").resolve()),
                   "row": 6, "column": 13}
    assert f.to_json()["related"] == rel


def test_no_project_reads_the_file_alone() -> None:
    path = PROJECTS / "ddm" / "model" / "workflow.py"
    assert _found(path, ["BF103"], project=False) == set()
    assert _found(path, ["BF103"]) == {(13, "BF103")}


def test_no_file_is_parsed_twice_in_a_run(monkeypatch) -> None:
    from bflint.project.index import ProjectIndex

    index = ProjectIndex()
    monkeypatch.setattr(runner, "_INDEX", index)
    enabled = engine._enabled(None)
    runner.run([str(PROJECTS)], runner.RunOptions(enabled, cache=False, jobs=1))
    assert index.parses, "no project module was read"
    assert max(index.parses.values()) == 1, index.parses
    assert len(index.read) >= 5


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "ddm"
    shutil.copytree(PROJECTS / "ddm", dst)
    return dst


def test_cache_is_invalidated_when_only_an_imported_module_changes(tmp_path: Path) -> None:
    proj = _copy(tmp_path)
    wf = proj / "model" / "workflow.py"
    options = runner.RunOptions(engine._enabled(["BF103"]), cache=True,
                                cache_dir=str(tmp_path / "cache"), jobs=1)
    first, _ = runner.run([str(wf)], options)
    assert [(f.row, f.code) for f in first] == [(13, "BF103")]
    again, _ = runner.run([str(wf)], options)
    assert again == first
    sim = proj / "model" / "simulation.py"
    sim.write_text(sim.read_text().replace("np.random.uniform(0.5, 2.0)", "np.random.normal()"))
    after, _ = runner.run([str(wf)], options)
    assert after == []  # the cached finding of workflow.py (unchanged) was not reused
    # and back: the module's old content gives the old finding again
    sim.write_text(sim.read_text().replace("np.random.normal()", "np.random.uniform(0.5, 2.0)"))
    back, _ = runner.run([str(wf)], options)
    assert [(f.row, f.code) for f in back] == [(13, "BF103")]


def test_cache_entry_records_dependency_hashes(tmp_path: Path) -> None:
    from bflint import cache as cache_mod

    proj = _copy(tmp_path)
    wf = proj / "model" / "workflow.py"
    cdir = tmp_path / "cache"
    runner.run([str(wf)], runner.RunOptions(engine._enabled(["BF103"]), cache=True,
                                            cache_dir=str(cdir), jobs=1))
    [file] = list((cdir / cache_mod.SUBDIR).glob("*.json"))
    body = json.loads(file.read_bytes().partition(b"\n")[2])
    entry = body["files"][str(wf.resolve())]
    deps = entry[4]
    sim = str((proj / "model" / "simulation.py").resolve())
    assert deps[sim] == cache_mod.content_hash((proj / "model" / "simulation.py").read_bytes())


def test_imported_modules_are_never_run(tmp_path: Path) -> None:
    """A project module with side effects at import time is only read."""
    marker = tmp_path / "ran"
    (tmp_path / "setup.py").write_text("")
    (tmp_path / "evil.py").write_text(
        "import os\n"
        f"open({str(marker)!r}, 'w').write('x')\n"
        f"os.system('touch {marker}')\n"
        "raise SystemExit(3)\n"
        "import numpy as np\n"
        "def prior():\n    return {'s': np.random.gamma(1, 1)}\n"
        "def obs(s):\n    return {'x': np.random.normal(0, s, size=3)}\n")
    main = tmp_path / "main.py"
    main.write_text("import bayesflow as bf\nfrom evil import prior, obs\n"
                    "wf = bf.BasicWorkflow(simulator=bf.make_simulator([prior, obs]),\n"
                    "    inference_variables=['s'], summary_variables=['x'])\n")
    found = runner.check_path(main, engine._enabled(["BF103"]))
    assert [(f.row, f.code) for f in found] == [(4, "BF103")]
    assert not marker.exists()


def test_sarif_has_the_related_location() -> None:
    from bflint import output

    [f] = runner.check_path(PROJECTS / "ddm" / "model" / "workflow.py", engine._enabled(["BF103"]))
    [res] = json.loads(output.format_sarif([f]))["runs"][0]["results"]
    [rel] = res["relatedLocations"]
    loc = rel["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith("ddm/model/simulation.py")
    assert loc["region"] == {"startLine": 6, "startColumn": 13}
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == 13


def test_cli_no_project_and_the_statistics_line() -> None:
    from click.testing import CliRunner

    from bflint.cli import main

    target = str(PROJECTS / "ddm")
    cli = CliRunner()
    on = cli.invoke(main, ["check", "--no-cache", "--select", "BF103", "--statistics", target])
    assert "project modules read through imports" in on.output
    n = int(on.output.split(" project modules read")[0].rsplit("\n", 1)[-1])
    assert n >= 3
    # --statistics prints only the table (issue 13 §4): the message is in the report
    report = cli.invoke(main, ["check", "--no-cache", "--select", "BF103", target])
    assert "(the cause is in simulation.py:6)" in report.output
    off = cli.invoke(main, ["check", "--no-cache", "--select", "BF103", "--statistics",
                            "--no-project", target])
    assert "BF103" not in off.output and "read through imports" not in off.output


# -- the cache: summary fingerprints and modules that appear (issue 12) ----------

_SIM = '''import numpy as np


def prior():
    alpha = np.random.uniform(0.5, 2.0)
    return dict(alpha=alpha)


def likelihood(alpha):
    return dict(x=np.random.normal(alpha, 1.0, size=5))


def unused():
    return 1
'''

_WF = '''import bayesflow as bf

from sim import likelihood, prior

wf = bf.BasicWorkflow(simulator=bf.make_simulator([prior, likelihood]),
                      inference_variables=["alpha"], summary_variables=["x"])
'''


def _two_files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "setup.py").write_text("")
    sim, wf = tmp_path / "sim.py", tmp_path / "wf.py"
    sim.write_text(_SIM)
    wf.write_text(_WF)
    return sim, wf


def _cached_run(tmp_path: Path, monkeypatch, *paths: Path):
    """One run with the cache, in a fresh index: (findings as (file, row, code), parses)."""
    from bflint.project.index import ProjectIndex

    index = ProjectIndex(parse=runner._parse_module)
    monkeypatch.setattr(runner, "_INDEX", index)
    options = runner.RunOptions(engine._enabled(["BF103"]), cache=True,
                                cache_dir=str(tmp_path / "cache"), jobs=1)
    found, _ = runner.run([str(p) for p in paths], options)
    return {(Path(f.filename).name, f.row, f.code) for f in found}, dict(index.parses)


def test_importer_is_served_from_the_cache_when_an_unused_function_changes(tmp_path, monkeypatch):
    sim, wf = _two_files(tmp_path)
    first, _ = _cached_run(tmp_path, monkeypatch, wf)
    assert first == {("wf.py", 6, "BF103")}
    sim.write_text(_SIM.replace("return 1", "return 2  # edited"))
    again, parses = _cached_run(tmp_path, monkeypatch, wf)
    assert again == first
    assert parses == {}, "wf.py was re-checked although what it imports did not change"
    # and the entry now carries sim.py's new hash: the next run reads no fingerprint at all
    again, parses = _cached_run(tmp_path, monkeypatch, wf)
    assert again == first and parses == {}


def test_importer_is_rechecked_when_a_helper_of_a_used_function_changes(tmp_path, monkeypatch):
    sim, wf = _two_files(tmp_path)
    sim.write_text(_SIM.replace("alpha = np.random.uniform(0.5, 2.0)", "alpha = draw()")
                   + "\n\ndef draw():\n    return np.random.uniform(0.5, 2.0)\n")
    first, _ = _cached_run(tmp_path, monkeypatch, wf)
    sim.write_text(sim.read_text().replace("np.random.uniform(0.5, 2.0)", "np.random.normal()"))
    after, parses = _cached_run(tmp_path, monkeypatch, wf)
    assert str(wf) in parses or any(p.endswith("wf.py") for p in parses)
    assert ("wf.py", 6, "BF103") not in after
    assert first != after or first == set()


def test_a_module_created_where_an_import_looked_invalidates_the_entry(tmp_path, monkeypatch):
    sim, wf = _two_files(tmp_path)
    sim.unlink()
    first, _ = _cached_run(tmp_path, monkeypatch, wf)
    assert first == set()  # ``from sim import ...`` resolves to nothing yet
    sim.write_text(_SIM)
    after, _ = _cached_run(tmp_path, monkeypatch, wf)
    assert after == {("wf.py", 6, "BF103")}


def test_a_module_created_in_a_package_invalidates_the_entry(tmp_path, monkeypatch):
    (tmp_path / "setup.py").write_text("")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    wf = tmp_path / "wf.py"
    wf.write_text(_WF.replace("from sim import", "from pkg.sim import"))
    assert _cached_run(tmp_path, monkeypatch, wf)[0] == set()
    (pkg / "sim.py").write_text(_SIM)
    assert _cached_run(tmp_path, monkeypatch, wf)[0] == {("wf.py", 6, "BF103")}


def test_summary_fingerprint() -> None:
    from bflint.project.fingerprint import fingerprint

    base = fingerprint(_SIM, ["prior"])
    assert base is not None
    # another function, a comment: the same
    assert fingerprint(_SIM.replace("return 1", "return 2  # x"), ["prior"]) == base
    # the function taken, a module-level statement, a shifted line: different
    assert fingerprint(_SIM.replace("0.5, 2.0", "0.5, 3.0"), ["prior"]) != base
    assert fingerprint(_SIM + "\nSCALE = 2\n", ["prior"]) != base
    assert fingerprint("\n" + _SIM, ["prior"]) != base
    # a name asked for that the module does not define yet, then does
    assert fingerprint(_SIM, ["later"]) != fingerprint(_SIM + "\ndef later():\n    pass\n",
                                                      ["later"])
    assert fingerprint("def broken(:\n", ["x"]) is None


# -- parses: each module once per process, imported-only modules in part ----------

def _ring(tmp_path: Path, n: int = 12) -> Path:
    """n modules, each taking a prior and an adapter helper of 2 others (as bench 12)."""
    root = tmp_path / "ring"
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'ring'\n")
    (root / "pkg" / "__init__.py").write_text("")
    for i in range(n):
        a, b = (i + 1) % n, (i + 5) % n
        (root / "pkg" / f"m{i:02d}.py").write_text(f'''import bayesflow as bf
import numpy as np

from pkg.m{a:02d} import prior_{a}
from pkg.m{b:02d} import make_adapter_{b}


def prior_{i}():
    return dict(alpha=np.random.uniform(0.0, 1.0))


def likelihood_{i}(alpha):
    return dict(x=np.random.normal(alpha, 1.0, size=(20, 1)))


def make_adapter_{i}():
    return bf.Adapter().as_set(["x"]).concatenate(["alpha"], into="inference_variables").concatenate(
        ["x"], into="summary_variables")


def unused_{i}():
    return np.random.uniform(0.0, 1.0)


wf_{i} = bf.BasicWorkflow(simulator=bf.make_simulator([prior_{a}, likelihood_{i}]),
                         adapter=make_adapter_{b}(), summary_network=bf.networks.DeepSet(),
                         standardize="all")
''')
    return root


def test_pool_run_matches_the_serial_run_and_parses_each_module_once_per_worker(
        tmp_path: Path, monkeypatch) -> None:
    from bflint.project.index import ProjectIndex

    root = _ring(tmp_path)
    enabled = engine._enabled(None)
    monkeypatch.setattr(runner, "_INDEX", ProjectIndex(parse=runner._parse_module))
    serial, _ = runner.run([str(root)], runner.RunOptions(enabled, cache=False, jobs=1))
    assert max(runner._INDEX.parses.values()) == 1 and not runner._INDEX.partial_parses
    assert sum(f.code == "BF103" and "(the cause is in m" in f.message for f in serial) == 12
    monkeypatch.setattr(runner, "_INDEX", ProjectIndex(parse=runner._parse_module))
    monkeypatch.setattr(runner, "MIN_PARALLEL_BYTES", 0)
    pooled, _ = runner.run([str(root)], runner.RunOptions(enabled, cache=True, jobs=2,
                                                          cache_dir=str(tmp_path / "cache")))
    key = [(f.filename, f.row, f.code, f.message) for f in serial]
    assert [(f.filename, f.row, f.code, f.message) for f in pooled] == key
    warm, _ = runner.run([str(root)], runner.RunOptions(enabled, cache=True, jobs=2,
                                                        cache_dir=str(tmp_path / "cache")))
    assert [(f.filename, f.row, f.code, f.message) for f in warm] == key
    parses = runner._INDEX.pool_parses
    if parses:  # a pool ran (fork available): each module at most once per worker
        assert max(parses.values()) <= 2, parses
        assert sum(parses.values()) < 2 * 12, parses  # contiguous chunks: few shared modules


def test_an_imported_only_module_is_summarised_in_part(tmp_path: Path, monkeypatch) -> None:
    """``bflint one_file.py``: the modules it imports are parsed only in the
    statements the names it takes depend on, with their rows (the message's file:line)."""
    from bflint.project.index import ProjectIndex

    root = _ring(tmp_path)
    index = ProjectIndex(parse=runner._parse_module)
    monkeypatch.setattr(runner, "_INDEX", index)
    path = root / "pkg" / "m00.py"
    found = runner.check_path(path, engine._enabled(["BF103"]))
    assert [(f.row, f.code) for f in found] == [(25, "BF103")]
    assert "(the cause is in m01.py:9)" in found[0].message
    m01 = str((root / "pkg" / "m01.py").resolve())
    assert index.partial_parses[m01] == 1 and index.parses[m01] == 0
    whole = runner.check_path(path, engine._enabled(["BF103"]), project=True)
    assert whole == found


# -- notebooks and --fix follow the project too (issue 12) -------------------------

def _notebook(cells: list[str]) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "execution_count": None,
                                  "outputs": [], "source": c.splitlines(keepends=True)}
                                 for c in cells],
                       "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
                       "nbformat": 4, "nbformat_minor": 5})


def test_a_notebook_follows_project_imports(tmp_path: Path) -> None:
    proj = _copy(tmp_path)
    (proj / "notebooks").mkdir()
    nb = proj / "notebooks" / "explore.ipynb"
    nb.write_text(_notebook([
        "import sys\nsys.path.append('..')\n",
        "import bayesflow as bf\nfrom model.simulation import likelihood, prior\n",
        "wf = bf.BasicWorkflow(simulator=bf.make_simulator([prior, likelihood]),\n"
        "    inference_variables=['alpha', 'mu', 'sigma'], summary_variables=['x'],\n"
        "    summary_network=bf.networks.SetTransformer(), standardize='all')\n"]))
    found = runner.check_path(nb, engine._enabled(["BF103"]))
    assert {(f.cell, f.code) for f in found} == {(3, "BF103")}, found
    [alpha] = [f for f in found if f.message.startswith("`alpha`")]
    assert "(the cause is in ../model/simulation.py:6)" in alpha.message
    assert runner.check_path(nb, engine._enabled(["BF103"]), project=False) == []
    # through the runner too, with its cache entry depending on simulation.py
    options = runner.RunOptions(engine._enabled(["BF103"]), cache=True,
                                cache_dir=str(tmp_path / "cache"), jobs=1)
    assert len(runner.run([str(nb)], options)[0]) == len(found)
    sim = proj / "model" / "simulation.py"
    sim.write_text(sim.read_text().replace("np.random.uniform(0.5, 2.0)", "np.random.normal()"))
    assert len(runner.run([str(nb)], options)[0]) == len(found) - 1


def test_a_notebook_with_a_broken_cell_still_follows_project_imports(tmp_path: Path) -> None:
    """The other cells are analysed together again without the broken one: with
    the project's modules too (a half-typed cell is the editor's usual state)."""
    proj = _copy(tmp_path)
    nb = proj / "explore.ipynb"
    cells = ["import bayesflow as bf\nfrom model.simulation import likelihood, prior\n",
             "wf = bf.BasicWorkflow(simulator=bf.make_simulator([prior, likelihood]),\n"
             "    inference_variables=['alpha', 'mu', 'sigma'], summary_variables=['x'],\n"
             "    summary_network=bf.networks.SetTransformer(), standardize='all')\n"]
    nb.write_text(_notebook(cells))
    whole = {(f.cell, f.code, f.message) for f in runner.check_path(nb, engine._enabled(["BF103"]))}
    assert {(c, code) for c, code, _ in whole} == {(2, "BF103")}
    nb.write_text(_notebook([*cells, "def half_typed(:\n"]))
    found = runner.check_path(nb, engine._enabled(["BF103", "BF000"]))
    assert {(f.cell, f.code, f.message) for f in found if f.code == "BF103"} == whole
    assert [(f.cell, f.code) for f in found if f.code == "BF000"] == [(3, "BF000")]


def test_a_notebook_that_only_imports_the_project_passes_the_prefilter(tmp_path: Path) -> None:
    proj = _copy(tmp_path)
    nb = proj / "train.ipynb"
    nb.write_text(_notebook(["from model.workflow import create_workflow\n",
                             "workflow, simulator, adapter = create_workflow()\n"
                             "history = workflow.fit_offline(simulator.sample(100), epochs=1)\n"]))
    select = engine._enabled(["BF401"])
    assert runner.check_path(nb, select, prefilter=True) == runner.check_path(
        nb, select, prefilter=False) != []


def test_fix_relints_with_the_project(tmp_path: Path) -> None:
    """``--fix`` re-checks the fixed text with the project's modules: a finding
    caused by another module is still reported after the fix round."""
    from click.testing import CliRunner

    from bflint.cli import main

    proj = _copy(tmp_path)
    wf = proj / "model" / "workflow.py"
    wf.write_text(wf.read_text().replace('        standardize="all",\n', ""))
    res = CliRunner().invoke(main, ["check", "--no-cache", "--select", "BF103,BF107", "--fix",
                                    "--unsafe-fixes", str(wf)])
    assert "standardize=" in wf.read_text()  # BF107 fixed
    assert "BF103" in res.output and "(the cause is in simulation.py:6)" in res.output, res.output


def test_a_warm_run_after_an_edit_no_importer_sees_never_loads_libcst(tmp_path: Path) -> None:
    """The importer's entry is validated by the changed module's fingerprint (``ast``):
    nothing is parsed, LibCST is not even imported."""
    import subprocess
    import sys

    sim, wf = _two_files(tmp_path)
    script = (
        "import sys; from bflint import runner, engine\n"
        f"o = runner.RunOptions(engine._enabled(['BF103']), cache=True, cache_dir={str(tmp_path / 'c')!r}, jobs=1)\n"
        f"f, _ = runner.run([{str(wf)!r}], o)\n"
        "print(len(f), 'libcst' in sys.modules)\n")
    def run() -> str:
        return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              check=True, timeout=300).stdout.split()
    assert run() == ["1", "True"]       # cold: checked
    assert run() == ["1", "False"]      # warm, nothing changed
    sim.write_text(_SIM.replace("return 1", "return 3"))
    assert run() == ["1", "False"]      # warm, sim.py changed where wf.py does not look
    sim.write_text(_SIM.replace("0.5, 2.0", "0.5, 3.0"))
    assert run() == ["1", "True"]       # the prior wf.py takes changed: checked again


def test_importer_of_a_class_simulator_is_rechecked_when_its_sample_changes(tmp_path, monkeypatch):
    """A class of another module used as the simulator (``DDM()`` whose ``sample`` draws the
    prior): its finding, and a new check of the importer when the method changes."""
    src = PROJECTS / "classsim"
    for name in ("pyproject.toml", "simulators.py", "train.py"):
        shutil.copy(src / name, tmp_path / name)
    sims, train = tmp_path / "simulators.py", tmp_path / "train.py"
    first, _ = _cached_run(tmp_path, monkeypatch, train)
    assert first == {("train.py", 7, "BF103")}
    sims.write_text(sims.read_text().replace("np.random.uniform(0.5, 2.0, size=batch_shape)",
                                             "np.random.normal(1.0, 0.2, size=batch_shape)"))
    after, parses = _cached_run(tmp_path, monkeypatch, train)
    assert any(p.endswith("train.py") for p in parses), "train.py was served from the cache"
    assert after == set()
