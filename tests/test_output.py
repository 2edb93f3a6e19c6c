"""Output formats: full, concise/text, json, sarif (validated against the
SARIF 2.1.0 schema), github; --statistics, --output-file, colours."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from bflint import output
from bflint.finding import Finding
from tests.conftest import ROOT

SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
SEL = ("--select", "BF000,BF302")
BAD = ("import bayesflow as bf\n"
       "workflow = bf.BasicWorkflow(inference_network=None)\n"
       "history = workflow.fit_offline(data=1, epochs=2)\n")


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text(BAD)
    (tmp_path / "sub dir").mkdir()
    (tmp_path / "sub dir" / "other.py").write_text("import bayesflow as bf\n\n" + BAD.split("\n", 1)[1])
    nb = {"cells": [{"cell_type": "markdown", "source": "# t"},
                    {"cell_type": "code", "source": BAD}], "metadata": {}, "nbformat": 4,
          "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(nb))
    (tmp_path / "broken.py").write_text("import bayesflow as bf\ndef f(:\n")
    return tmp_path


def _finding(**kw):
    base = dict(code="BF302", name="missing-validation-data", severity="E", message="msg",
                filename="a.py", row=3, column=11, end_row=3, end_column=49)
    base.update(kw)
    return Finding(**base)


def test_concise_is_default_when_not_a_tty(project, run_cli):
    res = run_cli(*SEL, "train.py")
    assert res.exit_code == 1
    assert res.output.splitlines()[0].startswith("train.py:3:11: BF302 `fit_offline(...)`")
    assert "Found 1 problem (1 error) in 1 file (1 file checked)." in res.output


def test_text_is_an_alias_of_concise(project, run_cli):
    a = run_cli(*SEL, "--format", "text", ".").output
    b = run_cli(*SEL, "--format", "concise", ".").output
    assert a == b
    assert "nb.ipynb:cell 2:3:11: BF302" in a


def test_full_shows_source_carets_and_help(project, run_cli):
    res = run_cli(*SEL, "--format", "full", "train.py")
    lines = res.output.splitlines()
    assert lines[0].startswith("train.py:3:11: BF302 ")
    src = next(i for i, l in enumerate(lines) if l.startswith("3 | history"))
    caret = lines[src + 1]
    assert caret.index("^") == lines[src].index("workflow")
    assert caret.rstrip().endswith("^ BF302")
    assert caret.count("^") == len("workflow.fit_offline(data=1, epochs=2)")
    assert any(l.strip().startswith("= help: Hold out ~300 simulations") for l in lines)
    assert "\x1b[" not in res.output  # not a terminal: no colour


def test_full_for_notebook_cells_and_stdin(project, run_cli):
    res = run_cli(*SEL, "--format", "full", "nb.ipynb")
    assert "nb.ipynb:cell 2:3:11: BF302" in res.output
    assert "3 | history = workflow.fit_offline" in res.output
    res = run_cli(*SEL, "--format", "full", "-", "--stdin-filename", "x.py", input=BAD)
    assert "3 | history = workflow.fit_offline" in res.output


def test_full_multiline_node_and_tabs():
    lines = ["x = (", "\tworkflow.fit_offline(", "\t\tdata=1)", ")"]
    f = _finding(row=2, column=2, end_row=3, end_column=10)
    text = output.format_full([f], source=lambda name, cell: lines)
    assert "2 |     workflow.fit_offline(" in text
    assert "3 |         data=1)" in text
    caret = [l for l in text.splitlines() if "^" in l][0]
    assert caret.index("^") == text.splitlines()[2].index("workflow")


def test_full_survives_missing_source():
    text = output.format_full([_finding(filename="/nonexistent/x.py")])
    assert text.startswith("/nonexistent/x.py:3:11: BF302 msg\n")


def test_colour_only_on_a_tty_and_never_with_no_color(monkeypatch):
    f = _finding()
    coloured = output.format_full([f], color=True, source=lambda n, c: ["", "", "h = wf.fit_offline(x)"])
    assert "\x1b[" in coloured
    plain = output.format_full([f], color=False, source=lambda n, c: ["", "", "h = wf.fit_offline(x)"])
    assert "\x1b[" not in plain
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_cli_colour_decision(monkeypatch, project):
    """The CLI colours only a TTY stdout, and never with --no-color / NO_COLOR."""
    from bflint import cli

    seen = {}
    real_render = output.render

    def spy(fmt, findings, *a, **kw):
        seen["fmt"], seen["color"] = fmt, kw.get("color")
        return real_render(fmt, findings, *a, **kw)

    monkeypatch.setattr(output, "render", spy)
    monkeypatch.setattr(cli, "_stdout_isatty", lambda: True)
    for args, env, want in [((), None, ("full", True)), (("--no-color",), None, ("full", False)),
                            ((), "1", ("full", False)), (("--format", "concise"), None, ("concise", False)),
                            (("-o", "out.txt"), None, ("concise", False))]:
        if env:
            monkeypatch.setenv("NO_COLOR", env)
        else:
            monkeypatch.delenv("NO_COLOR", raising=False)
        with pytest.raises(SystemExit):
            cli.check.main([*SEL, *args, "train.py"], standalone_mode=False)
        assert (seen["fmt"], seen["color"]) == want, args


def test_json_shape(project, run_cli):
    res = run_cli(*SEL, "--format", "json", ".")
    data = json.loads(res.output)
    assert {d["filename"] for d in data} == {"broken.py", "nb.ipynb", "sub dir/other.py", "train.py"}
    d = next(d for d in data if d["filename"] == "train.py")
    assert set(d) == {"code", "name", "severity", "message", "filename", "location", "end_location",
                      "fix", "help", "url"}
    assert d["location"] == {"row": 3, "column": 11} and d["end_location"] == {"row": 3, "column": 49}
    assert d["url"].endswith("#bf302-missing-validation-data")
    assert next(d for d in data if d["filename"] == "nb.ipynb")["cell"] == 2


def test_sarif_validates_against_the_schema(project, run_cli):
    res = run_cli(*SEL, "--format", "sarif", ".")
    assert res.exit_code == 1
    log = json.loads(res.output)
    jsonschema.validate(log, SCHEMA, format_checker=jsonschema.FormatChecker())
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} >= {"BF000", "BF302"}
    for r in rules:
        assert r["helpUri"].startswith("https://")
        assert r["shortDescription"]["text"] and r["help"]["text"]
    results = run["results"]
    by_uri = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r for r in results}
    assert set(by_uri) == {"train.py", "sub%20dir/other.py", "nb.ipynb", "broken.py"}
    r = by_uri["train.py"]
    assert r["ruleId"] == "BF302" and r["level"] == "error"
    assert rules[r["ruleIndex"]]["id"] == "BF302"
    assert r["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3, "startColumn": 11, "endLine": 3, "endColumn": 49}
    assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file://")
    assert by_uri["nb.ipynb"]["message"]["text"].startswith("cell 2:3:11: ")


def test_sarif_levels_and_empty_run(run_cli, tmp_path):
    findings = [_finding(severity="W"), _finding(severity="I", row=4, end_row=4)]
    log = json.loads(output.format_sarif(findings))
    jsonschema.validate(log, SCHEMA)
    assert [r["level"] for r in log["runs"][0]["results"]] == ["warning", "note"]
    empty = json.loads(output.format_sarif([]))
    jsonschema.validate(empty, SCHEMA)
    assert empty["runs"][0]["results"] == []


def test_sarif_with_fix_validates():
    fix = {"applicability": "safe", "message": "rename", "edits": [
        {"content": "x", "location": {"row": 1, "column": 1}, "end_location": {"row": 1, "column": 3}}]}
    log = json.loads(output.format_sarif([_finding(fix=fix)]))
    jsonschema.validate(log, SCHEMA)
    assert log["runs"][0]["results"][0]["fixes"][0]["artifactChanges"][0]["replacements"][0][
        "insertedContent"] == {"text": "x"}


def test_sarif_absolute_path_outside_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    log = json.loads(output.format_sarif([_finding(filename="/opt/some where/a.py")]))
    jsonschema.validate(log, SCHEMA, format_checker=jsonschema.FormatChecker())
    loc = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"uri": "file:///opt/some%20where/a.py"}


def test_github_annotations(project, run_cli):
    res = run_cli(*SEL, "--format", "github", ".")
    lines = res.output.splitlines()
    assert ("::error file=train.py,line=3,col=11,endLine=3,endColumn=49,title=BF302::BF302 "
            "`fit_offline(...)` on `workflow` has no `validation_data=`") in res.output
    nb = next(l for l in lines if "nb.ipynb" in l)
    assert nb.startswith("::error file=nb.ipynb,title=BF302::BF302 cell 2:3:11: ")
    assert not any(l.startswith("Found") for l in lines)


def test_github_levels_and_escaping():
    out = output.format_github([_finding(severity="W", message="a%b\nc", filename="d,e:f.py"),
                                _finding(severity="I")])
    first, second = out.splitlines()
    assert first.startswith("::warning file=d%2Ce%3Af.py,line=3,")
    assert first.endswith("::BF302 a%25b%0Ac")
    assert second.startswith("::notice ")


def test_fixable_marker_in_concise():
    fix = {"applicability": "safe", "message": "m", "edits": []}
    text = output.format_concise([_finding(fix=fix), _finding(row=5, end_row=5)])
    assert "a.py:3:11: BF302 [*] msg" in text
    assert "a.py:5:11: BF302 msg" in text
    assert "[*] 1 fixable with `--fix`." in text


def test_statistics(project, run_cli):
    """ruff's --statistics: only the table (count, code, [*]/[-]/[ ], name) and the total."""
    res = run_cli(*SEL, "--statistics", "--format", "concise", ".")
    lines = res.stdout.splitlines()
    assert lines == ["3  BF302  [ ] missing-validation-data", "1  BF000  [ ] parse-error", "Found 4 problems."]


