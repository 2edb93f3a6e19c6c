"""``bflint --add-noqa`` through the console script (issue 13 §3): ruff's semantics, idempotent,
the result parses and only comments change, existing codes kept, notebooks cell by cell."""

from __future__ import annotations

import ast
import io
import json
import shutil
import subprocess
import tokenize

from tests.conftest import FIXTURES

SCRIPT = '''\
import bayesflow as bf
workflow = bf.BasicWorkflow(inference_network=None)  # noqa: F401
history = workflow.fit_offline(data=1, epochs=2)
h2 = workflow.fit_offline(data=1, epochs=2, doc="""x
y""")
h3 = workflow.fit_offline(data=1, \\
   epochs=2)
h4 = workflow.fit_offline(data=1, epochs=2)  # a comment
h5 = workflow.fit_offline(data=1, epochs=2)  # noqa:E501,BF302
'''


def _run(bflint_exe, cwd, *args):
    return subprocess.run([*bflint_exe, "--no-cache", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def _code_tokens(text: str):
    skip = (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE)
    return [(t.type, t.string) for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type not in skip]


def test_add_noqa_script(tmp_path, bflint_exe):
    path = tmp_path / "train.py"
    path.write_text(SCRIPT)
    before = _run(bflint_exe, tmp_path, "--format", "concise", "train.py")
    assert before.returncode == 1
    n_lines_with_findings = len({line.split(":")[1] for line in before.stdout.splitlines() if line.count(":") > 2})
    proc = _run(bflint_exe, tmp_path, "--add-noqa", "train.py")
    assert proc.returncode == 0, proc.stderr
    new = path.read_text()
    lines = new.splitlines()
    # existing codes of other tools kept, new ones appended; other comments kept
    assert lines[1] == "workflow = bf.BasicWorkflow(inference_network=None)  # noqa: F401, BF107"
    assert lines[2].endswith("epochs=2)  # noqa: BF302, BF303, BF304, BF401")
    # a multi-line string: the directive goes on the line where the string ends (not inside it)
    assert lines[3] == 'h2 = workflow.fit_offline(data=1, epochs=2, doc="""x'
    assert lines[4] == 'y""")  # noqa: BF302, BF303, BF304, BF903'
    # a backslash continuation: on the last line of the logical line
    assert lines[5] == "h3 = workflow.fit_offline(data=1, \\"
    assert lines[6] == "   epochs=2)  # noqa: BF302, BF303, BF304"
    assert lines[7] == "h4 = workflow.fit_offline(data=1, epochs=2)  # a comment  # noqa: BF302, BF303, BF304"
    assert lines[8] == "h5 = workflow.fit_offline(data=1, epochs=2)  # noqa:E501, BF302, BF303, BF304"
    # findings on 6 rows (2, 3, 4, 6, 8, 9); row 4's directive goes where its string ends (row 5)
    assert n_lines_with_findings == 6
    assert proc.stderr.strip().endswith("Added 6 noqa directives.")
    # the result parses, and only comments changed
    ast.parse(new)
    assert _code_tokens(new) == _code_tokens(SCRIPT)
    # every finding is now suppressed
    after = _run(bflint_exe, tmp_path, "train.py")
    assert after.returncode == 0, after.stdout
    # idempotent
    again = _run(bflint_exe, tmp_path, "--add-noqa", "train.py")
    assert again.returncode == 0
    assert "Added 0 noqa directives." in again.stderr
    assert path.read_text() == new


def test_add_noqa_keeps_encoding_bom_line_endings_and_mode(tmp_path, bflint_exe):
    path = tmp_path / "win.py"
    src = "# -*- coding: utf-8 -*-\r\nimport bayesflow as bf\r\nwf = bf.BasicWorkflow(inference_network=None)  # héllo\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + src.encode("utf-8"))
    path.chmod(0o640)
    proc = _run(bflint_exe, tmp_path, "--add-noqa", "--select", "BF107", "win.py")
    assert proc.returncode == 0, proc.stderr
    assert "Added 1 noqa directive." in proc.stderr
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == src.replace("# héllo\r\n", "# héllo  # noqa: BF107\r\n")
    assert path.stat().st_mode & 0o777 == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name != "win.py"]  # no temporary file left


def test_noqa_in_string_is_not_suppressed_elsewhere(tmp_path, bflint_exe):
    """Suppression is unchanged for lines that can carry a comment: a noqa on the next line does
    not count for them; the end-of-string line counts only for findings inside that string's line."""
    path = tmp_path / "t.py"
    path.write_text("import bayesflow as bf\n"
                    "wf = bf.BasicWorkflow(inference_network=None)\n"
                    "x = 1  # noqa: BF107\n")
    proc = _run(bflint_exe, tmp_path, "--select", "BF107", "t.py")
    assert proc.returncode == 1 and "t.py:2:" in proc.stdout


def test_add_noqa_skips_unparsable_and_refuses_stdin(tmp_path, bflint_exe):
    bad = tmp_path / "bad.py"
    bad.write_text("import bayesflow as bf\nwf = bf.BasicWorkflow(\n")
    proc = _run(bflint_exe, tmp_path, "--add-noqa", "bad.py")
    assert "Added 0 noqa directives." in proc.stderr
    assert bad.read_text() == "import bayesflow as bf\nwf = bf.BasicWorkflow(\n"
    proc = subprocess.run([*bflint_exe, "--add-noqa", "-"], input="import bayesflow as bf\n", capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2 and "stdin" in proc.stderr


def _notebook() -> dict:
    return {
        "cells": [
            {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": ["# Title é\n"]},
            {"cell_type": "code", "execution_count": 1, "id": "c1", "metadata": {"tags": ["x"]},
             "outputs": [{"name": "stdout", "output_type": "stream", "text": ["hi\n"]}],
             "source": ["%matplotlib inline\n", "import bayesflow as bf\n",
                        "workflow = bf.BasicWorkflow(inference_network=None)  # noqa: E501\n"]},
            {"cell_type": "code", "execution_count": None, "id": "c2", "metadata": {}, "outputs": [],
             "source": "%time history = workflow.fit_offline(data=1, epochs=2)\n"
                       "h2 = workflow.fit_offline(data=1, doc=\"\"\"a\nb\"\"\")"},
        ],
        "metadata": {"kernelspec": {"language": "python", "name": "python3", "display_name": "Python 3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }


def test_add_noqa_notebook_round_trip(tmp_path, bflint_exe):
    path = tmp_path / "analysis.ipynb"
    nb = _notebook()
    raw = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"  # Jupyter's own format
    path.write_text(raw, encoding="utf-8")
    proc = _run(bflint_exe, tmp_path, "--add-noqa", "analysis.ipynb")
    assert proc.returncode == 0, proc.stderr
    assert "Added 3 noqa directives." in proc.stderr
    new_raw = path.read_text(encoding="utf-8")
    new = json.loads(new_raw)
    # only the code cells' source changed; ids, outputs, metadata, markdown untouched
    for old_cell, new_cell in zip(nb["cells"], new["cells"]):
        assert {k: v for k, v in old_cell.items() if k != "source"} == \
            {k: v for k, v in new_cell.items() if k != "source"}
    assert new["cells"][0] == nb["cells"][0] and new["metadata"] == nb["metadata"]
    assert new["cells"][1]["source"] == [
        "%matplotlib inline\n", "import bayesflow as bf\n",
        "workflow = bf.BasicWorkflow(inference_network=None)  # noqa: E501, BF107\n"]
    assert new["cells"][2]["source"] == (
        "%time history = workflow.fit_offline(data=1, epochs=2)  # noqa: BF302, BF303, BF304, BF401\n"
        "h2 = workflow.fit_offline(data=1, doc=\"\"\"a\nb\"\"\")  # noqa: BF302, BF303, BF304, BF903")
    # the JSON formatting is kept: re-serialising the new content the same way gives the same bytes
    assert new_raw == json.dumps(new, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    assert _run(bflint_exe, tmp_path, "analysis.ipynb").returncode == 0
    again = _run(bflint_exe, tmp_path, "--add-noqa", "analysis.ipynb")
    assert "Added 0 noqa directives." in again.stderr
    assert path.read_text(encoding="utf-8") == new_raw


def test_add_noqa_notebook_keeps_foreign_formatting(tmp_path, bflint_exe):
    """A notebook written by another tool (2-space indent, ASCII escapes, unsorted keys) keeps
    every byte outside the changed source strings."""
    nb = _notebook()
    raw = json.dumps(nb, indent=2, ensure_ascii=True)  # no final newline either
    path = tmp_path / "other.ipynb"
    path.write_text(raw, encoding="utf-8")
    proc = _run(bflint_exe, tmp_path, "--add-noqa", "other.ipynb")
    assert proc.returncode == 0, proc.stderr
    new_raw = path.read_text(encoding="utf-8")
    assert new_raw == json.dumps(json.loads(new_raw), indent=2, ensure_ascii=True)
    assert "\\u00e9" in new_raw  # the markdown cell's escape untouched


def test_add_noqa_on_every_fixture(tmp_path, bflint_exe):
    """The whole fixture corpus (every rule's bad files, notebooks, magics, odd encodings): after
    --add-noqa only BF000 remains, every file's code tokens are unchanged, and a second run adds
    nothing."""
    tree = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, tree)
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    proc = _run(bflint_exe, tree, "--add-noqa", ".")
    assert proc.returncode == 0, proc.stderr
    added = int(proc.stderr.split("Added ", 1)[1].split()[0])
    assert added > 100
    after = _run(bflint_exe, tree, "--format", "concise", ".")
    codes = {line.split(": ", 1)[1].split()[0] for line in after.stdout.splitlines() if ": BF" in line}
    assert codes <= {"BF000"}, after.stdout
    changed = 0
    for p, old in before.items():
        new = p.read_bytes()
        if new == old:
            continue
        changed += 1
        if p.suffix == ".py":
            from bflint.source import decode

            assert _code_tokens(decode(new)) == _code_tokens(decode(old)), p
        elif p.suffix == ".ipynb":
            o, n = json.loads(old), json.loads(new)
            assert [c.get("outputs") for c in o["cells"]] == [c.get("outputs") for c in n["cells"]]
    assert changed > 50
    again = _run(bflint_exe, tree, "--add-noqa", ".")
    assert "Added 0 noqa directives." in again.stderr
