"""Notebooks: code cells joined in order, magics neutralised, findings mapped
back to (cell, row within the cell)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bflint import engine, notebook, runner
from bflint.output import format_concise
from tests.conftest import ROOT

NB_FIXTURES = ROOT / "tests" / "fixtures" / "notebooks"

IMPORTS = "import bayesflow as bf\n"
WORKFLOW = "workflow = bf.BasicWorkflow(inference_network=bf.networks.CouplingFlow())\n"
FIT = "history = workflow.fit_offline(data=train, epochs=10)\n"   # BF302 (no validation_data)


def make_nb(*cells, metadata=None) -> dict:
    out = []
    for c in cells:
        if isinstance(c, dict):
            out.append(c)
        elif isinstance(c, tuple):  # (cell_type, source)
            out.append({"cell_type": c[0], "metadata": {}, "source": c[1]})
        else:
            out.append({"cell_type": "code", "metadata": {}, "execution_count": None,
                        "outputs": [], "source": c.splitlines(keepends=True)})
    return {"cells": out, "metadata": metadata or {"kernelspec": {"language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


SELECT = ["BF000", "BF302"]  # other rules land concurrently: keep these tests about notebooks


def lint_nb(tmp_path: Path, nb, name="nb.ipynb", select=SELECT, prefilter=True, ignore=()):
    p = tmp_path / name
    p.write_text(nb if isinstance(nb, str) else json.dumps(nb), encoding="utf-8")
    return runner.check_path(p, engine._enabled(select, ignore), prefilter=prefilter)


def keys(findings):
    return sorted((f.cell, f.row, f.code) for f in findings)


def test_cells_joined_and_mapped_to_cell_and_row(tmp_path):
    nb = make_nb(("markdown", "# Title\n"), IMPORTS, ("markdown", "text"), WORKFLOW,
                 "train = None\n\n" + FIT)
    found = lint_nb(tmp_path, nb)
    assert keys(found) == [(5, 3, "BF302")]
    f = found[0]
    assert (f.column, f.end_row) == (11, 3)
    text = format_concise(found)
    assert text.splitlines()[0].startswith(f"{tmp_path / 'nb.ipynb'}:cell 5:3:11: BF302 ")
    js = f.to_json()
    assert js["cell"] == 5 and js["location"] == {"row": 3, "column": 11}


@pytest.mark.parametrize("magic", [
    "%matplotlib inline",
    "%load_ext autoreload",
    "!pip install bayesflow",
    "!pip install \\\n    keras",
    "files = !ls",
    "a, b = !echo 1 2",
    "env = %env",
    "bf.BasicWorkflow?",
    "bf.BasicWorkflow??",
    "?bf.BasicWorkflow",
    "%config InlineBackend.figure_format = 'retina'",
])
def test_line_magics_are_neutralised_rows_stay_aligned(tmp_path, magic):
    nb = make_nb(IMPORTS, magic + "\n" + WORKFLOW + "train = 1\n" + FIT)
    rows = len(magic.splitlines())
    assert keys(lint_nb(tmp_path, nb)) == [(2, rows + 3, "BF302")]


def test_magic_in_indented_block(tmp_path):
    nb = make_nb(IMPORTS + WORKFLOW, "if True:\n    !pip install x\n    %time y = 1\n" + FIT)
    assert keys(lint_nb(tmp_path, nb)) == [(2, 4, "BF302")]


def test_time_line_magic_keeps_the_statement_and_its_column(tmp_path):
    nb = make_nb(IMPORTS + WORKFLOW, "%time history = workflow.fit_offline(data=1, epochs=2)\n")
    (f,) = lint_nb(tmp_path, nb)
    assert (f.cell, f.row, f.column, f.code) == (2, 1, 17, "BF302")
    assert f.end_column > f.column


def test_timeit_with_options_is_neutralised(tmp_path):
    nb = make_nb(IMPORTS + WORKFLOW, "%timeit -n 1 workflow.fit_offline(data=1)\n")
    assert lint_nb(tmp_path, nb) == []


def test_time_cell_magic_body_is_python(tmp_path):
    nb = make_nb(IMPORTS + WORKFLOW, "%%time\n" + FIT)
    assert keys(lint_nb(tmp_path, nb)) == [(2, 2, "BF302")]


@pytest.mark.parametrize("magic", ["%%bash", "%%writefile script.py", "%%html", "%%script python"])
def test_other_cell_magics_are_skipped(tmp_path, magic):
    # the body is not Python for the kernel (or is a file written to disk)
    nb = make_nb(IMPORTS + WORKFLOW, magic + "\n" + FIT + "echo $((1 + )) ]]\n", "train = 1\n" + FIT)
    assert keys(lint_nb(tmp_path, nb)) == [(3, 2, "BF302")]


def test_percent_in_a_continuation_line_is_python(tmp_path):
    src = ('msg = ("epochs: %d"\n'
           '       % 3)\n'
           'doc = """\n'
           '!not a shell line\n'
           '%not a magic\n'
           '"""\n'
           'total = 1 + \\\n'
           '    2\n')
    lines = notebook.neutralise(src.splitlines())
    assert lines == src.splitlines()
    nb = make_nb(IMPORTS + WORKFLOW, src + FIT)
    assert keys(lint_nb(tmp_path, nb)) == [(2, 9, "BF302")]


