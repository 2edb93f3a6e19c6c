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
