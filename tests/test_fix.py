"""Autofix: Finding.fix, --fix / --unsafe-fixes / --diff, atomic writes that
keep encoding, BOM, line endings and mode; round trips of the rule fixes."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from bflint import engine
from bflint import fix as fixes
from bflint.finding import Finding

TYPO = ("import bayesflow as bf\n"
        "\n"
        "net = bf.networks.SetTransfomer(summary_dim=8)\n"
        'workflow = bf.BasicWorkflow(inference_network=bf.networks.CouplingFlow(), summary_network=net,\n'
        '                            standardize="all")\n'
        "history = workflow.fit_offline(data=1, epochs=2, validation_data=3, batchsize=32)\n")
TYPO_FIXED = TYPO.replace("SetTransfomer", "SetTransformer").replace("batchsize", "batch_size")
STD = ("import bayesflow as bf\n"
       "wf1 = bf.BasicWorkflow(inference_network=None)\n"
       "wf2 = bf.BasicWorkflow(inference_network=None, standardize=None)\n"
       'wf3 = bf.BasicWorkflow(inference_network=None, standardize="inference_variable")\n'
       "wf4 = bf.BasicWorkflow(inference_network=None, standardize=['summary_varibles'])\n")
BACKEND = ('"""Doc."""\n'
           "import numpy as np\n"
           "import bayesflow as bf\n"
           "import os\n"
           "\n"
           'os.environ["KERAS_BACKEND"] = "jax"  # the backend\n'
           "x = 1\n")


def lint(text, select):
    return engine.lint_source(text, "x.py", select=select)


def cli(run_cli, *args, input=None):
    return run_cli("--no-cache", *args, input=input)


# -- Finding.fix ---------------------------------------------------------------------

def test_fix_json_shape():
    (f,) = [f for f in lint(TYPO, ["BF903"]) if "SetTransfomer" in f.message]
    assert f.fix == {
        "applicability": "safe",
        "message": "Rename `SetTransfomer` to `SetTransformer`",
        "edits": [{"content": "SetTransformer", "location": {"row": 3, "column": 19},
                   "end_location": {"row": 3, "column": 32}}],
    }
    assert f.to_json()["fix"] == f.fix


def test_json_output_and_fixable_marker(tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("t.py").write_text(TYPO)
    data = json.loads(cli(run_cli, "--select", "BF903", "--format", "json", "t.py").output)
    assert all(d["fix"]["applicability"] == "safe" for d in data)
    res = cli(run_cli, "--select", "BF903", "--format", "concise", "t.py")
    assert "t.py:3:7: BF903 [*] `bf.networks.SetTransfomer`" in res.output
    assert "[*] 2 fixable with `--fix`." in res.output


# -- applying ------------------------------------------------------------------------

def test_fix_writes_and_second_fix_changes_nothing(tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = Path("t.py")
    p.write_text(TYPO)
    res = cli(run_cli, "--select", "BF903", "--fix", "t.py")
    assert res.exit_code == 0, res.output
    assert "Fixed 2 problems." in res.output
    assert p.read_text() == TYPO_FIXED
    before = p.stat().st_mtime_ns
    res = cli(run_cli, "--select", "BF903", "--fix", "t.py")
    assert res.exit_code == 0 and "Fixed" not in res.output
    assert p.read_text() == TYPO_FIXED and p.stat().st_mtime_ns == before


def test_diff_writes_nothing(tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("t.py").write_text(TYPO)
    res = cli(run_cli, "--select", "BF903", "--diff", "t.py")
    assert res.exit_code == 1
    assert "--- a/t.py\n+++ b/t.py\n" in res.stdout
    assert "-net = bf.networks.SetTransfomer(summary_dim=8)\n+net = bf.networks.SetTransformer(" in res.stdout
    assert "Would fix 2 problems." in res.stderr
    assert Path("t.py").read_text() == TYPO
    Path("t.py").write_text(TYPO_FIXED)
    res = cli(run_cli, "--select", "BF903", "--diff", "t.py")
    assert res.exit_code == 0 and res.stdout == ""


def test_safe_vs_unsafe(tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = Path("s.py")
    p.write_text(STD)
    res = cli(run_cli, "--select", "BF107,BF108", "--fix", "s.py")
    assert res.exit_code == 1  # the BF107 findings remain
    text = p.read_text()
    assert 'standardize="inference_variables"' in text and "['summary_variables']" in text
    assert "wf1 = bf.BasicWorkflow(inference_network=None)\n" in text
    res = cli(run_cli, "--select", "BF107,BF108", "--fix", "--unsafe-fixes", "s.py")
    assert res.exit_code == 0, res.output
    assert p.read_text() == (
        "import bayesflow as bf\n"
        'wf1 = bf.BasicWorkflow(inference_network=None, standardize="all")\n'
        'wf2 = bf.BasicWorkflow(inference_network=None, standardize="all")\n'
        'wf3 = bf.BasicWorkflow(inference_network=None, standardize="inference_variables")\n'
        "wf4 = bf.BasicWorkflow(inference_network=None, standardize=['summary_variables'])\n")


def test_bf107_multiline_trailing_comma_still_parses():
    src = "import bayesflow as bf\nwf = bf.BasicWorkflow(\n    inference_network=None,\n)\n"
    res = fixes.fix_text(src, "x.py", engine._enabled(["BF107"]), unsafe=True)
    assert res.text == ('import bayesflow as bf\nwf = bf.BasicWorkflow(\n    inference_network=None, '
                        'standardize="all",\n)\n')
    assert res.remaining == []


def test_bf108_ambiguous_or_far_spelling_is_not_fixed():
    src = 'import bayesflow as bf\nwf = bf.BasicWorkflow(inference_network=None, standardize="everything")\n'
    (f,) = lint(src, ["BF108"])
    assert f.fix is None


def test_bf903_ambiguous_method_is_not_fixed():
    src = ("import bayesflow as bf\nwf = bf.BasicWorkflow(inference_network=None)\n"
           "h = wf.fit_ofline(data=1)\n")  # fit_offline or fit_online?
    assert all(f.fix is None for f in lint(src, ["BF903"]))


def test_bf901_moves_the_backend_line(tmp_path):
    res = fixes.fix_text(BACKEND, "x.py", engine._enabled(["BF901"]), unsafe=True)
    assert res.text == ('"""Doc."""\n'
                        "import numpy as np\n"
                        "import os\n"
                        'os.environ["KERAS_BACKEND"] = "jax"\n'  # the line's comment is dropped
                        "import bayesflow as bf\n"  # the later `import os` moved up (one only)
                        "\n"
                        "x = 1\n")
    assert res.remaining == [] and len(res.fixed) == 1
    safe_only = fixes.fix_text(BACKEND, "x.py", engine._enabled(["BF901"]))
    assert safe_only.text == BACKEND and len(safe_only.remaining) == 1


def test_crlf_bom_encoding_and_mode_are_kept(tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    crlf = Path("crlf.py")
    crlf.write_bytes(b"\xef\xbb\xbf" + TYPO.replace("\n", "\r\n").encode())
    crlf.chmod(0o750)
    latin = Path("latin.py")
    latin.write_bytes(b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + TYPO.encode())
    res = cli(run_cli, "--select", "BF903", "--fix", "crlf.py", "latin.py")
    assert res.exit_code == 0, res.output
    assert crlf.read_bytes() == b"\xef\xbb\xbf" + TYPO_FIXED.replace("\n", "\r\n").encode()
    assert stat.S_IMODE(crlf.stat().st_mode) == 0o750
    assert latin.read_bytes() == b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + TYPO_FIXED.encode()
    assert sorted(os.listdir(".")) == ["crlf.py", "latin.py"]  # no temporary files left


def test_crlf_insertions_get_crlf():
    src = BACKEND.replace("\n", "\r\n")
    res = fixes.fix_text(src, "x.py", engine._enabled(["BF901"]), unsafe=True)
    assert "\r\n" in res.text and "\n" not in res.text.replace("\r\n", "")


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_symlink_target_is_written(tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("real.py").write_text(TYPO)
    os.symlink("real.py", "link.py")
    cli(run_cli, "--select", "BF903", "--fix", "link.py")
    assert Path("link.py").is_symlink() and Path("real.py").read_text() == TYPO_FIXED


def test_stdin_fix_prints_the_fixed_source(run_cli):
    res = cli(run_cli, "--select", "BF903", "--fix", "-", "--stdin-filename", "t.py", input=TYPO)
    assert res.stdout == TYPO_FIXED
    assert "Fixed 2 problems." in res.stderr
    res = cli(run_cli, "--select", "BF903", "--fix", "-", input=TYPO_FIXED)
    assert res.stdout == TYPO_FIXED and res.exit_code == 0


def test_notebooks_are_fixed_string_source(tmp_path, run_cli, monkeypatch):
    """A cell whose source is one string (not a list) stays one string (issue 13 §4)."""
    monkeypatch.chdir(tmp_path)
    nb = {"cells": [{"cell_type": "code", "source": TYPO}], "metadata": {}, "nbformat": 4,
          "nbformat_minor": 5}
    Path("nb.ipynb").write_text(json.dumps(nb))
    res = cli(run_cli, "--select", "BF903", "--fix", "nb.ipynb")
    assert res.exit_code == 0, res.output
    assert json.loads(Path("nb.ipynb").read_text())["cells"][0]["source"] == TYPO_FIXED


# -- the machinery on hand-made findings ---------------------------------------------

def _f(row, col, erow, ecol, content, applicability="safe", code="BF903"):
    return Finding(code, "n", "E", "m", "x.py", row, col, erow, ecol,
                   fix={"applicability": applicability, "message": "m",
                        "edits": [{"content": content, "location": {"row": row, "column": col},
                                   "end_location": {"row": erow, "column": ecol}}]})


def test_apply_edits_non_overlapping_in_reverse():
    text = "abcdef\nghij\n"
    new, applied = fixes.apply_edits(text, [_f(1, 2, 1, 4, "XY"), _f(1, 3, 1, 5, "Q"), _f(2, 1, 2, 1, ">"),
                                            _f(1, 6, 2, 2, "|", applicability="unsafe")])
    assert new == "aXYdef\n>ghij\n"
    assert len(applied) == 2
    new, applied = fixes.apply_edits(text, [_f(1, 6, 2, 2, "|", applicability="unsafe")], unsafe=True)
    assert new == "abcde|hij\n"


def test_never_writes_code_that_does_not_parse(monkeypatch):
    src = "import bayesflow\nx = 1\ny = 2\n"
    bad = _f(2, 5, 2, 6, "(")       # breaks the code
    good = _f(3, 5, 3, 6, "3")
    calls = []

    def fake(text, filename, enabled, prefilter=True):
        calls.append(text)
        return [f for f in (bad, good) if text == src] if len(calls) == 1 else []

    monkeypatch.setattr(engine, "check_source", fake)
    res = fixes.fix_text(src, "x.py", frozenset({"BF903"}))
    assert res.text == "import bayesflow\nx = 1\ny = 3\n"
    assert res.fixed == [good]


def test_fix_loop_is_bounded(monkeypatch):
    # a fix that always reappears: at most MAX_ROUNDS rounds
    def fake(text, filename, enabled, prefilter=True):
        return [_f(1, 1, 1, 1, "#")]

    monkeypatch.setattr(engine, "check_source", fake)
    res = fixes.fix_text("import bayesflow\n", "x.py", frozenset({"BF903"}))
    assert res.text == "#" * fixes.MAX_ROUNDS + "import bayesflow\n"


def test_unencodable_fix_is_not_written(tmp_path, monkeypatch):
    p = tmp_path / "a.py"
    p.write_bytes(b"# -*- coding: ascii -*-\nimport bayesflow\n")

    def fake(text, filename, enabled, prefilter=True):
        return [_f(2, 1, 2, 1, "# \u00e9\n")] if "\u00e9" not in text else []

    monkeypatch.setattr(engine, "check_source", fake)
    ff = fixes.fix_file(p, frozenset({"BF903"}))
    assert ff.error and "ascii" in ff.error
    assert p.read_bytes() == b"# -*- coding: ascii -*-\nimport bayesflow\n"


def test_bf305_removes_verbose_0():
    src = ("import bayesflow as bf\nwf = bf.BasicWorkflow(inference_network=None)\n"
           "h1 = wf.fit_offline(data=1, verbose=0, epochs=2)\n"
           "h2 = wf.fit_offline(data=1, epochs=2, verbose=0)\n"
           "h3 = wf.fit_online(verbose=0, epochs=2)\n"
           "h4 = wf.fit_online(\n    epochs=2,\n    verbose=0,\n)\n"
           "h5 = wf.fit_online(verbose=False)\n"
           "h6 = wf.fit_online(verbose=0,)\n")
    assert all(f.fix and f.fix["applicability"] == "unsafe" for f in lint(src, ["BF305"]))
    res = fixes.fix_text(src, "x.py", engine._enabled(["BF305"]), unsafe=True)
    assert res.text == ("import bayesflow as bf\nwf = bf.BasicWorkflow(inference_network=None)\n"
                        "h1 = wf.fit_offline(data=1, epochs=2)\n"
                        "h2 = wf.fit_offline(data=1, epochs=2)\n"
                        "h3 = wf.fit_online(epochs=2)\n"
                        "h4 = wf.fit_online(\n    epochs=2,\n)\n"
                        "h5 = wf.fit_online()\n"
                        "h6 = wf.fit_online()\n")
    assert res.remaining == [] and len(res.fixed) == 6


# -- issue 16 item 7: an edit made while --fix runs is never lost ---------------

def _edit_during_fix(monkeypatch, path: Path, edit):
    """Make ``edit(path)`` happen between bflint's read and its replace: the
    fixing itself (bflint's own fix_text) is wrapped, the file system is real."""
    real = fixes.fix_text

    def fix_then_edit(*args, **kw):
        result = real(*args, **kw)
        edit(path)
        return result

    monkeypatch.setattr(fixes, "fix_text", fix_then_edit)


@pytest.mark.parametrize("how", ["append", "same-size-and-mtime", "replaced-by-rename"])
def test_file_edited_during_fix_is_not_overwritten(tmp_path, monkeypatch, run_cli, how):
    monkeypatch.chdir(tmp_path)
    p = tmp_path / "x.py"
    p.write_text(TYPO + "# line\n" * 2000)

    def edit(path):
        st = path.stat()
        if how == "append":
            with open(path, "a") as fh:
                fh.write("user_edit = 1\n")
        elif how == "same-size-and-mtime":  # only the content hash can tell
            data = path.read_bytes().replace(b"# line\n# line", b"# LINE\n# line", 1)
            with open(path, "r+b") as fh:
                fh.write(data)
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        else:  # an editor's own atomic save
            tmp = path.with_name("x.py.swp")
            tmp.write_text(path.read_text() + "user_edit = 1\n")
            os.replace(tmp, path)
    expected_after_edit = None

    def snapshot(path):
        nonlocal expected_after_edit
        edit(path)
        expected_after_edit = path.read_bytes()

    _edit_during_fix(monkeypatch, p, snapshot)
    res = run_cli("--select", "BF903", "--fix", "x.py")
    assert res.exit_code == 2, res.output
    assert "x.py: not fixed: the file changed while bflint was fixing it" in res.output
    assert p.read_bytes() == expected_after_edit  # the user's edit is kept
    assert not list(tmp_path.glob("*.bflint-tmp"))


def test_unchanged_file_is_still_fixed_with_the_check(tmp_path, monkeypatch, run_cli):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.py").write_text(TYPO)
    res = run_cli("--select", "BF903", "--fix", "x.py")
    assert res.exit_code == 0 and (tmp_path / "x.py").read_text() == TYPO_FIXED


def test_file_state_matches():
    import tempfile

    from bflint.atomic import FileState

    with tempfile.NamedTemporaryFile("wb", delete=False) as fh:
        fh.write(b"abc")
    try:
        st = os.stat(fh.name)
        state = FileState.of(st, b"abc")
        assert state.matches(fh.name)
        assert not FileState.of(st, b"abd").matches(fh.name)
    finally:
        os.unlink(fh.name)
    assert not state.matches(fh.name)  # gone


def test_notebook_fix_edits_in_cell_coordinates(tmp_path):
    """Issue 13 §4: a notebook finding's fix edits use the finding's coordinates (row within the
    cell, magics' columns accounted for) and carry `cell`."""
    import subprocess
    import sys

    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# t\n"]},
                    {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
                     "source": ["%matplotlib inline\n", "import bayesflow as bf\n"]},
                    {"cell_type": "code", "execution_count": 2, "metadata": {}, "outputs": [],
                     "source": ["net = bf.networks.SetTransfomer(summary_dim=8)\n",
                                "%time wf = bf.BasicWorkflow(inference_network=None)"]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(nb))
    exe = Path(sys.executable).with_name("bflint")
    proc = subprocess.run([str(exe), "--no-cache", "--format", "json", "--select", "BF903,BF107", "nb.ipynb"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    found = {f["code"]: f for f in json.loads(proc.stdout)}
    (edit,) = found["BF903"]["fix"]["edits"]
    assert found["BF903"]["cell"] == 3 and edit["cell"] == 3
    assert (edit["location"], edit["end_location"]) == ({"row": 1, "column": 19}, {"row": 1, "column": 32})
    line = nb["cells"][2]["source"][0]
    assert line[edit["location"]["column"] - 1:edit["end_location"]["column"] - 1] == "SetTransfomer"
    (edit,) = found["BF107"]["fix"]["edits"]
    assert edit["cell"] == 3 and edit["location"]["row"] == 2
    line = nb["cells"][2]["source"][1]
    assert line[:edit["location"]["column"] - 1].endswith("inference_network=None")  # after `%time `


def test_notebook_fix_and_diff_round_trip(tmp_path):
    """--diff shows the notebook's change and writes nothing; --fix rewrites only the code cells'
    source (outputs, metadata, ids, the JSON's formatting kept); the result is clean and a second
    --fix changes nothing; the [*] count agrees with what --fix did."""
    import subprocess
    import sys

    nb = {"cells": [{"cell_type": "markdown", "id": "m", "metadata": {}, "source": ["# Titel é\n"]},
                    {"cell_type": "code", "execution_count": 1, "id": "a", "metadata": {"tags": ["t"]},
                     "outputs": [{"name": "stdout", "output_type": "stream", "text": ["hi\n"]}],
                     "source": ["%matplotlib inline\n", "import bayesflow as bf\n"]},
                    {"cell_type": "code", "execution_count": 2, "id": "b", "metadata": {}, "outputs": [],
                     "source": ["net = bf.networks.SetTransfomer(summary_dim=8)\n",
                                "%time wf = bf.BasicWorkflow(inference_network=None)"]}],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    raw = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    path = tmp_path / "nb.ipynb"
    path.write_text(raw, encoding="utf-8")
    exe = [str(Path(sys.executable).with_name("bflint")), "--no-cache", "--select", "BF903,BF107"]

    def run(*args):
        return subprocess.run([*exe, *args, "nb.ipynb"], cwd=tmp_path, capture_output=True, text=True,
                              timeout=300)

    check = run("--format", "concise")
    assert check.stdout.count(" [*] ") == 1  # the safe BF903 rename; BF107's fix is unsafe
    proc = run("--diff")
    assert proc.returncode == 1
    assert '-    "net = bf.networks.SetTransfomer(summary_dim=8)\\n",' in proc.stdout
    assert '+    "net = bf.networks.SetTransformer(summary_dim=8)\\n",' in proc.stdout
    assert "Would fix 1 problem (1 hidden fix" in proc.stderr
    assert path.read_text(encoding="utf-8") == raw
    proc = run("--fix", "--unsafe-fixes", "--format", "concise")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Fixed 2 problems." in proc.stdout
    new_raw = path.read_text(encoding="utf-8")
    new = json.loads(new_raw)
    assert new["cells"][2]["source"] == ["net = bf.networks.SetTransformer(summary_dim=8)\n",
                                         '%time wf = bf.BasicWorkflow(inference_network=None, standardize="all")']
    for old_cell, new_cell in zip(nb["cells"], new["cells"]):
        assert {k: v for k, v in old_cell.items() if k != "source"} == \
            {k: v for k, v in new_cell.items() if k != "source"}
    assert new["cells"][:2] == nb["cells"][:2] and new["metadata"] == nb["metadata"]
    assert new_raw == json.dumps(new, indent=1, ensure_ascii=False) + "\n"  # formatting kept
    again = run("--fix", "--unsafe-fixes")
    assert again.returncode == 0 and path.read_text(encoding="utf-8") == new_raw