def test_syntax_error_in_one_cell_others_still_analysed(tmp_path):
    nb = make_nb(IMPORTS, "def broken(:\n    pass\n", WORKFLOW, "x = (1,\n", "train = 1\n" + FIT)
    found = lint_nb(tmp_path, nb)
    assert keys(found) == [(2, 1, "BF000"), (4, 1, "BF000"), (5, 2, "BF302")]
    assert "left out of the analysis" in found[0].message


def test_syntax_error_only_bf000_selected(tmp_path):
    nb = make_nb(IMPORTS, "def broken(:\n", WORKFLOW, FIT)
    assert keys(lint_nb(tmp_path, nb, select=["BF000"])) == [(2, 1, "BF000")]
    # parse errors stay on whatever the selection; only an explicit ignore drops them
    assert keys(lint_nb(tmp_path, nb, select=["BF302"])) == [(2, 1, "BF000"), (4, 1, "BF302")]


def test_noqa_inside_a_cell(tmp_path):
    nb = make_nb(IMPORTS + WORKFLOW, FIT.rstrip("\n") + "  # noqa: BF302\n",
                 "train = 1\n" + FIT.rstrip("\n") + "  # noqa: BF101\n")
    assert keys(lint_nb(tmp_path, nb)) == [(3, 2, "BF302")]


def test_file_level_noqa_in_any_cell(tmp_path):
    nb = make_nb("# bflint: noqa: BF302\n", IMPORTS + WORKFLOW, FIT)
    assert lint_nb(tmp_path, nb) == []


def test_whole_script_rules_see_every_cell(tmp_path):
    # the workflow is built in cell 1 and fitted (with validation data) in cell 3
    nb = make_nb(IMPORTS + WORKFLOW, ("markdown", "Fit:"),
                 "history = workflow.fit_offline(data=1, epochs=2, validation_data=3)\n")
    assert lint_nb(tmp_path, nb) == []
    # an imported name in cell 1 is resolved in cell 4
    nb = make_nb("from bayesflow import BasicWorkflow as BW\n", "x = 1\n", ("raw", "raw"),
                 "wf = BW(inference_network=None)\nwf.fit_offline(data=1)\n")
    assert keys(lint_nb(tmp_path, nb)) == [(4, 2, "BF302")]


def test_invalid_json(tmp_path):
    (f,) = lint_nb(tmp_path, '{"cells": [ bayesflow')
    assert (f.code, f.row, f.cell) == ("BF000", 1, None)
    assert "invalid notebook JSON" in f.message


def test_invalid_json_reported_unless_bf000_ignored(tmp_path):
    assert [f.code for f in lint_nb(tmp_path, '{"cells": [ bayesflow', select=["BF3"])] == ["BF000"]
    assert lint_nb(tmp_path, '{"cells": [ bayesflow', select=["BF3"], ignore=["BF000"]) == []


@pytest.mark.parametrize("content", ['{"metadata": {"bayesflow": 1}}', '["bayesflow"]',
                                     '{"cells": "bayesflow"}'])
def test_missing_cells(tmp_path, content):
    (f,) = lint_nb(tmp_path, content)
    assert f.code == "BF000"


def test_non_string_source_cell_reported_others_analysed(tmp_path):
    nb = make_nb(IMPORTS + WORKFLOW, {"cell_type": "code", "source": [1, 2]},
                 {"cell_type": "code", "source": 42}, FIT)
    assert keys(lint_nb(tmp_path, nb)) == [(2, 1, "BF000"), (3, 1, "BF000"), (4, 1, "BF302")]


def test_string_source_and_odd_cells(tmp_path):
    nb = make_nb({"cell_type": "code", "source": IMPORTS + WORKFLOW}, "not a dict cell is skipped", FIT)
    nb["cells"][1] = "garbage"
    assert keys(lint_nb(tmp_path, nb)) == [(3, 1, "BF302")]


def test_empty_cells_and_empty_notebook(tmp_path):
    nb = make_nb("", IMPORTS + WORKFLOW, "", FIT)
    assert keys(lint_nb(tmp_path, nb)) == [(4, 1, "BF302")]
    assert lint_nb(tmp_path, make_nb(), prefilter=False) == []


def test_non_python_kernel_is_skipped(tmp_path):
    nb = make_nb(IMPORTS + WORKFLOW + FIT, metadata={"kernelspec": {"language": "R"}})
    assert lint_nb(tmp_path, nb) == []


def test_nbformat3_worksheets(tmp_path):
    nb = {"nbformat": 3, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "code", "input": [IMPORTS, WORKFLOW]},
        {"cell_type": "markdown", "source": "x"},
        {"cell_type": "code", "input": FIT}]}]}
    assert keys(lint_nb(tmp_path, nb)) == [(3, 1, "BF302")]


def test_prefilter_skips_unrelated_notebooks(tmp_path):
    nb = make_nb("import numpy as np\nnp.zeros(3)\n")
    assert lint_nb(tmp_path, nb) == []