STATS_SRC = ("import bayesflow as bf\n"
             "wf = bf.BasicWorkflow(inference_network=bf.networks.SetTransfomer())\n"   # BF903 safe, BF107 unsafe
             "wf2 = bf.BasicWorkflow(inference_network=None)\n")                           # BF107 unsafe


def _exe(bflint_exe, cwd, *args):
    import subprocess

    return subprocess.run([*bflint_exe, "--no-cache", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_statistics_marks_and_json_through_the_console_script(tmp_path, bflint_exe):
    (tmp_path / "t.py").write_text(STATS_SRC)
    sel = ("--select", "BF107,BF903")
    proc = _exe(bflint_exe, tmp_path, *sel, "--statistics", "t.py")
    assert proc.stdout.splitlines() == [
        "2  BF107  [-] missing-standardize",
        "1  BF903  [*] unknown-bayesflow-api",
        "Found 3 problems.",
        "[*] 1 fixable with `--fix` (2 hidden fixes can be enabled with the `--unsafe-fixes` option).",
    ]
    assert proc.returncode == 1
    proc = _exe(bflint_exe, tmp_path, *sel, "--statistics", "--format", "json", "t.py")
    assert json.loads(proc.stdout) == [
        {"code": "BF107", "name": "missing-standardize", "count": 2, "fixable": False, "applicability": "unsafe"},
        {"code": "BF903", "name": "unknown-bayesflow-api", "count": 1, "fixable": True, "applicability": "safe"},
    ]
    proc = _exe(bflint_exe, tmp_path, *sel, "--statistics", "--unsafe-fixes", "t.py")
    assert proc.stdout.splitlines()[0] == "2  BF107  [*] missing-standardize"


def test_fix_marker_only_on_safe_fixes(tmp_path, bflint_exe):
    """[*] marks what --fix applies; unsafe-only fixes are not marked; the summary says how many are hidden."""
    (tmp_path / "t.py").write_text(STATS_SRC)
    proc = _exe(bflint_exe, tmp_path, "--select", "BF107", "--format", "concise", "t.py")
    assert "[*]" not in proc.stdout
    assert proc.stdout.splitlines()[-1] == \
        "No fixes available (2 hidden fixes can be enabled with the `--unsafe-fixes` option)."
    proc = _exe(bflint_exe, tmp_path, "--select", "BF107,BF903", "--format", "concise", "t.py")
    marked = [line.split(": ", 1)[1].split()[0] for line in proc.stdout.splitlines() if " [*] " in line]
    assert marked == ["BF903"]
    proc = _exe(bflint_exe, tmp_path, "--select", "BF107", "--format", "full", "--no-color", "t.py")
    assert "[*]" not in proc.stdout and "= unsafe fix:" in proc.stdout
    proc = _exe(bflint_exe, tmp_path, "--select", "BF107", "--format", "concise", "--unsafe-fixes", "t.py")
    assert proc.stdout.count(" [*] ") == 2 and "[*] 2 fixable with `--fix --unsafe-fixes`." in proc.stdout
    proc = _exe(bflint_exe, tmp_path, "--select", "BF107", "--diff", "t.py")
    assert proc.stderr.strip() == \
        "No fixes available (2 hidden fixes can be enabled with the `--unsafe-fixes` option)."
    proc = _exe(bflint_exe, tmp_path, "--select", "BF107,BF903", "--fix", "--format", "concise", "t.py")
    assert "Fixed 1 problem. Found 2 problems" in proc.stdout  # what --fix did, and what is left
    assert proc.stdout.splitlines()[-1] == \
        "No fixes available (2 hidden fixes can be enabled with the `--unsafe-fixes` option)."


def test_output_file(project, run_cli):
    res = run_cli(*SEL, "--format", "json", "--output-file", "report.json", ".")
    assert res.exit_code == 1
    assert res.output == ""
    data = json.loads(Path("report.json").read_text())
    assert len(data) == 4
    res = run_cli(*SEL, "-o", "report.txt", "--exit-zero", "train.py")
    assert res.exit_code == 0
    assert Path("report.txt").read_text().startswith("train.py:3:11: BF302")


def test_rule_help_first_sentence_of_use_instead():
    from bflint.registry import rules_by_code

    assert rules_by_code()["BF302"].help() == "Hold out ~300 simulations for offline/disk training."


# -- issue 16 item 4: terminal injection -----------------------------------------

EVIL = "\x1b]0;pwn\x07\x1b[2J\u202e\u2066\x9b\x7f"
# nothing a terminal acts on: C0 (a line break only between lines), DEL, C1, bidi
_RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def evil_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # a string literal and comments carrying the sequences, in a file whose name carries them too
    src = ("import bayesflow as bf\n"
           f"note = '{EVIL}'  # {EVIL}\n"
           "workflow = bf.BasicWorkflow(inference_network=None)\n"
           f"history = workflow.fit_offline(data=1, epochs=2)  # {EVIL}\n")
    name = f"x{EVIL}\nfake.py:1:1: BF999 all good\r.py"
    (tmp_path / name).write_text(src)
    (tmp_path / "broken.py").write_text(f"import bayesflow as bf\nx = ('{EVIL}'\n")
    return tmp_path, name, src


@pytest.mark.parametrize("fmt", ["full", "concise", "github"])
def test_human_formats_escape_control_and_bidi_characters(evil_project, run_cli, fmt):
    _, name, _ = evil_project
    res = run_cli("--select", "BF000,BF302", "--format", fmt, ".")
    assert res.exit_code == 1
    assert not _RAW.search(res.output), repr(res.output)
    if fmt != "github":
        assert "␛]0;pwn␇␛[2J\\u202e\\u2066\\u009b␡" in res.output  # ESC as ␛, like ruff
    lines = res.output.splitlines()
    # the newline in the file name starts no line of its own: each finding is one line
    if fmt == "concise":
        assert len(lines) == 3 and not any(l.startswith("fake.py") for l in lines), lines
    if fmt == "github":
        assert len(lines) == 2 and all(l.startswith("::error ") for l in lines), lines
        assert "%0Afake.py" in res.output and "%0D.py" in res.output  # GitHub's own escapes
    if fmt == "full":
        frame = [l for l in lines if l.startswith("4 |")]
        assert frame and "# ␛]0;pwn␇" in frame[0]
        carets = lines[lines.index(frame[0]) + 1]
        assert carets.index("^") == frame[0].index("workflow.fit_offline")


def test_code_frame_escapes_keep_the_carets_under_the_code():
    line = f"x = '{EVIL}'; y = bad(1)\tz"
    col = line.index("bad(") + 1
    f = _finding(row=1, column=col, end_row=1, end_column=col + 6)
    text = output.format_full([f], source=lambda n, c: [line])
    src, carets = text.splitlines()[2], text.splitlines()[3]
    assert not _RAW.search(text)
    assert src[carets.index("^"):carets.index("^") + 6] == "bad(1)"


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_machine_formats_stay_exact(evil_project, run_cli, fmt):
    _, name, _ = evil_project
    res = run_cli("--select", "BF000,BF302", "--format", fmt, ".")
    data = json.loads(res.output)
    results = data if fmt == "json" else data["runs"][0]["results"]
    names = [r["filename"] for r in results] if fmt == "json" else [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert (name in names) if fmt == "json" else any("%1B%5D0%3Bpwn" in n for n in names), names


def test_escaping_unit():
    assert output.safe("a\x1bb") == "a␛b"
    assert output.safe("\t", keep_tab=True) == "\t" and output.safe("\t") == "␉"
    assert output.safe("\u202e\u200f\u061c\x85") == "\\u202e\\u200f\\u061c\\u0085"
    assert output.safe("plain ünïcode → ok") == "plain ünïcode → ok"
    f = _finding(filename="a\nb.py", message=f"m{EVIL}")
    assert output.format_concise([f]).count("\n") == 2
    assert not _RAW.search(output.format_statistics([f]) + output.format_full([f]))


def test_full_format_one_frame_per_line(tmp_path, bflint_exe):
    """Issue 13 §6: the findings of one line share one code frame (the line is printed once), each
    finding keeps its head line and its help; other lines keep their own frames."""
    (tmp_path / "t.py").write_text(BAD + "h2 = workflow.fit_offline(data=1, epochs=2)\n")
    proc = _exe(bflint_exe, tmp_path, "--select", "BF3,BF401", "--format", "full", "--no-color", "t.py")
    out = proc.stdout
    assert out.count("3 | history = workflow.fit_offline(data=1, epochs=2)") == 1
    assert out.count("4 | h2 = workflow.fit_offline(data=1, epochs=2)") == 1
    heads = [line for line in out.splitlines() if line.startswith("t.py:3:11: BF")]
    assert len(heads) >= 3
    codes = [h.split()[1] for h in heads]
    assert f"^ {', '.join(codes)}" in out
    assert all(f"= help ({c}):" in out for c in codes)
