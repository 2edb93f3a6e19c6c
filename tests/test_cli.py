"""The command line: exit codes, selection, JSON shape, stdin, noqa, BF000 /
BF001 / BF999, the rule documentation commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

BAD = ("import bayesflow as bf\n"
       "workflow = bf.BasicWorkflow(inference_network=None)\n"
       "history = workflow.fit_offline(data=1, epochs=2)\n")
OK = BAD.replace("epochs=2)", "epochs=2, validation_data=3)")


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.py").write_text(BAD)
    (tmp_path / "ok.py").write_text(OK)
    (tmp_path / "broken.py").write_text("import bayesflow as bf\nworkflow.fit_offline(data=1,\n")
    (tmp_path / "plain.py").write_text("print('no bayesflow here')\n")
    return tmp_path


def test_exit_0_when_clean(files, run_cli):
    res = run_cli("--select", "BF302", "ok.py", "plain.py")
    assert res.exit_code == 0
    assert "All checks passed! (2 files checked)" in res.output


def test_exit_1_with_findings_and_exit_zero(files, run_cli):
    assert run_cli("--select", "BF302", "bad.py").exit_code == 1
    res = run_cli("--select", "BF302", "--exit-zero", "bad.py")
    assert res.exit_code == 0 and "BF302" in res.output


def test_select_ignore_prefixes(files, run_cli):
    assert "BF302" in run_cli("--select", "BF3", "bad.py").output
    assert "BF302" in run_cli("--select", "bf30", "bad.py").output  # case-insensitive
    assert "BF302" not in run_cli("--select", "BF3", "--ignore", "BF302", "bad.py").output
    # the more specific selector wins
    assert "BF302" in run_cli("--select", "BF302", "--ignore", "BF3", "bad.py").output
    assert "BF302" in run_cli("--select", "BF000", "--extend-select", "BF302", "bad.py").output
    assert "BF302" in run_cli("--select", "BF000,BF302", "bad.py").output


@pytest.mark.parametrize("opt", ["--select", "--ignore", "--extend-select"])
def test_unknown_code_is_exit_2(files, run_cli, opt):
    res = run_cli(opt, "BF777", "bad.py")
    assert res.exit_code == 2
    assert "unknown rule selector `BF777`" in res.output


def test_json_shape(files, run_cli):
    res = run_cli("--select", "BF302", "--format", "json", "bad.py")
    (d,) = json.loads(res.output)
    assert d == {
        "code": "BF302", "name": "missing-validation-data", "severity": "E", "message": d["message"],
        "filename": "bad.py", "location": {"row": 3, "column": 11},
        "end_location": {"row": 3, "column": 49}, "fix": None, "help": d["help"], "url": d["url"]}
    assert "`workflow`" in d["message"] and "validation_data" in d["message"]
    assert json.loads(run_cli("--select", "BF302", "--format", "json", "ok.py").output) == []


def test_stdin_with_stdin_filename(files, run_cli):
    res = run_cli("--select", "BF302", "-", "--stdin-filename", "pkg/train.py", input=BAD)
    assert res.exit_code == 1
    assert res.output.startswith("pkg/train.py:3:11: BF302 ")
    res = run_cli("--select", "BF302", "-", input=BAD)
    assert res.output.startswith("-:3:11: BF302 ")
    assert run_cli("--select", "BF302", "-", input=OK).exit_code == 0


def test_stdin_and_files_together(files, run_cli):
    res = run_cli("--select", "BF302", "--format", "json", "-", "bad.py", "--stdin-filename", "s.py",
                  input=BAD)
    assert sorted(d["filename"] for d in json.loads(res.output)) == ["bad.py", "s.py"]


def test_noqa(files, run_cli):
    lines = BAD.splitlines()
    (files / "n1.py").write_text("\n".join(lines[:2] + [lines[2] + "  # noqa: BF302"]) + "\n")
    (files / "n2.py").write_text("\n".join(lines[:2] + [lines[2] + "  # noqa"]) + "\n")
    (files / "n3.py").write_text("\n".join(lines[:2] + [lines[2] + "  # noqa: BF101"]) + "\n")
    (files / "n4.py").write_text("# bflint: noqa: BF302\n" + BAD)
    res = run_cli("--select", "BF302", "--format", "json", "n1.py", "n2.py", "n3.py", "n4.py")
    assert [d["filename"] for d in json.loads(res.output)] == ["n3.py"]


def test_bf000_on_syntax_error(files, run_cli):
    res = run_cli("--select", "BF000", "--format", "json", "broken.py")
    assert res.exit_code == 1
    (d,) = json.loads(res.output)
    assert d["code"] == "BF000" and d["message"].startswith("SyntaxError")


def test_undecodable_file_is_bf000(files, run_cli):
    (files / "latin.py").write_bytes(b"import bayesflow\nx = '\xff\xfe'\n")
    res = run_cli("--select", "BF000", "--format", "json", "latin.py")
    (d,) = json.loads(res.output)
    assert d["code"] == "BF000" and "decode" in d["message"]


def test_directory_with_one_broken_file_reports_the_others(files, run_cli):
    res = run_cli("--select", "BF000,BF302", "--format", "json", ".")
    got = sorted((d["filename"], d["code"]) for d in json.loads(res.output))
    assert got == [("bad.py", "BF302"), ("broken.py", "BF000")]


def test_missing_path_is_bf001(files, run_cli):
    res = run_cli("--format", "json", "nope.py", "bad.py", "--select", "BF001,BF302")
    got = sorted((d["filename"], d["code"]) for d in json.loads(res.output))
    assert got == [("bad.py", "BF302"), ("nope.py", "BF001")]
    assert res.exit_code == 1


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file_is_bf001(files, run_cli):  # pragma: no cover - not as root
    p = files / "secret.py"
    p.write_text(BAD)
    p.chmod(0)
    res = run_cli("--format", "json", "secret.py")
    assert json.loads(res.output)[0]["code"] == "BF001"


def test_internal_error_is_bf999_and_exit_2(files, run_cli, monkeypatch):
    from bflint.registry import rules_by_code

    rule = rules_by_code()["BF302"]

    def boom(self, model):
        raise RuntimeError("kaboom")
        yield

    monkeypatch.setattr(rule, "check", boom)
    res = run_cli("--select", "BF302,BF999", "--format", "json", "--no-cache", "bad.py", "ok.py")
    assert res.exit_code == 2
    data = json.loads(res.output)
    assert {d["code"] for d in data} == {"BF999"}
    assert "kaboom" in data[0]["message"]


def test_rule_command(run_cli):
    res = run_cli("rule", "BF302")
    assert res.exit_code == 0
    assert res.output.startswith("# missing-validation-data (BF302)")
    assert "## Why is this bad?" in res.output
    data = json.loads(run_cli("rule", "bf302", "--format", "json").output)
    assert data["code"] == "BF302" and data["severity"] == "E"
    res = run_cli("rule", "BF777")
    assert res.exit_code == 2 and "unknown rule code" in res.output


def test_rules_command(run_cli):
    res = run_cli("rules")
    assert res.exit_code == 0
    assert any(l.startswith("BF302  E  correctness  missing-validation-data") for l in res.output.splitlines())
    data = json.loads(run_cli("rules", "--format", "json").output)
    assert {"code", "name", "severity", "summary"} <= set(data[0])
    assert len(data) == len(res.output.splitlines())


def test_version_and_help(run_cli):
    assert run_cli("--version").exit_code == 0
    res = run_cli("check", "--help")
    assert "--format" in res.output and "--fix" in res.output


def test_real_subprocess(files, bflint_exe):
    proc = subprocess.run([*bflint_exe, "--select", "BF302", "bad.py"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stdout.startswith("bad.py:3:11: BF302")
    proc = subprocess.run([*bflint_exe, "--format", "json", "-", "--stdin-filename", "x.py",
                           "--select", "BF302"], input=BAD, capture_output=True, text=True)
    assert json.loads(proc.stdout)[0]["filename"] == "x.py"


# -- issue 16 item 5: an empty selection is a usage error (ruff's behaviour) ----

@pytest.mark.parametrize("value", ["", " , ", ",", "BF3,", " "])
@pytest.mark.parametrize("opt", ["--select", "--ignore", "--extend-select"])
def test_empty_selector_is_a_usage_error(files, run_cli, opt, value):
    res = run_cli(opt, value, "bad.py")
    assert res.exit_code == 2, res.output
    assert "empty rule selector" in res.output
    assert "All checks passed" not in res.output


@pytest.mark.parametrize("table", ['select = [""]', 'select = [" , "]', 'select = ""',
                                   'extend-select = [""]', 'ignore = ["BF3", ""]',
                                   'per-file-ignores = {"x.py" = [""]}'])
def test_empty_selector_in_config_is_an_error(files, run_cli, table):
    (files / "pyproject.toml").write_text(f"[tool.bflint]\n{table}\n")
    res = run_cli("bad.py")
    assert res.exit_code == 2, res.output
    assert "empty rule selector" in res.output and "All checks passed" not in res.output


def test_empty_select_through_the_console_script(files, bflint_exe):
    # an empty CI variable: bflint --select "$CODES" .
    proc = subprocess.run([*bflint_exe, "--no-cache", "--select", "", "bad.py"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "empty rule selector in --select ''" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