def test_crlf_and_bom_notebook(tmp_path):
    nb = make_nb(IMPORTS.replace("\n", "\r\n") + WORKFLOW.replace("\n", "\r\n"), FIT.replace("\n", "\r\n"))
    p = tmp_path / "nb.ipynb"
    p.write_bytes(b"\xef\xbb\xbf" + json.dumps(nb).encode())
    assert keys(runner.check_path(p, engine._enabled(SELECT))) == [(2, 1, "BF302")]


def test_stdin_notebook_with_stdin_filename(run_cli):
    nb = make_nb(IMPORTS + WORKFLOW, FIT)
    res = run_cli("--format", "concise", "--select", "BF000,BF302", "-", "--stdin-filename", "x.ipynb", input=json.dumps(nb))
    assert res.exit_code == 1
    assert res.output.startswith("x.ipynb:cell 2:1:11: BF302 ")


def test_json_output_has_cell(run_cli, tmp_path):
    p = tmp_path / "nb.ipynb"
    p.write_text(json.dumps(make_nb(IMPORTS + WORKFLOW, FIT)))
    res = run_cli("--format", "json", "--select", "BF000,BF302", str(p))
    data = json.loads(res.output)
    assert [(d["cell"], d["location"]["row"], d["code"]) for d in data] == [(2, 1, "BF302")]


def test_directory_discovery_includes_notebooks(run_cli, tmp_path):
    (tmp_path / "a.ipynb").write_text(json.dumps(make_nb(IMPORTS + WORKFLOW, FIT)))
    (tmp_path / "b.py").write_text(IMPORTS + WORKFLOW + FIT)
    res = run_cli("--format", "concise", "--select", "BF000,BF302", str(tmp_path))
    assert "a.ipynb:cell 2:1:11: BF302" in res.output
    assert "b.py:3:11: BF302" in res.output


# -- fixture notebooks ------------------------------------------------------

FIXTURE_NBS = sorted(NB_FIXTURES.glob("*.ipynb"))


def test_fixture_notebooks_exist():
    assert len(FIXTURE_NBS) >= 3


@pytest.mark.parametrize("path", FIXTURE_NBS, ids=lambda p: p.name)
def test_fixture_notebook(path):
    from tests.expectations import expected

    found = {(f.cell, f.row, f.code) for f in runner.check_path(path, engine._enabled(SELECT))}
    assert found == expected(path)


@pytest.mark.parametrize("path", FIXTURE_NBS, ids=lambda p: p.name)
def test_fixture_notebook_prefilter(path):
    enabled = engine._enabled(SELECT)
    assert runner.check_path(path, enabled) == runner.check_path(path, enabled, prefilter=False)


def test_a_cell_indented_as_a_whole_runs_as_ipython_runs_it(tmp_path):
    """IPython removes the indentation every line of a cell shares (leading_indent), so a
    cell pasted with a leading space runs: it is analysed, at the cell's own columns."""
    nb = make_nb(" " + IMPORTS + " " + WORKFLOW,
                 "  x = 1\n\n  if x:\n      history = workflow.fit_offline(data=1, epochs=2)\n",
                 "  %time history = workflow.fit_offline(data=1, epochs=2)\n")
    found = lint_nb(tmp_path, nb)
    assert [(f.cell, f.row, f.column, f.code) for f in found] == [
        (2, 4, 17, "BF302"), (3, 1, 19, "BF302")]


def test_a_cell_with_one_line_indented_more_than_the_first_is_a_syntax_error(tmp_path):
    nb = make_nb(IMPORTS + WORKFLOW, "x = 1\n y = 2\n")
    assert keys(lint_nb(tmp_path, nb)) == [(2, 2, "BF000")]


def test_fixes_in_an_indented_cell_are_at_its_own_columns(tmp_path):
    nb = make_nb(" import bayesflow as bf\n"
                 " workflow = bf.BasicWorkflow(adapter=adapter, standardize='inference_variable')\n")
    p = tmp_path / "nb.ipynb"
    p.write_text(json.dumps(nb), encoding="utf-8")
    found = runner.check_path(p, engine._enabled(["BF108"]))
    assert [(f.cell, f.row, f.column) for f in found] == [(1, 2, 13)]
    fix = found[0].fix
    assert fix is not None
    edit = fix["edits"][0]
    line = nb["cells"][0]["source"][1]
    start, end = edit["location"]["column"] - 1, edit["end_location"]["column"] - 1
    assert line[start:end] == "'inference_variable'"


def test_a_cell_whose_first_line_alone_is_indented_runs_as_older_ipython_ran_it(tmp_path):
    """IPython < 9 removed the first line's indentation from every line starting with it:
    `` if x:`` over ``    history = ...`` ran (a saved notebook of the held-out corpus)."""
    nb = make_nb(IMPORTS + WORKFLOW,
                 " if True:\n    history = workflow.fit_offline(data=1, epochs=2)\n")
    found = lint_nb(tmp_path, nb)
    assert [(f.cell, f.row, f.column, f.code) for f in found] == [(2, 2, 15, "BF302")]
